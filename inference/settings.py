"""The keys the inference package reads (python -m inference, and the bot and training
through it); importing this module does not import torch."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from settings import count, number, path, setting, strong_secret, switch
from settings.database import DatabaseSettings

HEADER_TIMEOUT_S = 10.0
IDLE_TIMEOUT_S = 60.0
MAX_CONNECTIONS = 512


def positive(raw: str) -> int:
    value = count(raw)
    if value < 1:
        raise ValueError(f"must be a whole number >= 1, got {raw!r}")
    return value


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
    int8: bool = setting(
        "SEQBOT_INT8", True,
        "On a CPU, serve each model whose answers were measured to agree with fp32 in int8 "
        "(dynamic quantization of its RNN and linear layers; docs/scaling.md). 0 serves "
        "every model as stored. Never applies to CUDA or MPS.", switch)
    inference_secret: str | None = setting(
        "INFERENCE_SECRET", None,
        "Shared secret of the inference service (`python -m inference serve`): the service "
        "requires it on every request when set, and the bot sends it (see INFERENCE_URL). "
        "At least 16 characters.", parse=strong_secret, secret=True)

    model_load_timeout_s: float = setting(
        "SEQBOT_MODEL_LOAD_TIMEOUT_S", 60.0,
        "Seconds reading, checking and probing a checkpoint may take before it is refused "
        "(the model already serving stays): a file that blocks, such as one on a hung network "
        "share, never holds the service.", parse=number(above=0))

    header_timeout_s: float = setting(
        "INFERENCE_HEADER_TIMEOUT_S", HEADER_TIMEOUT_S,
        "`python -m inference serve`: seconds a new connection may take to send its first "
        "request's headers before it is closed.", parse=number(above=0))
    idle_timeout_s: float = setting(
        "INFERENCE_IDLE_TIMEOUT_S", IDLE_TIMEOUT_S,
        "`python -m inference serve`: seconds a connection may stay idle between requests "
        "(or in a later request's headers) before it is closed.", parse=number(above=0))
    max_connections: int = setting(
        "INFERENCE_MAX_CONNECTIONS", MAX_CONNECTIONS,
        "`python -m inference serve`: open connections at most; one more is answered 503 and "
        "closed. Keep it well below the process's file descriptor limit (ulimit -n).",
        parse=positive)

    @property
    def models(self) -> Path:
        """SEQBOT_MODEL_DIR, else `models/` beside a SQLite database (in the working directory
        for a PostgreSQL one): the one folder the bot, the inference service and
        `python -m training finetune` all serve or promote into."""
        return self.model_dir if self.model_dir is not None else self.db.default_model_dir()
