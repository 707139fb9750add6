"""The benchmark script still runs end to end (tiny models, a blink per cell)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from tests.helpers import write_checkpoint

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"


@pytest.mark.slow
@pytest.mark.skipif(not (DATA / "aclImdb_v1.tar.gz").is_file() or
                    not (DATA / "names.zip").is_file(), reason="needs ../shared/data")
def test_benchmark_runs_and_writes_its_table(tmp_path, capsys):
    for task in ("origin", "sentiment"):
        write_checkpoint(tmp_path / f"{task}.safetensors", task, f"{task}-bench")
    spec = importlib.util.spec_from_file_location("bench", ROOT / "benchmarks/bench_inference.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "inference.json"
    bench.main(["--checkpoint-dir", str(tmp_path), "--reviews", "40", "--seconds", "0.05",
                "--concurrency", "1,8", "--device", "cpu", "--threads", "1", "--out", str(out)])
    report = json.loads(out.read_text())
    assert report["meta"]["models"] == {"origin": "origin-bench", "sentiment": "sentiment-bench"}
    cells = {(r["task"], r["mode"], r["concurrency"]) for r in report["results"]}
    assert len(cells) == 2 * 3 * 2
    assert all(r["requests"] > 0 and r["p99_ms"] >= r["p50_ms"] for r in report["results"])
    assert "p50 ms" in capsys.readouterr().out
