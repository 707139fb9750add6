"""The bot's configuration, read once at start-up and passed down, so nothing else reads the
environment.

The bot's own keys are declared here; the database's and the models' come from db.settings
and inference.settings (see the `settings` package for how a key is declared and loaded).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from db import MAX_RETENTION_DAYS
from db.settings import DbSettings
from inference.settings import InferenceSettings
from settings import (
    SettingsError,
    count,
    id_set,
    ids,
    number,
    one_of,
    path,
    setting,
    whole,
)

__all__ = ["Settings", "SettingsError"]

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass(frozen=True)
class Settings(DbSettings, InferenceSettings):
    """The Discord bot. Its own keys; those of the database, user privacy and the models
    come from DbSettings and InferenceSettings."""

    token: str | None = setting(
        "DISCORD_TOKEN", None,
        "Discord bot token (Developer Portal > Bot > Reset Token). Without it, `python -m bot` "
        "starts the local console chat instead of connecting to Discord.", secret=True)
    inference_url: str | None = setting(
        "INFERENCE_URL", None,
        "Use a separate inference service (`python -m inference serve`) at this URL instead "
        "of in-process models; several URLs separated by commas spread the requests over "
        "the services that answer. Set INFERENCE_SECRET too if the services were started "
        "with one.")
    model_watch_s: float = setting(
        "SEQBOT_MODEL_WATCH_S", 60.0,
        "Seconds between checks for a newly promoted model (0 disables hot reload).",
        number(at_least=0))
    dev_guild_id: int | None = setting(
        "DEV_GUILD_ID", None,
        "While developing: `python -m bot sync` publishes commands to this server only "
        "(instant).", whole)
    owner_ids: frozenset[int] = setting(
        "SEQBOT_OWNER_IDS", frozenset(),
        "Comma-separated user ids of the bot's owners: only they may use the /admin commands "
        "that act on every server (sync, reload, rollback, quarantine). Default: the "
        "application's owner.", id_set)
    moderator_role_ids: frozenset[int] = setting(
        "SEQBOT_MODERATOR_ROLE_IDS", frozenset(),
        "Comma-separated role ids whose members vote as moderators (their label decides).",
        id_set)
    cooldown_rate: int = setting(
        "SEQBOT_COOLDOWN_RATE", 3,
        "Per-user limit on /origin, /sentiment and \"Analyze sentiment\": this many uses per "
        "SEQBOT_COOLDOWN_PER seconds (0 disables the limit).", count)
    cooldown_per: float = setting(
        "SEQBOT_COOLDOWN_PER", 15.0,
        "The period of that limit, in seconds.", number(above=0))
    retention_days: float = setting(
        "SEQBOT_RETENTION_DAYS", 90.0,
        "Answers nobody voted on are deleted after this many days (0 keeps them forever).",
        number(at_least=0, at_most=MAX_RETENTION_DAYS))
    defer_after_s: float = setting(
        "SEQBOT_DEFER_AFTER_S", 1.5,
        "Seconds to wait for inference before deferring a reply (\"thinking...\"); Discord "
        "drops interactions not acknowledged within 3 s, so keep it well below that.",
        number(above=0, below=2.5))
    shutdown_grace_s: float = setting(
        "SEQBOT_SHUTDOWN_GRACE_S", 10.0,
        "On SIGINT/SIGTERM, seconds to let commands in progress finish before closing.",
        number(at_least=0))
    log_level: str = setting(
        "SEQBOT_LOG_LEVEL", "INFO", ", ".join(LOG_LEVELS[:-1]) + f" or {LOG_LEVELS[-1]}.",
        one_of(*LOG_LEVELS))
    shard_count: int | None = setting(
        "SEQBOT_SHARD_COUNT", None,
        "Sharding (large bots): setting this or SEQBOT_SHARD_IDS runs an AutoShardedBot with "
        "this many shards in all.", whole)
    console_history: Path | None = setting(
        "SEQBOT_CONSOLE_HISTORY", Path.home() / ".local" / "state" / "seqbot" / "console_history",
        "Where the console keeps the lines typed at it, for the arrow keys to bring back "
        "(none: nowhere).", lambda raw: None if raw.lower() == "none" else path(raw),
        shown="~/.local/state/seqbot/console_history")
    shard_ids: tuple[int, ...] | None = setting(
        "SEQBOT_SHARD_IDS", None,
        "Comma-separated shards this process runs (needs SEQBOT_SHARD_COUNT); without it, "
        "this process runs every shard.", lambda raw: ids(raw) or None)

    def __post_init__(self) -> None:
        if self.shard_ids and self.shard_count is None:
            raise SettingsError("SEQBOT_SHARD_IDS needs SEQBOT_SHARD_COUNT")
        if self.shard_ids and self.shard_count is not None and \
                max(self.shard_ids) >= self.shard_count:
            raise SettingsError("SEQBOT_SHARD_IDS must be below SEQBOT_SHARD_COUNT")

    @property
    def sharded(self) -> bool:
        return self.shard_count is not None or self.shard_ids is not None
