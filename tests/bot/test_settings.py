"""Configuration from .env and the environment, and secrets kept out of logs."""

from __future__ import annotations

import io
import logging
import os
import re
from pathlib import Path

import pytest

from bot import cli
from bot.logs import REDACTED, RedactSecrets, setup_logging
from bot.settings import Settings, SettingsError
from db import parse_location

ROOT = Path(__file__).resolve().parents[2]


def test_defaults():
    s = Settings.load(env={}, dotenv_path=None)
    assert s.token is None and s.db == parse_location("seqbot.db") and s.device == "auto"
    assert s.models == Path("models") and not s.sharded
    assert (s.cooldown_rate, s.cooldown_per, s.retention_days) == (3, 15.0, 90.0)


def test_environment_wins_over_dotenv(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("DISCORD_TOKEN=from-file\nSEQBOT_DB=/data/bot.db\n"
                      "SEQBOT_OWNER_IDS=1, 2 3\nSEQBOT_COOLDOWN_RATE=5\n")
    s = Settings.load(env={"DISCORD_TOKEN": "from-env"}, dotenv_path=dotenv)
    assert s.token == "from-env" and s.db.sqlite_path == Path("/data/bot.db")
    assert s.models == Path("/data/models")  # beside the database by default
    assert s.owner_ids == {1, 2, 3} and s.cooldown_rate == 5


def test_database_forms_and_the_password_stays_out_of_sight():
    s = Settings.from_mapping({"SEQBOT_DB": "postgresql://bot:s3cret@db.local:5433/seqbot"})
    assert s.db.is_postgres and s.models == Path("models")  # no folder beside a server
    assert "s3cret" not in repr(s) and "s3cret" not in str(s.db)
    assert "s3cret" in s.secrets()  # so the log filter masks it wherever it turns up
    assert str(s.db) == "postgresql://bot:***@db.local:5433/seqbot"
    lite = Settings.from_mapping({"SEQBOT_DB": "sqlite:///data/bot.db"})
    assert lite.db.sqlite_path == Path("data/bot.db") and lite.models == Path("data/models")
    with pytest.raises(SettingsError, match="unsupported database URL scheme") as bad:
        Settings.from_mapping({"SEQBOT_DB": "mysql://bot:s3cret@db.local/seqbot"})
    assert "s3cret" not in str(bad.value)


def test_sharding_settings():
    s = Settings.from_mapping({"SEQBOT_SHARD_COUNT": "4", "SEQBOT_SHARD_IDS": "0,1"})
    assert s.sharded and s.shard_count == 4 and s.shard_ids == (0, 1)
    with pytest.raises(SettingsError, match="SEQBOT_SHARD_IDS needs"):
        Settings.from_mapping({"SEQBOT_SHARD_IDS": "0"})
    with pytest.raises(SettingsError, match="below"):
        Settings.from_mapping({"SEQBOT_SHARD_COUNT": "2", "SEQBOT_SHARD_IDS": "2"})


@pytest.mark.parametrize(("key", "value"), [
    ("DEV_GUILD_ID", "abc"), ("SEQBOT_COOLDOWN_PER", "0"), ("SEQBOT_DEFER_AFTER_S", "3"),
    ("SEQBOT_LOG_LEVEL", "LOUD"), ("SEQBOT_MODERATOR_ROLE_IDS", "1,x"),
    # numbers that parse but cannot be used: a cooldown of inf broke the error handler, a
    # negative watch interval spun a core, a huge retention failed every purge
    ("SEQBOT_COOLDOWN_PER", "inf"), ("SEQBOT_COOLDOWN_PER", "nan"),
    ("SEQBOT_MODEL_WATCH_S", "-1"), ("SEQBOT_SHUTDOWN_GRACE_S", "-5"),
    ("SEQBOT_RETENTION_DAYS", "1e6"), ("SEQBOT_RETENTION_DAYS", "-1"),
    ("SEQBOT_RETENTION_DAYS", "nan"),
])
def test_bad_values_name_their_key(key, value):
    with pytest.raises(SettingsError, match=key.split("_")[-1]):
        Settings.from_mapping({key: value})


def test_secrets_are_not_in_repr():
    s = Settings.from_mapping({"DISCORD_TOKEN": "tok-123", "SEQBOT_HASH_SECRET": "hash-456",
                               "INFERENCE_SECRET": "inf-789-0123456789abcdef"})
    assert not re.search(r"tok-123|hash-456|inf-789-0123456789abcdef", repr(s))
    assert set(s.secrets()) == {"tok-123", "hash-456", "inf-789-0123456789abcdef"}


def test_token_is_redacted_from_messages_and_tracebacks():
    token = "MTIz.secret.token"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets([token]))
    log = logging.getLogger("test.redaction")
    log.addHandler(handler)
    try:
        log.warning("connecting with %s", token)
        try:
            raise RuntimeError(f"bad token {token}")
        except RuntimeError:
            log.exception("failed")
    finally:
        log.removeHandler(handler)
    text = stream.getvalue()
    assert token not in text and text.count(REDACTED) == 2


def test_setup_logging_redacts_on_the_root_handler(capsys):
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        setup_logging("INFO", ["s3cr3t-token"])
        logging.getLogger("discord.http").info("Authorization: Bot s3cr3t-token")
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    err = capsys.readouterr().err
    assert "s3cr3t-token" not in err and f"Bot {REDACTED}" in err


@pytest.fixture
def clean_env(tmp_path, monkeypatch):
    """No .env, no seqbot variables, and the root logger restored afterwards."""
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith(("SEQBOT_", "DISCORD_", "INFERENCE_", "DEV_GUILD")):
            monkeypatch.delenv(key)
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    yield monkeypatch
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def test_the_bot_refuses_to_start_without_a_hash_secret(clean_env, capsys):
    clean_env.setenv("DISCORD_TOKEN", "some-token")
    assert cli.main([]) == 2
    err = capsys.readouterr().err
    assert "SEQBOT_HASH_SECRET is not set" in err and "some-token" not in err


def test_bad_configuration_exits_with_a_message(clean_env, capsys):
    clean_env.setenv("SEQBOT_COOLDOWN_RATE", "lots")
    assert cli.main(["console"]) == 2
    assert "SEQBOT_COOLDOWN_RATE must be a whole number" in capsys.readouterr().err


def test_a_short_secret_is_redacted_only_where_it_stands_alone():
    """A 1-character hash secret "c" once turned "on cpu" into "on [redacted]pu"."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets(["c", "a-long-secret-0123456789"]))
    log = logging.getLogger("test.redaction.short")
    log.addHandler(handler)
    try:
        log.warning("serving origin on cpu")
        log.warning("secret=c, and xa-long-secret-0123456789y")
    finally:
        log.removeHandler(handler)
    assert stream.getvalue().splitlines() == ["serving origin on cpu",
                                              "secret=[redacted], and x[redacted]y"]


@pytest.mark.parametrize(("key", "value", "why"), [
    ("INFERENCE_SECRET", "s3cret", "INFERENCE_SECRET must be at least 16 characters"),
    ("INFERENCE_SECRET", "  \t ", "INFERENCE_SECRET is only whitespace"),
    ("SEQBOT_HASH_SECRET", "   ", "SEQBOT_HASH_SECRET is only whitespace"),
])
def test_a_weak_secret_is_refused_at_start_in_one_line(clean_env, capsys, key, value, why):
    clean_env.setenv(key, value)
    assert cli.main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"configuration error: {why}") and len(err.splitlines()) == 1
    assert value.strip() == "" or value not in err
