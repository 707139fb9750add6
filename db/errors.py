"""Exceptions callers are expected to catch, kept apart so every module can raise them."""


class StoreError(Exception):
    """Base class, so the bot can catch every storage failure in one place."""


class UnknownPrediction(StoreError, LookupError):
    """A vote or lookup named a prediction id that was never logged or has been erased."""


class UnknownModelVersion(StoreError, LookupError):
    """A status change named a model version that was never registered."""


class DatabaseClosed(StoreError):
    """An operation arrived after close() began; accepting it could lose it."""


class MigrationError(StoreError):
    """The schema could not be brought to the version this code expects."""


class MissingSecretError(StoreError):
    """Discord ids cannot be hashed without the secret, and must never be stored raw."""


class ConstraintError(StoreError):
    """A write broke a uniqueness, reference or check constraint of the schema."""


class DatabaseUnavailable(StoreError):
    """The database server could not be reached or refused the connection."""


class UnknownVoterGroup(StoreError, LookupError):
    """No flagged (or quarantined) voter group has this id."""
