"""Immutable records returned by the store, so callers never depend on column order or rows."""

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from db.connection import Row
from db.timestamps import from_db

# What a task name looks like; the schema checks the same (db/migrations.py, v7). Which tasks
# exist is the inference task spec's business: the store keeps rows of any well-formed name,
# so a task can be added without touching the database, and the rows of a task no longer
# served stay readable and erasable.
TASK_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
MODEL_STATUSES = ("candidate", "production", "retired", "rejected")
CONFIRMED = "confirmed"
"""Vote label meaning "the prediction's own label is right", so buttons need not know it."""


def check_task(task: str) -> str:
    if not isinstance(task, str) or not TASK_NAME.fullmatch(task):
        raise ValueError(f"{task!r} is not a task name (lower-case letters, digits and _, "
                         "starting with a letter, at most 32)")
    return task


def check_model_status(status: str) -> str:
    if status not in MODEL_STATUSES:
        raise ValueError(f"unknown model status {status!r}; expected one of {MODEL_STATUSES}")
    return status


@dataclass(frozen=True)
class LoggedPrediction:
    """A prediction as the store logged it (the model's answer itself is an
    inference.results.Prediction)."""

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


def prediction_from_row(row: Row) -> LoggedPrediction:
    return LoggedPrediction(
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
    voter_hashes: tuple[str, ...] = ()
    voter_group: str = ""


@dataclass(frozen=True)
class VoterStats:
    """How often one (hashed) voter sides with the final consensus, to expose adversaries."""

    voter_hash: str
    votes: int
    decided: int
    agreed: int
    agreement: float | None
    ignored: bool  # quarantined: their votes do not count until released
    trust: float = 0.0  # estimated chance their label is right (db.trust)
    evaluated: int = 0  # votes the estimate could check against a reference
    group: str = ""  # the flagged group they vote with, if any
    moderator: bool = False  # voted as a moderator: decides alone, so not estimated


@dataclass(frozen=True)
class VoterGroup:
    """Voters flagged for voting together, and why (db.trust.find_groups)."""

    group_id: str
    members: tuple[str, ...]
    items: int
    reasons: tuple[str, ...]
    quarantined: bool


@dataclass(frozen=True)
class ModelVersion:
    task: str
    version: str
    path: str
    checksum: str
    metrics: dict[str, Any]
    status: str
    created_at: datetime
