"""The learning-loop attack benchmark at a reduced size: a tiny origin model on the generated
names, a real SQLite store, the simulated community and its attackers, the real finetune."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from benchmarks import learning_loop as bench
from inference.checkpoint import save_checkpoint
from tests.helpers import train_tiny
from training.finetune import FinetuneConfig

CFG = replace(FinetuneConfig(), epochs=1, min_replay=300, calibration_size=200,
              min_holdout_corrections=0, min_agreed=10, randomisation_rounds=200)
COMMUNITY = bench.Community(voters=20, eval_share=0.2)  # the generated names are few
SCALE = replace(bench.QUICK, colluded=20, probes=10, overridden=6, targets=20)


@pytest.fixture(scope="module")
def rows(names_zip, tmp_path_factory):
    folder = tmp_path_factory.mktemp("loop")
    parent = folder / "origin.safetensors"
    save_checkpoint(train_tiny("origin", names_zip), parent)
    [shift] = [s for s in bench.SHIFTS if s.task == bench.ATTACKED_TASK]
    results = {}
    # The colluders' names end as the generated Japanese names do, so the tiny model answers
    # them confidently, as the shipped model answers -kuzawa names.
    for scenario in (replace(s, ending="moto") if isinstance(s, bench.Colluders) else s
                     for s in bench.SCENARIOS):
        workdir = folder / scenario.name.replace(" ", "-")
        workdir.mkdir()
        results[scenario.name] = asyncio.run(bench.run_row(
            shift, scenario, parent, names_zip, workdir, COMMUNITY, SCALE,
            CFG, None))
    return results


def test_every_row_votes_trains_and_is_judged(rows):
    assert set(rows) == {s.name for s in bench.SCENARIOS}
    for row in rows.values():
        assert row["agreed"] > 0 and row["trained"] > 0
        assert row["decision"] in ("promoted", "rejected") and row["decided_by"]
    assert rows["honest"]["attackers"] == 0 and rows["honest"]["poisoned_agreed"] == 0
    assert rows["colluders"]["attackers"] == 3 and rows["override"]["attackers"] == 2
    assert rows["random wrong"]["attackers"] == 4  # a fifth of 20 members
    assert rows["colluders"]["probes"]["n"] == 10 and rows["override"]["probes"]["n"] == 6


def test_colluders_and_overriders_reach_neither_training_nor_the_memory(rows):
    for name in ("colluders", "override"):
        row = rows[name]
        assert (row["poisoned_trained"], row["poisoned_memory"]) == (0, 0), name
    # the overridden names are answered from the honest agreement, before and after
    assert rows["override"]["probes"]["changed"] == 0


def test_the_slow_adversary_stays_within_a_percent_of_the_examples_trained_on(rows):
    row = rows["slow adversary"]
    assert row["poisoned_trained"] <= 0.01 * row["trained"]
