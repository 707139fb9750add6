"""Checkpoints: safetensors weights plus the metadata needed to serve them faithfully.

A checkpoint carries its model config, vocabulary, labels, preprocessing version,
temperature (and, where it was calibrated on chat-length text, the temperature of short
inputs), data fingerprint and metrics, so loading one needs nothing else; and, where
they were made for it, its verdict thresholds (inference.verdict) and the labelled inputs
its known-input memory answers from (inference.memory). Weights are
stored in float16 (half the size in git, no measurable accuracy change) and the recorded
metrics are always those of the stored file itself.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from inference.errors import CheckpointError  # defined there, torch-free; re-exported here
from inference.models import Ensemble, ModelConfig, ModelSpec, SeqClassifier, build_model
from inference.tasks import UnknownPipeline, UnknownTask, task_spec
from inference.text import Pipeline, Vocab

__all__ = [
    "Checkpoint", "CheckpointError", "file_sha256", "load_checkpoint", "new_version",
    "save_checkpoint",
]


@dataclass
class Checkpoint:
    task: str
    config: ModelSpec
    vocab: Vocab
    labels: tuple[str, ...]
    state_dict: dict[str, torch.Tensor]
    version: str
    temperature: float = 1.0
    metrics: dict = field(default_factory=dict)
    data_fingerprint: str = ""
    created: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat())
    parent: str | None = None
    # the version of the task's input pipeline it was trained with, and is served with;
    # None: the version new training uses (TaskSpec.preprocess_version)
    preprocess_version: int | None = None
    # how answers are qualified (inference.verdict): thresholds chosen on validation for
    # this model; empty: every answer is "sure" (unless the input says otherwise)
    verdicts: dict = field(default_factory=dict)
    # (input, label) pairs of every split of its data set, which serving answers directly
    # (inference.memory); empty: no memory of the data
    known_inputs: tuple[tuple[str, str], ...] = ()
    # the temperature of short inputs, where it differs from a long one's: {"max_tokens": N,
    # "temperature": T} divides the logits of an input of at most N tokens by T instead of
    # `temperature` (a review-trained model is far more over-confident on a chat message than
    # on a review, training/short_text.py); empty: one temperature for every input
    short_temperature: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.preprocess_version is None:
            self.preprocess_version = task_spec(self.task).preprocess_version

    @property
    def pipeline(self) -> Pipeline:
        """The input pipeline this model was trained with, and is served with."""
        return task_spec(self.task).pipeline(self.preprocess_version)

    def temperatures(self, lengths: list[int]) -> torch.Tensor:
        """The temperature of each input of these lengths (in token ids), as a column."""
        short = self.short_temperature
        temps = [short["temperature"] if short and n <= short["max_tokens"]
                 else self.temperature for n in lengths]
        return torch.tensor(temps).unsqueeze(1)

    def build_model(self, device: torch.device | str = "cpu") -> SeqClassifier | Ensemble:
        model = build_model(self.config)
        model.load_state_dict({k: v.float() for k, v in self.state_dict.items()})
        return model.to(device).eval()


def new_version(task: str) -> str:
    return f"{task}-{datetime.now(timezone.utc).strftime('%Y%m%d-%H%M%S')}"


def save_checkpoint(ckpt: Checkpoint, path: str | Path) -> str:
    """Write atomically (temp file + rename) so a crash never leaves half a checkpoint.

    Returns the sha256 of the written file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {
        k: (v.detach().to("cpu", torch.float16) if v.is_floating_point() else v.detach().cpu())
        .contiguous()
        for k, v in ckpt.state_dict.items()
    }
    meta = {
        "task": ckpt.task,
        "config": json.dumps(ckpt.config.to_dict() if isinstance(ckpt.config, ModelConfig)
                             else [c.to_dict() for c in ckpt.config]),
        "vocab": json.dumps(list(ckpt.vocab.itos)),
        "labels": json.dumps(list(ckpt.labels)),
        "version": ckpt.version,
        "temperature": repr(ckpt.temperature),
        "metrics": json.dumps(ckpt.metrics),
        "data_fingerprint": ckpt.data_fingerprint,
        "created": ckpt.created,
        "parent": ckpt.parent or "",
        "preprocess_version": str(ckpt.preprocess_version),
    }
    if ckpt.verdicts:
        meta["verdicts"] = json.dumps(ckpt.verdicts)
    if ckpt.short_temperature:
        meta["short_temperature"] = json.dumps(ckpt.short_temperature)
    if ckpt.known_inputs:
        by_label: dict[str, list[str]] = {}
        for name, label in sorted(ckpt.known_inputs, key=lambda pair: (pair[1], pair[0])):
            by_label.setdefault(label, []).append(name)
        meta["known_inputs"] = json.dumps(by_label, ensure_ascii=False, separators=(",", ":"))
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        save_file(tensors, tmp, metadata=meta)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a model is meant to be served
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return file_sha256(path)


def load_checkpoint(path: str | Path, task: str | None = None) -> Checkpoint:
    """Load and validate a checkpoint; any problem is a CheckpointError with the reason."""
    path = Path(path)
    try:
        tensors = load_file(str(path))
        with safe_open(str(path), framework="pt") as fh:
            meta = fh.metadata() or {}
        ckpt = Checkpoint(
            task=meta["task"],
            config=parse_config(json.loads(meta["config"])),
            vocab=Vocab(tuple(json.loads(meta["vocab"]))),
            labels=tuple(json.loads(meta["labels"])),
            state_dict=tensors,
            version=meta["version"],
            temperature=float(meta["temperature"]),
            metrics=json.loads(meta["metrics"]),
            data_fingerprint=meta.get("data_fingerprint", ""),
            created=meta["created"],
            parent=meta.get("parent") or None,
            preprocess_version=int(meta["preprocess_version"]),
            verdicts=json.loads(meta.get("verdicts", "{}")),
            short_temperature=json.loads(meta.get("short_temperature", "{}")),
            known_inputs=tuple((str(name), str(label)) for label, names in
                               json.loads(meta.get("known_inputs", "{}")).items()
                               for name in names),
        )
    except FileNotFoundError as exc:
        raise CheckpointError(f"checkpoint not found: {path}") from exc
    except (SafetensorError, OSError, KeyError, ValueError, TypeError, AttributeError) as exc:
        raise CheckpointError(f"unreadable checkpoint {path}: {exc}") from exc
    if not isinstance(ckpt.verdicts, dict):
        raise CheckpointError(f"unreadable checkpoint {path}: verdicts must be an object")
    short = ckpt.short_temperature
    if short and not (isinstance(short, dict) and isinstance(short.get("max_tokens"), int)
                      and isinstance(short.get("temperature"), int | float)
                      and short["temperature"] > 0):
        raise CheckpointError(f"unreadable checkpoint {path}: short_temperature must be "
                              "{max_tokens: int, temperature: > 0}")
    if task is not None and ckpt.task != task:
        raise CheckpointError(f"{path} is a {ckpt.task!r} checkpoint, not {task!r}")
    try:  # a task and a preprocessing version this install has
        task_spec(ckpt.task).pipeline(ckpt.preprocess_version)
    except (UnknownTask, UnknownPipeline) as exc:
        raise CheckpointError(f"{path} cannot be served: {exc}") from exc
    try:
        ckpt.build_model()
    except (RuntimeError, KeyError) as exc:
        raise CheckpointError(f"weights in {path} do not match their config: {exc}") from exc
    return ckpt


def parse_config(raw: dict | list) -> ModelSpec:
    if isinstance(raw, list):
        return tuple(ModelConfig(**c) for c in raw)
    return ModelConfig(**raw)


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
