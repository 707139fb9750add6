"""The sentiment-on-chat benchmark's measures, on hand-checkable numbers."""

import pytest
import torch

from benchmarks.sentiment_chat import (
    alone_scores,
    answer_scores,
    band,
    labels_right,
    risk_coverage,
)
from inference.predictor import Predictor
from inference.registry import shipped_checkpoint


def test_risk_coverage_orders_answers_most_confident_first() -> None:
    probs = torch.tensor([[0.9, 0.1], [0.4, 0.6], [0.55, 0.45], [0.2, 0.8]])
    y = torch.tensor([0, 0, 0, 1])  # right, wrong, right, right
    coverage, accuracy = risk_coverage(probs, y)
    assert coverage.tolist() == pytest.approx([0.25, 0.5, 0.75, 1.0])
    assert accuracy.tolist() == pytest.approx([1.0, 1.0, 2 / 3, 3 / 4])  # .9, .8, .6, .55


def test_band_splits_sure_and_not_sure_answers() -> None:
    probs = torch.tensor([[0.9, 0.1], [0.4, 0.6], [0.55, 0.45], [0.2, 0.8]])
    y = torch.tensor([0, 0, 1, 1])
    got = band(probs, y, 0.7)
    assert got["coverage"] == pytest.approx(0.5)
    assert got["sure_accuracy"] == 1.0 and got["not_sure_accuracy"] == 0.0
    assert got["accuracy"] == pytest.approx(0.5)


def test_labels_right_scores_the_answers_label_whatever_its_verdict() -> None:
    shipped = Predictor.load("sentiment", shipped_checkpoint("sentiment"), device="cpu")
    examples = [("I loved this movie!", 1), ("What a terrible waste of time.", 0),
                ("I loved this movie!", 0), ("was the finale any good?", 1)]  # the last: not sure
    assert labels_right(shipped, examples) == pytest.approx(3 / 4)
    # as a person sees them: the question is answered not sure, so neither right nor wrong
    assert answer_scores(shipped, examples) == {"right": 3 / 4, "sure_right": 2 / 4,
                                                "sure_wrong": 1 / 4}


def test_words_alone_are_scored_against_the_tweets_shares() -> None:
    shipped = Predictor.load("sentiment", shipped_checkpoint("sentiment"), device="cpu")
    shares = {"headache": 0.07, "hmm": 0.54, "congrats": 0.91, "ok": 0.55, "bored": 0.2}
    answers = dict(zip(shares, shipped.predict(list(shares)), strict=True))
    got = alone_scores(shipped, shares)
    assert (got["words"], got["even"], got["leaning"]) == (5, 2, 3)  # even: hmm, ok
    assert got["even_not_sure"] == sum(answers[w].confidence == "not_sure"
                                       for w in ("hmm", "ok")) / 2
    assert got["leaning_right"] == sum(answers[w].label == label for w, label in (
        ("headache", "negative"), ("congrats", "positive"), ("bored", "negative"))) / 3
    positive = {w: a.probability if a.label == "positive" else 1 - a.probability
                for w, a in answers.items()}
    assert abs(got["mean_distance"] - sum(abs(positive[w] - s) for w, s in shares.items()) / 5
               ) < 1e-9
    assert got["leaning_sure_right"] == sum(
        answers[w].label == label and answers[w].confidence == "sure" for w, label in (
            ("headache", "negative"), ("congrats", "positive"), ("bored", "negative"))) / 3


def test_a_mark_the_pipeline_refuses_is_left_out_of_the_scores() -> None:
    shipped = Predictor.load("sentiment", shipped_checkpoint("sentiment"), device="cpu")
    alone = alone_scores(shipped, {"😍": 0.93, "👎": 0.38})
    assert alone_scores(shipped, {"😍": 0.93, "┊": 0.9, "👎": 0.38}) == alone
    assert alone["words"] == 2
