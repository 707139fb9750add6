"""The keys the training package reads (python -m training, and its data helpers)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from inference.settings import InferenceSettings
from settings import number, path, setting


@dataclass(frozen=True)
class TrainingSettings(InferenceSettings):
    """Training data and the learning loop. The keys only training reads (python -m
    training, and its data helpers); the database and the models come from
    InferenceSettings."""

    data: Path | None = setting(
        "SEQBOT_DATA", None,
        "Local data sets for training and evaluation: an archive, or a folder holding the "
        "archives (data.zip, aclImdb_v1.tar.gz, ...) or their extracted contents. A data set "
        "not found there is downloaded once into SEQBOT_CACHE.", parse=path)
    cache: Path = setting(
        "SEQBOT_CACHE", Path.home() / ".cache" / "seqbot",
        "Where downloaded data sets are kept.", parse=path, shown="~/.cache/seqbot")
    finetune_max_share: float = setting(
        "SEQBOT_FINETUNE_MAX_SHARE", 0.2,
        "The largest share of one finetune's training examples a single voter, or a tight "
        "group of voters, may support; their examples beyond it are left out of that run.",
        number(above=0, at_most=1))
