"""Classification metrics and calibration, small enough to check by hand."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class ClassReport:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


NO_ANSWER = -1  # the prediction of an input the model refused: wrong, yet no class's guess


def confusion_matrix(y_true: list[int], y_pred: list[int], n_classes: int) -> list[list[int]]:
    """Rows are true labels, columns predictions; NO_ANSWER falls in no column."""
    cm = [[0] * n_classes for _ in range(n_classes)]
    for t, p in zip(y_true, y_pred, strict=True):
        if p != NO_ANSWER:
            cm[t][p] += 1
    return cm


def per_class(cm: list[list[int]], labels: tuple[str, ...],
              supports: list[int] | None = None) -> list[ClassReport]:
    """supports: examples per true label, where some got NO_ANSWER (else the row sums)."""
    reports = []
    for i, label in enumerate(labels):
        tp = cm[i][i]
        predicted = sum(row[i] for row in cm)
        support = supports[i] if supports is not None else sum(cm[i])
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        reports.append(ClassReport(label, precision, recall, f1, support))
    return reports


def expected_calibration_error(probs: torch.Tensor, y_true: torch.Tensor, bins: int = 15,
                               y_pred: torch.Tensor | None = None) -> float:
    """Gap between confidence and accuracy, averaged over confidence bins (top label).
    y_pred: the predictions, where some are NO_ANSWER (else the top labels)."""
    conf, top = probs.max(dim=-1)
    correct = ((top if y_pred is None else y_pred) == y_true).float()
    edges = torch.linspace(0, 1, bins + 1)
    ece = 0.0
    for lo, hi in itertools.pairwise(edges):
        in_bin = (conf > lo) & (conf <= hi)
        if in_bin.any():
            ece += in_bin.float().mean().item() * abs(
                conf[in_bin].mean().item() - correct[in_bin].mean().item()
            )
    return ece


def fit_temperature(logits: torch.Tensor, y_true: torch.Tensor) -> float:
    """The temperature minimising validation NLL (a grid is robust and instant here). It
    reaches 10: a review model reading chat-length text needed 5.7 (training/short_text.py)."""
    grid = torch.linspace(0.5, 10.0, 191)
    losses = [torch.nn.functional.cross_entropy(logits / t, y_true).item() for t in grid]
    return round(float(grid[int(torch.tensor(losses).argmin())]), 4)


def summarize(
    probs: torch.Tensor, y_true: torch.Tensor, labels: tuple[str, ...],
    answered: torch.Tensor | None = None,
) -> dict:
    """Everything the evaluate CLI and the checkpoint metadata report. answered: a mask of
    the inputs the model scored; the others count as wrong (NO_ANSWER), whatever `probs`
    holds for them."""
    pred = probs.argmax(dim=-1)
    if answered is not None:
        pred = torch.where(answered, pred, NO_ANSWER)
    y_pred, truth = pred.tolist(), y_true.tolist()
    cm = confusion_matrix(truth, y_pred, len(labels))
    reports = per_class(cm, labels, [truth.count(i) for i in range(len(labels))])
    present = [r for r in reports if r.support > 0]
    return {
        "n": len(truth),
        "accuracy": sum(int(t == p) for t, p in zip(truth, y_pred, strict=True)) / len(truth),
        "macro_f1": sum(r.f1 for r in present) / len(present),
        "ece": expected_calibration_error(probs, y_true, y_pred=pred),
        "per_class": {r.label: {"precision": r.precision, "recall": r.recall, "f1": r.f1,
                                "support": r.support} for r in reports},
        "confusion": cm,
    }
