"""Make a trained checkpoint ready to serve: what it answers from memory, and how sure.

`python -m training ready <task> --checkpoint PATH --data D` writes into the checkpoint:
- its known inputs (inference.memory), for a task whose spec keeps them: the (input, label)
  pairs of every split of its data set, which serving answers directly (an evaluation
  never does: a Predictor answers from a memory only when given one);
- its verdict thresholds (inference.verdict), chosen on the validation split by the task's
  recipe (`Recipe.choose_verdicts`), on the answers as served: the model and the clues of
  the input's writing, without the memory;
- its test metrics, of the answers as served (the model and the clues), so that
  `python -m training evaluate` reproduces them exactly.
The model itself is not changed: weights, vocabulary, temperature and version stay. The
origin recipe runs this after training; finetune chooses the verdicts of a candidate again
on its calibration split, and keeps its parent's known inputs.
"""

from __future__ import annotations

from pathlib import Path

import torch

from inference.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from inference.errors import InputError
from inference.predictor import Predictor, valid_only
from inference.tasks import task_spec
from training.data import fingerprint
from training.evaluate import evaluate_examples
from training.recipes import recipe
from training.splits import Pair, test_set, train_val


def answers(predictor: Predictor, pairs: list[Pair]) -> tuple[torch.Tensor, torch.Tensor]:
    """Each readable input's top probability as served (no memory), and whether it was
    right."""
    each = predictor.prepare_many([raw for raw, _ in pairs])
    probs = predictor.probabilities(valid_only(each))
    ys = torch.tensor([predictor.labels.index(label) for (_, label), p in
                       zip(pairs, each, strict=True) if not isinstance(p, InputError)])
    top, label = probs.max(dim=-1)
    return top, label == ys


def sure_threshold(top: torch.Tensor, right: torch.Tensor, accuracy: float) -> float:
    """The lowest top probability at and above which the answers are right at least
    `accuracy` of the time (the answers taken most confident first); 1.0 if no such set."""
    order = torch.argsort(top, descending=True)
    hits = right[order].float().cumsum(0) / torch.arange(1, len(top) + 1)
    ok = torch.nonzero(hits >= accuracy).flatten()
    return round(float(top[order][ok.max()]), 4) if len(ok) else 1.0


def choose_verdicts(predictor: Predictor, val: list[Pair]) -> dict:
    """The task recipe's verdict thresholds for this model; {} where it chooses none."""
    choose = recipe(predictor.task).choose_verdicts
    return choose(predictor, val) if choose is not None else {}


def ready(ckpt: Checkpoint, data: str | Path | None, seed: int = 0) -> dict:
    """Known inputs, verdicts and test metrics into `ckpt` (in memory); the test metrics."""
    trained_on = ckpt.metrics.get("dataset")
    splits = train_val(ckpt.task, data, seed, trained_on)
    test = test_set(ckpt.task, data, trained_on)
    if task_spec(ckpt.task).memory is not None:
        ckpt.known_inputs = tuple(sorted(set(splits.train + splits.val + test)))
    ckpt.verdicts = {**ckpt.verdicts, **choose_verdicts(Predictor(ckpt, "cpu"), splits.val)}
    metrics = evaluate_examples(Predictor(ckpt, "cpu"), test)
    ckpt.metrics = {
        **ckpt.metrics, "test_accuracy": metrics["accuracy"],
        "test_macro_f1": metrics["macro_f1"], "test_ece": metrics["ece"],
        "test_n": metrics["n"],
        # what the memory holds, and of which data: the fingerprint the model's own
        # training recorded (data_fingerprint) when it is the same data
        "known_inputs": {"pairs": len(ckpt.known_inputs),
                         "fingerprint": fingerprint(sorted(ckpt.known_inputs)),
                         "data_fingerprint": splits.fingerprint},
    }
    return metrics


def ready_command(task: str, checkpoint: Path, data: str | Path | None) -> dict:
    ckpt = load_checkpoint(checkpoint, task)
    seed = ckpt.metrics.get("hyperparameters", {}).get("seed", 0)
    metrics = ready(ckpt, data, seed)
    save_checkpoint(ckpt, checkpoint)
    print(f"{checkpoint}: {len(ckpt.known_inputs)} known inputs, verdicts {ckpt.verdicts}, "
          f"test accuracy {metrics['accuracy']:.4f}, macro-F1 {metrics['macro_f1']:.4f}")
    return metrics
