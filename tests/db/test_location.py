"""SEQBOT_DB's forms, and a password that never shows: in reprs, errors, or on a bad login."""

from __future__ import annotations

from pathlib import Path

import pytest

from db import DatabaseUnavailable, FeedbackStore, MissingSecretError, parse_location
from db.privacy import resolve_secret
from tests.helpers import HASHER


@pytest.mark.parametrize(("text", "path"), [
    ("seqbot.db", Path("seqbot.db")),
    ("/var/lib/seqbot/feedback.db", Path("/var/lib/seqbot/feedback.db")),
    ("sqlite:///data/seqbot.db", Path("data/seqbot.db")),  # relative, as SQLAlchemy reads it
    ("sqlite:////var/lib/seqbot.db", Path("/var/lib/seqbot.db")),
])
def test_sqlite_forms(text: str, path: Path) -> None:
    location = parse_location(text)
    assert not location.is_postgres and location.sqlite_path == path
    assert location.default_model_dir() == path.parent / "models"


@pytest.mark.parametrize(("text", "shown"), [
    ("postgresql://bot:pa:ss@db:5433/seqbot", "postgresql://bot:***@db:5433/seqbot"),
    ("postgres://bot@db/seqbot", "postgres://bot@db/seqbot"),
    ("postgresql://bot@db/seqbot?password=pa:ss&sslmode=require",
     "postgresql://bot@db/seqbot?password=%2A%2A%2A&sslmode=require"),
])
def test_postgresql_forms_print_without_the_password(text: str, shown: str) -> None:
    location = parse_location(text)
    assert location.is_postgres and location.dsn == text
    assert str(location) == shown and "pa:ss" not in repr(location)
    assert location.default_model_dir() == Path("models")
    with pytest.raises(ValueError):
        location.sqlite_path  # noqa: B018 - a server has no file


@pytest.mark.parametrize("text", ["", "  ", "sqlite:///", "mysql://u:pa:ss@h/db",
                                  "postgresql://u:pa:ss@host"])
def test_bad_forms_are_refused_without_echoing_a_password(text: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_location(text)
    assert "pa:ss" not in str(refused.value)


def test_postgresql_needs_the_hash_secret_even_in_dev_mode(monkeypatch) -> None:
    monkeypatch.delenv("SEQBOT_HASH_SECRET", raising=False)
    with pytest.raises(MissingSecretError, match="PostgreSQL"):
        resolve_secret("postgresql://bot@db/seqbot", dev_mode=True)


async def test_pgpassword_and_a_password_in_the_url_both_log_in(postgres, monkeypatch) -> None:
    postgres.add_password_user("pwuser", "pa:ss w0rd")
    name = postgres.create_database()
    url = postgres.url(name).replace("postgres@", "pwuser@")
    try:
        monkeypatch.delenv("PGPASSWORD", raising=False)
        monkeypatch.setenv("PGPASSFILE", "/nonexistent")  # no ~/.pgpass of the machine's
        with pytest.raises(DatabaseUnavailable) as refused:
            await FeedbackStore.open(url, HASHER)
        assert "cannot connect to postgresql://pwuser@" in str(refused.value)

        monkeypatch.setenv("PGPASSWORD", "pa:ss w0rd")
        async with await FeedbackStore.open(url, HASHER) as store:
            assert await store.log_prediction("origin", "a", "a", "v", "l", [], None, None,
                                              None) == 1
        monkeypatch.delenv("PGPASSWORD")
        wrong = url.replace("pwuser@", "pwuser:wrong-pa:ss@")
        with pytest.raises(DatabaseUnavailable) as refused:
            await FeedbackStore.open(wrong, HASHER)
        assert "wrong-pa:ss" not in str(refused.value) and "pwuser:***@" in str(refused.value)
        right = url.replace("pwuser@", "pwuser:pa%3Ass%20w0rd@")
        async with await FeedbackStore.open(right, HASHER) as store:
            assert (await store.stats())["predictions"]["origin"] == 1
    finally:
        postgres.drop_database(name)
