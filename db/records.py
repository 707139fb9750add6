"""Immutable records returned by the store, so callers never depend on column order or rows."""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from db.connection import Row
from db.timestamps import from_db

TASKS = ("origin", "sentiment")
MODEL_STATUSES = ("candidate", "production", "retired", "rejected")
CONFIRMED = "confirmed"
"""Vote label meaning "the prediction's own label is right", so buttons need not know it."""


def check_task(task: str) -> str:
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {TASKS}")
    return task


def check_model_status(status: str) -> str:
    if status not in MODEL_STATUSES:
        raise ValueError(f"unknown model status {status!r}; expected one of {MODEL_STATUSES}")
    return status


@dataclass(frozen=True)
class Prediction:
    id: int
    task: str
    input_text: str
    normalized: str
    model_version: str
    label: str
    top: list[tuple[str, float]]
    guild_id: int | None
    channel_id: int | None
    author_hash: str | None
    created_at: datetime


def prediction_from_row(row: Row) -> Prediction:
    return Prediction(
        id=row["id"],
        task=row["task"],
        input_text=row["input_text"],
        normalized=row["normalized"],
        model_version=row["model_version"],
        label=row["label"],
        top=[(name, p) for name, p in json.loads(row["top_json"])],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        author_hash=row["author_hash"],
        created_at=from_db(row["created_at"]),
    )


@dataclass(frozen=True)
class VoteTally:
    """Votes on one prediction, ignored voters left out and 'confirmed' counted as its label."""

    prediction_id: int
    top_label: str
    counts: dict[str, int]
    voters: int
    said_right: int
    consensus: str | None
    by_moderator: bool


@dataclass(frozen=True)
class AgreedExample:
    """A community-approved label, with enough context to export, audit and weight it."""

    prediction_id: int
    task: str
    input_text: str
    normalized: str
    label: str
    model_label: str
    model_version: str
    model_was_right: bool
    voters: int
    by_moderator: bool
    created_at: datetime
    last_vote_at: datetime


@dataclass(frozen=True)
class VoterStats:
    """How often one (hashed) voter sides with the final consensus, to expose adversaries."""

    voter_hash: str
    votes: int
    decided: int
    agreed: int
    agreement: float | None
    ignored: bool


@dataclass(frozen=True)
class ModelVersion:
    task: str
    version: str
    path: str
    checksum: str
    metrics: dict[str, Any]
    status: str
    created_at: datetime
