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


class SecretError(StoreError):
    """The hash secret is missing, too weak for a new database, or not the database's own."""


class MissingSecretError(SecretError):
    """Discord ids cannot be hashed without the secret, and must never be stored raw."""


class WrongSecretError(SecretError):
    """The secret is not the one the database's hashes were made with: it would find none of
    them (an erasure would erase nothing) and write rows no other process can match."""


class WeakSecretError(SecretError):
    """A new database needs a secret long enough that its hashes cannot be brute-forced."""


class ConstraintError(StoreError):
    """A write broke a uniqueness, reference or check constraint of the schema."""


class DatabaseUnavailable(StoreError):
    """The database server could not be reached or refused the connection."""


class DatabaseCorrupt(StoreError):
    """The file is not a SQLite database, is truncated, or failed the integrity check."""


class UnknownVoterGroup(StoreError, LookupError):
    """No flagged (or quarantined) voter group has this id."""
