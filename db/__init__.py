"""Feedback storage for seqbot: predictions, votes, consensus, model versions, erasure."""

from db.consensus import ConsensusRule
from db.errors import (
    DatabaseClosed,
    MigrationError,
    MissingSecretError,
    StoreError,
    UnknownModelVersion,
    UnknownPrediction,
)
from db.privacy import SECRET_ENV, Hasher, resolve_secret
from db.records import (
    CONFIRMED,
    MODEL_STATUSES,
    AgreedExample,
    LoggedPrediction,
    ModelVersion,
    VoterStats,
    VoteTally,
)
from db.store import MAX_RETENTION_DAYS, FeedbackStore

__all__ = [
    "CONFIRMED",
    "MAX_RETENTION_DAYS",
    "MODEL_STATUSES",
    "SECRET_ENV",
    "AgreedExample",
    "ConsensusRule",
    "DatabaseClosed",
    "FeedbackStore",
    "Hasher",
    "LoggedPrediction",
    "MigrationError",
    "MissingSecretError",
    "ModelVersion",
    "StoreError",
    "UnknownModelVersion",
    "UnknownPrediction",
    "VoteTally",
    "VoterStats",
    "resolve_secret",
]
