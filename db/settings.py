"""The keys the database package reads (python -m db, and the bot through it)."""

from __future__ import annotations

from dataclasses import dataclass

from settings import number, setting
from settings.database import DatabaseSettings


@dataclass(frozen=True)
class DbSettings(DatabaseSettings):
    """User privacy. The keys of the db package (python -m db, and the bot through it)."""

    hash_secret: str | None = setting(
        "SEQBOT_HASH_SECRET", None,
        "Secret key for hashing Discord user ids before they are stored (required for the bot; "
        "the console generates a local one beside a new database). At least 16 characters; "
        "the database keeps a keyed fingerprint of it and refuses any other secret. Keep it "
        "safe: losing it makes /forget-me unable to find earlier data. Generate one with:\n"
        "  python -c \"import secrets; print(secrets.token_urlsafe(32))\"",
        secret=True)
    model_sync_s: float = setting(
        "SEQBOT_MODEL_SYNC_S", 5.0,
        "Seconds between reads of the model registry's production versions (the database), "
        "by a bot serving its own models and by `python -m db models sync --follow`. On "
        "PostgreSQL promotions and rollbacks are also announced at once (LISTEN/NOTIFY); on "
        "SQLite this is how soon they are seen. 0 stops a bot following the registry.",
        number(at_least=0))
