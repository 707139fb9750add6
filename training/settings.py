"""The keys the training package reads (python -m training, and its data helpers)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from inference.settings import InferenceSettings
from settings import path, setting


@dataclass(frozen=True)
class TrainingSettings(InferenceSettings):
    """Training data. The keys only training reads (python -m training, and its data
    helpers); the database and the models come from InferenceSettings."""

    data: Path | None = setting(
        "SEQBOT_DATA", None,
        "Local data sets for training and evaluation: an archive, or a folder holding the "
        "archives (data.zip, aclImdb_v1.tar.gz, ...) or their extracted contents. A data set "
        "not found there is downloaded once into SEQBOT_CACHE.", parse=path)
    cache: Path = setting(
        "SEQBOT_CACHE", Path.home() / ".cache" / "seqbot",
        "Where downloaded data sets are kept.", parse=path, shown="~/.cache/seqbot")
