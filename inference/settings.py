"""The keys the inference package reads (python -m inference, and the bot and training
through it); importing this module does not import torch."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from settings import path, setting, strong_secret
from settings.database import DatabaseSettings


@dataclass(frozen=True)
class InferenceSettings(DatabaseSettings):
    """Models. The keys of the inference package (python -m inference, and the bot and
    training through it)."""

    model_dir: Path | None = setting(
        "SEQBOT_MODEL_DIR", None,
        "Where promoted models live (<dir>/<task>/<version>.safetensors plus CURRENT). "
        "Default: models/ beside a SQLite SEQBOT_DB; with PostgreSQL, models/ in the working "
        "directory. Without promoted models, the shipped weights serve.", parse=path)
    device: str = setting("SEQBOT_DEVICE", "auto",
                          "Device for the models: auto, cpu, cuda, cuda:N or mps.")
    inference_secret: str | None = setting(
        "INFERENCE_SECRET", None,
        "Shared secret of the inference service (`python -m inference serve`): the service "
        "requires it on every request when set, and the bot sends it (see INFERENCE_URL). "
        "At least 16 characters.", parse=strong_secret, secret=True)

    @property
    def models(self) -> Path:
        """SEQBOT_MODEL_DIR, else `models/` beside a SQLite database (in the working directory
        for a PostgreSQL one): the one folder the bot, the inference service and
        `python -m training finetune` all serve or promote into."""
        return self.model_dir if self.model_dir is not None else self.db.default_model_dir()
