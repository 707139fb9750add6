"""Teach a trained sentiment model one more part of the chat mixture, in place.

Training again from scratch is a new draw of the seeds: the shipped recipe trained again
under pipeline v6 with its own seed read SST-2 dev 0.856 against the shipped model's 0.875,
and with the comparatives added 0.861 (docs/results.md). A lesson instead fine-tunes the
checkpoint on the part's examples alone, a sample of the mixture it was trained on replayed
as its own predictions: the learning loop's step (training/finetune.py `tune`), so the model
changes where the part teaches it something and as little as it can elsewhere. Then it is
calibrated for chat as a shipped model is (training/short_text.py), its test figures are
measured again, and it is saved as a new version whose data set names the part, so that
later fine-tunes replay the part too, and whose metrics list every lesson it was taught.

    python -m training lesson sentiment --checkpoint PATH --part compared --data ../shared/data
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, replace
from pathlib import Path

import torch

from inference.checkpoint import Checkpoint, load_checkpoint, save_checkpoint, unique_version
from inference.predictor import Predictor
from training.evaluate import evaluate_examples
from training.finetune import FinetuneConfig, original_data, tune
from training.recipes import UsageError
from training.short_text import calibrate
from training.splits import DATASETS, ChatSentiment, Pair

# every lesson example once an epoch, beside four times as many replayed ones (finetune's
# own ratio), for two epochs at finetune's constant learning rate (annealed, with a third
# of the comparatives and twice the replay, a lesson moves less but teaches too little:
# docs/results.md)
LESSON = FinetuneConfig(epochs=2, feedback_repeats=1)
# what a lesson may add: every part of the mixture but "double", which goes with "frames"
PARTS = tuple(part for part in ChatSentiment.PARTS if part != "double")


def with_part(trained_on: str, part: str) -> ChatSentiment:
    """The chat mixture a model trained on `trained_on` has after a lesson of `part`."""
    mixture = DATASETS.get(trained_on)
    if not isinstance(mixture, ChatSentiment):
        raise UsageError(f"a lesson adds to the chat mixture; this model was trained on "
                         f"{trained_on!r}")
    if getattr(mixture, part):
        raise UsageError(f"{trained_on} already holds {part}")
    return ChatSentiment(**{p: getattr(mixture, p) or p == part for p in ChatSentiment.PARTS})


def lesson_examples(ckpt: Checkpoint, taught: ChatSentiment,
                    data: str | Path | None) -> list[Pair]:
    """What the mixture `taught` adds to the model's own short texts, drawn as the model's
    were (its seed)."""
    seed = ckpt.metrics.get("hyperparameters", {}).get("seed", 0)
    before, _ = DATASETS[ckpt.metrics["dataset"]].short(data, seed)
    after, _ = taught.short(data, seed)
    added = Counter(after) - Counter(before)
    examples = []
    for text, y in after:
        if added[text, y] > 0:
            added[text, y] -= 1
            examples.append((text, ckpt.labels[y]))
    return examples


def lesson_command(task: str, checkpoint: Path, data: str | Path | None, part: str,
                   cfg: FinetuneConfig = LESSON) -> Checkpoint:
    """Teach the checkpoint `part` in place, as a new version."""
    if task != "sentiment":
        raise UsageError("lessons are parts of the chat mixture, which only sentiment has")
    parent = load_checkpoint(checkpoint, task)
    mixture = with_part(parent.metrics.get("dataset", ""), part)
    examples = lesson_examples(parent, mixture, data)
    if not examples:
        raise UsageError(f"{part} adds nothing to this data")
    original = original_data(task, data, parent, cfg)
    taught, info = tune(parent, examples, original, cfg, torch.device("cpu"))
    taught = replace(taught, version=unique_version(task, {parent.version}),
                     metrics=dict(parent.metrics))
    calibration = calibrate(taught, data)
    test = evaluate_examples(Predictor(taught, "cpu"), original.test)
    taught.metrics = {
        **taught.metrics, "dataset": mixture.name, "test_accuracy": test["accuracy"],
        "test_macro_f1": test["macro_f1"], "test_ece": test["ece"], "test_n": test["n"],
        "lessons": [*parent.metrics.get("lessons", []), {
            "part": part, "examples": len(examples), "parent": parent.version, **info,
            **{k: v for k, v in asdict(cfg).items()
               if k in ("epochs", "lr", "feedback_repeats", "replay_ratio", "anneal")}}]}
    save_checkpoint(taught, checkpoint)
    print(f"{checkpoint}: {taught.version} (from {parent.version}): taught {part}, "
          f"{len(examples)} examples; test accuracy {test['accuracy']:.4f} "
          f"(was {parent.metrics.get('test_accuracy', float('nan')):.4f}); not sure below "
          f"{calibration['not_sure_below']:.4f}")
    return taught
