"""Score a checkpoint on a task's held-out test set, through the serving pipeline."""

from __future__ import annotations

from pathlib import Path

import torch

from inference.checkpoint import load_checkpoint
from inference.predictor import Predictor, valid_only
from inference.text import InputError
from training.data import (
    clean_name_splits,
    fingerprint,
    load_imdb,
    locate,
    split_validation,
)
from training.metrics import summarize

SENTIMENT_LABELS = ("negative", "positive")


def test_set(task: str, data: str | Path | None) -> list[tuple[str, str]]:
    """(input, label) pairs of the test set: clean-protocol surnames, or official IMDB test."""
    if task == "origin":
        return clean_name_splits(locate("names", data)).test
    return [(text, SENTIMENT_LABELS[y]) for text, y in load_imdb(locate("imdb", data), "test")]


def validation_set(task: str, data: str | Path | None,
                   seed: int = 0) -> tuple[list[tuple[str, str]], str]:
    """(input, label) pairs of the validation split, and the fingerprint a checkpoint
    trained on that split records (so a caller can check that it is the same split)."""
    if task == "origin":
        splits = clean_name_splits(locate("names", data))
        return splits.val, fingerprint(splits.train + splits.val + splits.test)
    train, val = split_validation(load_imdb(locate("imdb", data), "train"), 0.1, seed)
    return [(t, SENTIMENT_LABELS[y]) for t, y in val], fingerprint(train + val)


def evaluate_examples(predictor: Predictor, examples: list[tuple[str, str]]) -> dict:
    """Metrics of a predictor on (input, label) pairs. An input the model refuses counts
    as wrong (with uniform probabilities), so refusing is never a way to score."""
    labels = predictor.labels
    probs = torch.full((len(examples), len(labels)), 1.0 / len(labels))
    each = predictor.prepare_many([raw for raw, _ in examples])
    answered = torch.tensor([not isinstance(p, InputError) for p in each], dtype=torch.bool)
    prepared = valid_only(each)
    if prepared:
        probs[answered] = predictor.probabilities(prepared)
    y = torch.tensor([labels.index(label) for _, label in examples])
    metrics = summarize(probs, y, labels, answered)
    metrics["refused"] = len(examples) - len(prepared)
    metrics["model_version"] = predictor.version
    return metrics


def evaluate(task: str, checkpoint: str | Path, data: str | Path | None,
             device: str = "cpu") -> dict:
    """Test-set metrics, plus the split protocol the model was trained on (models from
    before it was recorded were trained on the clean one)."""
    ckpt = load_checkpoint(checkpoint, task)
    metrics = evaluate_examples(Predictor(ckpt, device), test_set(task, data))
    metrics["protocol"] = ckpt.metrics.get("protocol", "clean")
    return metrics


def format_report(task: str, metrics: dict) -> str:
    lines = [
        f"{task} model {metrics['model_version']} on {metrics['n']} test examples",
        f"accuracy {metrics['accuracy']:.4f}   macro-F1 {metrics['macro_f1']:.4f}   "
        f"ECE {metrics['ece']:.4f}",
        "",
        f"{'class':<12} {'precision':>9} {'recall':>7} {'f1':>7} {'n':>6}",
    ]
    for label, r in metrics["per_class"].items():
        lines.append(f"{label:<12} {r['precision']:>9.3f} {r['recall']:>7.3f} {r['f1']:>7.3f} "
                     f"{r['support']:>6}")
    return "\n".join(lines)
