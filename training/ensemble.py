"""Average trained checkpoints into one served model (inference.models.Ensemble).

Members must share task, labels, vocabulary and data split: the ensemble's temperature is
fitted on the validation split, which must be held out from every member. It is scored on
the test set through the serving pipeline, on the CPU, like any trained checkpoint.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import torch

from inference.checkpoint import Checkpoint, load_checkpoint, new_version, save_checkpoint
from inference.predictor import Predictor
from inference.registry import shipped_checkpoint
from training.evaluate import evaluate_examples, format_report
from training.finetune import encode_pairs
from training.fit import write_reports
from training.loop import predict_logits
from training.metrics import fit_temperature
from training.recipes import recipe
from training.splits import test_set, train_val


class EnsembleError(ValueError):
    """Members that cannot be averaged; the message says why."""


def combine(members: list[Checkpoint]) -> Checkpoint:
    """One checkpoint holding every member's weights and calibration (temperature 1)."""
    if len(members) < 2:
        raise EnsembleError("an ensemble needs at least two checkpoints")
    first = members[0]
    for m in members[1:]:
        for what in ("task", "labels", "vocab", "data_fingerprint", "preprocess_version"):
            if getattr(m, what) != getattr(first, what):
                raise EnsembleError(f"{m.version} and {first.version} differ in {what}")
    if any(isinstance(m.config, tuple) for m in members):
        raise EnsembleError("members must be single models, not ensembles")
    state = {f"members.{i}.{k}": v for i, m in enumerate(members) for k, v in m.state_dict.items()}
    # at the precision the file stores them in, like the members' weights
    state["temperatures"] = torch.tensor([m.temperature for m in members]).half().float()
    return Checkpoint(task=first.task, config=tuple(m.config for m in members),
                      vocab=first.vocab, labels=first.labels, state_dict=state,
                      version=new_version(first.task), data_fingerprint=first.data_fingerprint,
                      preprocess_version=first.preprocess_version)


def build(task: str, paths: list[Path], data: str | Path | None, out_dir: Path, *,
          seed: int = 0, ship: bool = False) -> tuple[Path, dict]:
    members = [load_checkpoint(p, task) for p in paths]
    ckpt = combine(members)
    trained_on = members[0].metrics.get("dataset")
    splits = train_val(task, data, seed, trained_on)
    if splits.fingerprint != ckpt.data_fingerprint:
        raise EnsembleError("the members were not trained on this data split (fingerprint "
                            f"{ckpt.data_fingerprint}, this data gives {splits.fingerprint})")
    seqs, ys = encode_pairs(ckpt, splits.val)
    ckpt.temperature = fit_temperature(predict_logits(ckpt.build_model(), seqs, 256,
                                                      torch.device("cpu")), torch.tensor(ys))
    metrics = evaluate_examples(Predictor(ckpt, "cpu"), test_set(task, data, trained_on))
    ckpt.metrics = {
        "test_accuracy": metrics["accuracy"], "test_macro_f1": metrics["macro_f1"],
        "test_ece": metrics["ece"], "test_n": metrics["n"], "temperature": ckpt.temperature,
        "members": [{"version": m.version, "test_accuracy": m.metrics.get("test_accuracy"),
                     "test_macro_f1": m.metrics.get("test_macro_f1")} for m in members],
        # the seed of the validation split it was calibrated on: finetune replays the
        # training reviews of that split, and recalibrates on its validation reviews
        "hyperparameters": {"seed": seed},
        **({"dataset": trained_on} if trained_on else {}),
    }
    path = out_dir / f"{task}.safetensors"
    save_checkpoint(ckpt, path)
    write_reports(task, metrics, None, ckpt, out_dir)
    print(format_report(task, metrics))
    if (report_more := recipe(task).report_more) is not None:
        report_more(path, out_dir)
    for m in ckpt.metrics["members"]:
        print(f"member {m['version']}: accuracy {m['test_accuracy']}, "
              f"macro-F1 {m['test_macro_f1']}")
    print(f"checkpoint {path}")
    if ship:
        shutil.copyfile(path, shipped_checkpoint(task))
        print(f"shipped as {shipped_checkpoint(task)}")
    return path, metrics
