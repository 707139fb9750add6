"""The sentiment learning-curve benchmark: its subsets and its extrapolation (no training)."""

from __future__ import annotations

import math

from benchmarks import sentiment_learning_curve as curve
from benchmarks.stats import size_for
from tests.helpers import short_data
from training.data import locate
from training.sentences import tweet_splits

TWEETS = [(f"tweet number {i}", i % 2) for i in range(400)]


def test_subsets_are_nested_keep_the_order_and_take_their_share():
    small, large = curve.subset(TWEETS, 0.25), curve.subset(TWEETS, 0.5)
    assert len(small) == 100 and len(large) == 200
    assert set(small) < set(large) < set(TWEETS) and curve.subset(TWEETS, 1.0) == TWEETS
    assert small == sorted(small, key=TWEETS.index)  # a subset, not a reshuffle


def test_each_learner_gets_its_own_trend_and_the_tweets_a_target_needs():
    runs = [{"learner": "lstm", "fraction": n / 8000, "seed": s, "train_tweets": n,
             "test_accuracy": 0.6 + 0.02 * math.log2(n) + (0.01 if s else -0.01)}
            for n in (2000, 4000, 8000) for s in (0, 1)]
    runs += [{"learner": "linear", "fraction": n / 8000, "seed": 0, "train_tweets": n,
              "test_accuracy": 0.7 + 0.01 * math.log2(n / 2000)} for n in (2000, 4000, 8000)]
    summary = curve.summarise(runs)
    lstm, linear = summary["trends"]["lstm"], summary["trends"]["linear"]
    assert math.isclose(lstm["gain_per_doubling"], 0.02)
    assert lstm["tweets_for_target"] == 2 ** 11  # 0.6 + 0.02 * log2(n) = 0.82
    assert math.isclose(lstm["last_doubling_gain"], 0.02)
    assert lstm["tweets_for_target_at_last_gain"] == 2 ** 11
    assert math.isclose(linear["gain_per_doubling"], 0.01)
    assert [(r["learner"], r["runs"]) for r in summary["rows"]] == [("linear", 1)] * 3 + [
        ("lstm", 2)] * 3
    assert all(math.isclose(r["test_accuracy_sd"], math.sqrt(2) * 0.01)
               for r in summary["rows"] if r["learner"] == "lstm")


def test_a_flat_or_falling_trend_never_reaches_the_target():
    assert size_for(0.82, 0.8, 0.0) is None and size_for(0.82, 0.8, -0.01) is None
    assert size_for(0.82, 0.8, 0.01) == 4


def test_a_bending_curve_is_read_cautiously_at_its_last_doubling():
    gains = {1000: 0.70, 2000: 0.74, 4000: 0.77, 8000: 0.79}  # +4, +3, then +2 points
    runs = [{"learner": "lstm", "fraction": n / 8000, "seed": 0, "train_tweets": n,
             "test_accuracy": y} for n, y in gains.items()]
    trend = curve.summarise(runs)["trends"]["lstm"]
    assert math.isclose(trend["last_doubling_gain"], 0.02)
    assert trend["tweets_for_target_at_last_gain"] == round(8000 * 2 ** 1.5)  # 0.79 -> 0.82
    assert trend["tweets_for_target"] < trend["tweets_for_target_at_last_gain"]


def test_both_learners_train_on_a_share_of_the_tweets_and_score_the_held_out_tenth(tmp_path):
    """A reduced run on generated tweets that name their own label: both learners must
    find it, on the same share of the training tweets."""
    data = str(short_data(tmp_path, n=600))
    linear = curve.run_linear(data, 0.5)
    lstm = curve.run_lstm(data, 0.5, seed=0)
    assert linear["train_tweets"] == lstm["train_tweets"] == round(
        0.5 * len(tweet_splits(locate("sentiment140", data))["train"]))
    assert linear["test_accuracy"] > 0.9 and lstm["test_accuracy"] > 0.9
    assert lstm["vocab"] > 10 and lstm["train_seconds"] > 0
