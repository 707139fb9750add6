"""The origin learning-curve benchmark: its subsets and its extrapolation (no training)."""

from __future__ import annotations

import math

from benchmarks import origin_learning_curve as curve

TRAIN = [(f"Name{i}", lang) for i in range(200) for lang in ("German", "Dutch")[: 1 + i % 2]]
TRAIN += [("name0", "Irish")]  # another spelling of a name: same name for the split


def test_subsets_are_nested_and_keep_every_label_of_a_name():
    small, large = curve.subset(TRAIN, 0.25), curve.subset(TRAIN, 0.5)
    assert set(small) < set(large) < set(TRAIN) == set(curve.subset(TRAIN, 1.0))
    assert len({n.lower() for n, _ in small}) == 50
    for part in (small, large):
        kept = {n.lower() for n, _ in part}
        assert [p for p in TRAIN if p[0].lower() in kept] == part


def test_log_fit_recovers_a_line_and_predicts_the_names_a_target_needs():
    runs = [{"fraction": n / 4000, "seed": s, "train_pairs": n,
             "test_accuracy": 0.5 + 0.02 * math.log2(n), "test_macro_f1": 0.1 * math.log2(n) - 0.6}
            for n in (1000, 2000, 4000) for s in (0, 1)]
    summary = curve.summarise(runs)
    trend = summary["trends"]["macro_f1"]
    assert math.isclose(trend["gain_per_doubling"], 0.1) and math.isclose(trend["intercept"], -0.6)
    assert trend["pairs_for_target"] == round(2 ** 12.5)  # 0.1 * log2(n) - 0.6 = 0.65
    assert [r["runs"] for r in summary["rows"]] == [2, 2, 2]
    assert summary["rows"][0]["test_macro_f1_sd"] == 0.0
