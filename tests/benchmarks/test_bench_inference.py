"""The benchmark script still runs end to end (tiny models, a blink per cell)."""

from __future__ import annotations

import json

import pytest

from benchmarks import bench_inference
from benchmarks.bench_inference import DATA
from tests.helpers import write_checkpoint


@pytest.mark.slow
@pytest.mark.skipif(not (DATA / "aclImdb_v1.tar.gz").is_file() or
                    not (DATA / "names.zip").is_file(), reason="needs ../shared/data")
def test_benchmark_runs_and_writes_its_table(tmp_path, capsys):
    for task in ("origin", "sentiment"):
        write_checkpoint(tmp_path / f"{task}.safetensors", task, f"{task}-bench")
    out = tmp_path / "inference.json"
    bench_inference.main(["--checkpoint-dir", str(tmp_path), "--reviews", "40",
                          "--seconds", "0.05", "--concurrency", "1,8", "--device", "cpu",
                          "--threads", "1", "--out", str(out)])
    report = json.loads(out.read_text())
    assert report["meta"]["models"] == {"origin": "origin-bench", "sentiment": "sentiment-bench"}
    cells = {(r["task"], r["mode"], r["concurrency"]) for r in report["results"]}
    assert len(cells) == 2 * 3 * 2
    assert all(r["requests"] > 0 and r["p99_ms"] >= r["p50_ms"] for r in report["results"])
    assert "p50 ms" in capsys.readouterr().out
