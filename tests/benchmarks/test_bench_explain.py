"""The explanation benchmark and faithfulness scripts still run end to end (tiny models)."""

from __future__ import annotations

import json

import pytest

from benchmarks import bench_explain, explain_faithfulness
from tests.helpers import real_data, write_checkpoint


@pytest.mark.slow
def test_cost_and_faithfulness_scripts_write_their_reports(tmp_path, capsys):
    data = real_data("names.zip").parent
    real_data("aclImdb_v1.tar.gz")
    for task in ("origin", "sentiment"):
        write_checkpoint(tmp_path / f"{task}.safetensors", task, f"{task}-bench")
    common = ["--data", str(data), "--checkpoint-dir", str(tmp_path)]
    bench_explain.main([*common, "--names", "5", "--reviews", "2", "--device", "cpu",
                                  "--out", str(tmp_path / "cost.json")])
    cost = json.loads((tmp_path / "cost.json").read_text())
    assert [r["inputs"] for r in cost["results"]] == ["names", "200-word reviews",
                                                       "whole reviews"]
    assert cost["results"][1]["mean_units"] == 200 and "p50 ms" in capsys.readouterr().out
    explain_faithfulness.main([*common, "--names", "20", "--reviews", "4",
                               "--out", str(tmp_path / "faith.json")])
    rows = json.loads((tmp_path / "faith.json").read_text())["results"]
    assert [(r["task"], r["k"]) for r in rows] == [("origin", 1), ("origin", 3),
                                                    ("sentiment", 1), ("sentiment", 5)]
    assert all(0 <= r["top_wins"] <= 1 and r["n"] + r["without_parts"] in (20, 4) for r in rows)


@pytest.mark.slow
def test_the_probe_benchmark_writes_its_report(tmp_path, capsys):
    data = real_data("aclImdb_v1.tar.gz").parent
    for task in ("origin", "sentiment"):
        write_checkpoint(tmp_path / f"{task}.safetensors", task, f"{task}-bench")
    bench_explain.main(["--data", str(data), "--checkpoint-dir", str(tmp_path), "--probe",
                        "--device", "cpu", "--out", str(tmp_path / "probe.json")])
    [row] = json.loads((tmp_path / "probe.json").read_text())["results"]
    assert row["explain_inputs"] == 8 and row["chars_each"] == 2000 and row["probes"] >= 1
    assert row["attack"] == {"inputs": 16, "chars_each": 4000, "status": 400,
                             "code": "too_much_work"}
    assert "probes waited" in capsys.readouterr().out
