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
import math
import os
import struct
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load, save_file

from inference.errors import CheckpointError  # defined there, torch-free; re-exported here
from inference.models import Ensemble, ModelConfig, ModelSpec, SeqClassifier, build_model
from inference.registry import read_regular
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


def unique_version(task: str, taken: set[str]) -> str:
    """A new version none of `taken` has: a command that makes one from another (a
    calibration in place, a lesson, a fine-tune) may finish within the second it began."""
    base = version = new_version(task)
    suffix = 0
    while version in taken:
        suffix += 1
        version = f"{base}-{suffix}"
    return version


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
    """Load and validate a checkpoint; any problem is a CheckpointError with the reason.

    Only a regular file is read (a FIFO or a device named *.safetensors is refused before
    any read can block), and it is read once, so what is checked is what is served. The
    checks go past parsing: labels must name the output layer's classes, the vocabulary
    the embedding's rows, the temperature must be finite and positive and every weight
    finite, since a checkpoint that loads but does not fit answers nonsense (NaN, an
    inverted ranking) rather than failing. Messages name the file, never its directory,
    since they reach HTTP answers.
    """
    path = Path(path)
    name = path.name
    try:
        data = read_regular(path)
        tensors = load(data)
        meta = header_metadata(data)
        ckpt = Checkpoint(
            task=meta["task"],
            config=parse_config(json.loads(meta["config"])),
            vocab=Vocab(_strings(json.loads(meta["vocab"]), "vocabulary")),
            labels=_strings(json.loads(meta["labels"]), "labels"),
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
        raise CheckpointError(f"checkpoint not found: {name}") from exc
    except OSError as exc:  # its text would name the full path
        raise CheckpointError(f"unreadable checkpoint {name}: {exc.strerror or exc}") from exc
    except (SafetensorError, KeyError, ValueError, TypeError, AttributeError,
            RecursionError) as exc:  # RecursionError: metadata nested too deeply
        raise CheckpointError(f"unreadable checkpoint {name}: {_short(exc)}") from exc
    if not isinstance(ckpt.verdicts, dict):
        raise CheckpointError(f"unreadable checkpoint {name}: verdicts must be an object")
    short = ckpt.short_temperature
    if short and not (isinstance(short, dict) and isinstance(short.get("max_tokens"), int)
                      and isinstance(short.get("temperature"), int | float)
                      and math.isfinite(short["temperature"]) and short["temperature"] > 0):
        raise CheckpointError(f"unreadable checkpoint {name}: short_temperature must be "
                              "{max_tokens: int, temperature: finite and > 0}")
    if task is not None and ckpt.task != task:
        raise CheckpointError(f"{name} is a {ckpt.task!r} checkpoint, not {task!r}")
    try:  # a task and a preprocessing version this install has
        task_spec(ckpt.task).pipeline(ckpt.preprocess_version)
    except (UnknownTask, UnknownPipeline) as exc:
        raise CheckpointError(f"{name} cannot be served: {exc}") from exc
    check_fits(ckpt, name)
    try:
        ckpt.build_model()
    except (RuntimeError, KeyError, ValueError, TypeError) as exc:
        raise CheckpointError(f"weights in {name} do not match their config: "
                              f"{_short(exc)}") from exc
    return ckpt


def header_metadata(data: bytes) -> dict[str, str]:
    """The string metadata of a safetensors file's header (already validated by `load`)."""
    (size,) = struct.unpack("<Q", data[:8])
    meta = json.loads(data[8:8 + size]).get("__metadata__") or {}
    if not all(isinstance(v, str) for v in meta.values()):
        raise ValueError("metadata values must be strings")
    return meta


def _strings(raw: object, what: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise ValueError(f"the {what} must be a list of strings")
    return tuple(raw)


def _short(exc: BaseException, limit: int = 200) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= limit else text[:limit] + "…"


def check_fits(ckpt: Checkpoint, name: str) -> None:
    """Refuse a checkpoint whose parts do not fit together (see load_checkpoint)."""
    members = ckpt.config if isinstance(ckpt.config, tuple) else (ckpt.config,)
    if not members:
        raise CheckpointError(f"{name} has no model config")
    labels = len(ckpt.labels)
    if not labels or len(set(ckpt.labels)) != labels:
        raise CheckpointError(f"{name} has no labels or repeats one")
    for config in members:
        if config.n_classes != labels:
            raise CheckpointError(f"{name} has {labels} labels for an output layer of "
                                  f"{config.n_classes}")
        if config.vocab_size != len(ckpt.vocab.itos):
            raise CheckpointError(f"{name} has a vocabulary of {len(ckpt.vocab.itos)} for an "
                                  f"embedding of {config.vocab_size} rows")
    if not (math.isfinite(ckpt.temperature) and ckpt.temperature > 0):
        raise CheckpointError(f"{name} has temperature {ckpt.temperature!r}; it must be "
                              "finite and positive")
    for key, tensor in ckpt.state_dict.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise CheckpointError(f"{name} has weights that are not finite ({key})")
    members_t = ckpt.state_dict.get("temperatures")  # an ensemble's, one per member
    if members_t is not None and not bool((members_t > 0).all()):
        raise CheckpointError(f"{name} has ensemble member temperatures that are not "
                              "positive")


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
