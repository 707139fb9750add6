"""What a task's models are trained, calibrated and tested on: the splits of the data set its
spec names (TaskSpec.dataset), labelled with the spec's label names (TaskSpec.labels).

Evaluation, ensemble calibration and fine-tuning all read these, so a model is always judged
against the split protocol it was trained with. A new data set is one more class here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from inference.tasks import task_spec
from training.data import clean_name_splits, fingerprint, load_imdb, locate, split_validation

Pair = tuple[str, str]  # (raw input, label)


@dataclass(frozen=True)
class TrainVal:
    train: list[Pair]
    val: list[Pair]
    fingerprint: str  # what a checkpoint trained on these splits records as data_fingerprint


class Dataset(Protocol):
    def test(self, source: Path, labels: tuple[str, ...]) -> list[Pair]: ...

    def train_val(self, source: Path, labels: tuple[str, ...], seed: int) -> TrainVal: ...


class Surnames:
    """The clean protocol: unique names split 80/10/10 by name hash (training.data); no seed,
    and the labels are the data's own (one file per language)."""

    def test(self, source: Path, labels: tuple[str, ...]) -> list[Pair]:
        return clean_name_splits(source).test

    def train_val(self, source: Path, labels: tuple[str, ...], seed: int) -> TrainVal:
        splits = clean_name_splits(source)
        return TrainVal(splits.train, splits.val,
                        fingerprint(splits.train + splits.val + splits.test))


class Imdb:
    """The official IMDB test set; validation is a seeded 10% of the training reviews."""

    def test(self, source: Path, labels: tuple[str, ...]) -> list[Pair]:
        return [(text, labels[y]) for text, y in load_imdb(source, "test")]

    def train_val(self, source: Path, labels: tuple[str, ...], seed: int) -> TrainVal:
        train, val = split_validation(load_imdb(source, "train"), 0.1, seed)
        return TrainVal([(t, labels[y]) for t, y in train], [(t, labels[y]) for t, y in val],
                        fingerprint(train + val))


DATASETS: dict[str, Dataset] = {"names": Surnames(), "imdb": Imdb()}


def test_set(task: str, data: str | Path | None) -> list[Pair]:
    """(input, label) pairs of the task's test set."""
    spec = task_spec(task)
    return DATASETS[spec.dataset].test(locate(spec.dataset, data), spec.labels)


def train_val(task: str, data: str | Path | None, seed: int = 0) -> TrainVal:
    """The task's training and validation pairs, as the model trained with `seed` split them,
    and the fingerprint that model records (so a caller can check it is the same split)."""
    spec = task_spec(task)
    return DATASETS[spec.dataset].train_val(locate(spec.dataset, data), spec.labels, seed)
