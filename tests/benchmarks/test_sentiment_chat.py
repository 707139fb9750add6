"""The sentiment-on-chat benchmark's measures, on hand-checkable numbers."""

import pytest
import torch

from benchmarks.sentiment_chat import band, labels_right, risk_coverage
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
