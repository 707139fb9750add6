"""Score a checkpoint on a task's held-out test set, through the serving pipeline."""

from __future__ import annotations

from pathlib import Path

import torch

from inference.checkpoint import load_checkpoint
from inference.errors import InputError
from inference.predictor import Predictor, valid_only
from training.metrics import summarize
from training.splits import test_set


def answer(predictor: Predictor, inputs: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Probabilities of each input (uniform where the model refuses it) and the mask of the
    inputs it answered."""
    probs = torch.full((len(inputs), len(predictor.labels)), 1.0 / len(predictor.labels))
    each = predictor.prepare_many(inputs)
    answered = torch.tensor([not isinstance(p, InputError) for p in each], dtype=torch.bool)
    prepared = valid_only(each)
    if prepared:
        probs[answered] = predictor.probabilities(prepared)
    return probs, answered


def evaluate_examples(predictor: Predictor, examples: list[tuple[str, str]]) -> dict:
    """Metrics of a predictor on (input, label) pairs. An input the model refuses counts
    as wrong (with uniform probabilities), so refusing is never a way to score."""
    labels = predictor.labels
    probs, answered = answer(predictor, [raw for raw, _ in examples])
    y = torch.tensor([labels.index(label) for _, label in examples])
    metrics = summarize(probs, y, labels, answered)
    metrics["refused"] = int((~answered).sum())
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
