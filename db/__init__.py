"""Feedback storage for seqbot: predictions, votes, consensus, model versions, erasure."""

from db.consensus import ConsensusRule
from db.errors import (
    ConstraintError,
    DatabaseClosed,
    DatabaseUnavailable,
    MigrationError,
    MissingSecretError,
    SecretError,
    StoreError,
    UnknownModelVersion,
    UnknownPrediction,
    WeakSecretError,
    WrongSecretError,
)
from db.privacy import SECRET_ENV, Hasher, resolve_secret
from db.records import (
    CONFIRMED,
    MODEL_STATUSES,
    AgreedExample,
    LoggedPrediction,
    ModelVersion,
    VoterGroup,
    VoterStats,
    VoteTally,
)
from db.store import MAX_RETENTION_DAYS, FeedbackStore
from settings.database import DB_ENV, DEFAULT_DB, DatabaseLocation, parse_location

__all__ = [
    "CONFIRMED",
    "DB_ENV",
    "DEFAULT_DB",
    "MAX_RETENTION_DAYS",
    "MODEL_STATUSES",
    "SECRET_ENV",
    "AgreedExample",
    "ConsensusRule",
    "ConstraintError",
    "DatabaseClosed",
    "DatabaseLocation",
    "DatabaseUnavailable",
    "FeedbackStore",
    "Hasher",
    "LoggedPrediction",
    "MigrationError",
    "MissingSecretError",
    "ModelVersion",
    "SecretError",
    "StoreError",
    "UnknownModelVersion",
    "UnknownPrediction",
    "VoteTally",
    "VoterGroup",
    "VoterStats",
    "WeakSecretError",
    "WrongSecretError",
    "parse_location",
    "resolve_secret",
]
