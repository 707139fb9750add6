"""The benchmark script still runs end to end (tiny models, a blink per cell)."""

from __future__ import annotations

import json
import random
import zipfile

import pytest

from benchmarks import bench_inference
from benchmarks.bench_inference import DATA
from tests.helpers import write_checkpoint, write_imdb_dir, write_imdb_tar


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


def test_inputs_read_alike_from_the_archives_and_their_folders(tmp_path, names_zip):
    """`--data` may name archives or what they unpack to (training.data.locate), as for
    training; the benchmarks then read the same inputs."""
    folder = tmp_path / "names"
    zipfile.ZipFile(names_zip).extractall(folder)
    from_zip = bench_inference.load_names(names_zip, 50, random.Random(0))
    assert from_zip and from_zip == bench_inference.load_names(folder, 50, random.Random(0))
    tar = write_imdb_tar(tmp_path / "aclImdb_v1.tar.gz")
    unpacked = write_imdb_dir(tmp_path / "imdb")
    every = bench_inference.load_reviews(tar, 80, random.Random(0))  # the 80 test reviews
    assert len(every) == 80
    assert sorted(every) == sorted(bench_inference.load_reviews(unpacked, 80, random.Random(0)))
    assert len(bench_inference.load_reviews(unpacked, 10, random.Random(0))) == 10
