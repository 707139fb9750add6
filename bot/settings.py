"""Configuration, read once at start-up and passed down, so nothing else reads the environment.

Values come from `.env` (python-dotenv) with real environment variables taking precedence.
Every key, with its default, is documented in `.env.example`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

from db import DEFAULT_DB, MAX_RETENTION_DAYS, DatabaseLocation, parse_location

Getter = Callable[[str], "str | None"]


class SettingsError(ValueError):
    """A configuration value that cannot be used; the message names the key."""


@dataclass(frozen=True)
class Settings:
    token: str | None = field(default=None, repr=False)
    db: DatabaseLocation = field(default_factory=lambda: parse_location(DEFAULT_DB))
    device: str = "auto"
    inference_url: str | None = None
    inference_secret: str | None = field(default=None, repr=False)
    dev_guild_id: int | None = None
    owner_ids: frozenset[int] = frozenset()
    moderator_role_ids: frozenset[int] = frozenset()
    model_dir: Path | None = None  # None: `models/` beside the database
    hash_secret: str | None = field(default=None, repr=False)
    cooldown_rate: int = 3
    cooldown_per: float = 15.0
    retention_days: float = 90.0
    log_level: str = "INFO"
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None
    model_watch_s: float = 60.0
    defer_after_s: float = 1.5
    shutdown_grace_s: float = 10.0

    @property
    def models(self) -> Path:
        """SEQBOT_MODEL_DIR, else `models/` beside a SQLite database, or in the working
        directory for a PostgreSQL one."""
        return self.model_dir if self.model_dir is not None else self.db.default_model_dir()

    @property
    def sharded(self) -> bool:
        return self.shard_count is not None or self.shard_ids is not None

    def secrets(self) -> list[str]:
        """Values that must never reach a log line."""
        return [s for s in (self.token, self.inference_secret, self.hash_secret,
                            self.db.password) if s]

    @classmethod
    def load(
        cls, env: Mapping[str, str] | None = None, dotenv_path: str | Path | None = ".env"
    ) -> Settings:
        """Read `.env` (if any) overlaid by `env` (default: the process environment)."""
        values: dict[str, str] = {}
        if dotenv_path is not None and Path(dotenv_path).is_file():
            values.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
        values.update(os.environ if env is None else env)
        return cls.from_mapping(values)

    @classmethod
    def from_mapping(cls, values: Mapping[str, str]) -> Settings:
        def get(key: str) -> str | None:
            value = values.get(key, "").strip()
            return value or None

        shard_count = _int(get, "SEQBOT_SHARD_COUNT")
        shard_ids = _ids(get, "SEQBOT_SHARD_IDS")
        rate = _int(get, "SEQBOT_COOLDOWN_RATE")
        if shard_ids and shard_count is None:
            raise SettingsError("SEQBOT_SHARD_IDS needs SEQBOT_SHARD_COUNT")
        if shard_ids and shard_count is not None and max(shard_ids) >= shard_count:
            raise SettingsError("SEQBOT_SHARD_IDS must be below SEQBOT_SHARD_COUNT")
        try:
            db = parse_location(get("SEQBOT_DB") or DEFAULT_DB)
        except ValueError as error:  # the message never holds the password
            raise SettingsError(f"SEQBOT_DB: {error}") from None
        settings = cls(
            token=get("DISCORD_TOKEN"),
            db=db,
            device=get("SEQBOT_DEVICE") or "auto",
            inference_url=get("INFERENCE_URL"),
            inference_secret=get("INFERENCE_SECRET"),
            dev_guild_id=_int(get, "DEV_GUILD_ID"),
            owner_ids=frozenset(_ids(get, "SEQBOT_OWNER_IDS") or ()),
            moderator_role_ids=frozenset(_ids(get, "SEQBOT_MODERATOR_ROLE_IDS") or ()),
            model_dir=Path(v) if (v := get("SEQBOT_MODEL_DIR")) else None,
            hash_secret=get("SEQBOT_HASH_SECRET"),
            cooldown_rate=3 if rate is None else rate,
            cooldown_per=_float(get, "SEQBOT_COOLDOWN_PER", 15.0),
            retention_days=_float(get, "SEQBOT_RETENTION_DAYS", 90.0),
            log_level=(get("SEQBOT_LOG_LEVEL") or "INFO").upper(),
            shard_count=shard_count,
            shard_ids=tuple(shard_ids) if shard_ids else None,
            model_watch_s=_float(get, "SEQBOT_MODEL_WATCH_S", 60.0),
            defer_after_s=_float(get, "SEQBOT_DEFER_AFTER_S", 1.5),
            shutdown_grace_s=_float(get, "SEQBOT_SHUTDOWN_GRACE_S", 10.0),
        )
        if settings.cooldown_rate < 0 or settings.cooldown_per <= 0:
            raise SettingsError("SEQBOT_COOLDOWN_RATE must be >= 0 and SEQBOT_COOLDOWN_PER > 0")
        if not 0 < settings.defer_after_s < 2.5:
            # Discord drops an interaction not acknowledged within 3 s.
            raise SettingsError("SEQBOT_DEFER_AFTER_S must be between 0 and 2.5 seconds")
        if settings.model_watch_s < 0 or settings.shutdown_grace_s < 0:
            raise SettingsError("SEQBOT_MODEL_WATCH_S (0: off) and SEQBOT_SHUTDOWN_GRACE_S "
                                "must be >= 0")
        if not 0 <= settings.retention_days <= MAX_RETENTION_DAYS:
            raise SettingsError(f"SEQBOT_RETENTION_DAYS must be 0 (keep everything) to "
                                f"{MAX_RETENTION_DAYS}")
        if settings.log_level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise SettingsError(f"SEQBOT_LOG_LEVEL {settings.log_level!r} is not a log level")
        return settings


def _int(get: Getter, key: str) -> int | None:
    raw = get(key)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{key} must be a whole number, got {raw!r}") from None


def _float(get: Getter, key: str, default: float) -> float:
    raw = get(key)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{key} must be a number, got {raw!r}") from None
    if not math.isfinite(value):
        raise SettingsError(f"{key} must be a finite number, got {raw!r}")
    return value


def _ids(get: Getter, key: str) -> list[int] | None:
    """Comma- or space-separated integers (Discord ids, shard numbers)."""
    raw = get(key)
    if raw is None:
        return None
    try:
        return [int(part) for part in raw.replace(",", " ").split()]
    except ValueError:
        raise SettingsError(f"{key} must be a list of numbers, got {raw!r}") from None
