"""Privacy: ids only as keyed hashes, the hash secret, erase-me and retention."""

import logging
import stat
import struct
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

import aiosqlite
import pytest

from db import (
    SECRET_ENV,
    FeedbackStore,
    Hasher,
    MissingSecretError,
    WeakSecretError,
    WrongSecretError,
    parse_location,
    resolve_secret,
)
from db.migrations import migrate
from db.privacy import is_user_hash, secret_path
from db.settings import DbSettings
from tests.helpers import HASH_SECRET, HASHER, Clock

AUTHOR, VOTER, TROLL = 123456789012345678, 876543210987654321, 555555555555555555


def database_bytes(database: str, request: pytest.FixtureRequest) -> bytes:
    """Everything the database keeps on disk: SQLite's file with its WAL and shared memory,
    or the PostgreSQL database's table, index and TOAST files."""
    location = parse_location(database)
    if location.is_postgres:
        cluster = request.getfixturevalue("postgres")
        return cluster.database_bytes(urlsplit(location.dsn).path.strip("/"))
    db_path = location.sqlite_path
    siblings = [db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")]
    return b"".join(path.read_bytes() for path in siblings if path.exists())


async def log(store: FeedbackStore, text: str, author: int | None = AUTHOR) -> int:
    return await store.log_prediction(
        "sentiment", text, text.lower(), "s1", "positive", [("positive", 0.9)], 1, 2, author
    )


def test_hasher_is_keyed_stable_and_hex() -> None:
    digest = HASHER.hash_user(AUTHOR)
    assert digest == Hasher(HASH_SECRET).hash_user(AUTHOR)
    assert digest != Hasher("another-secret").hash_user(AUTHOR)
    assert digest != HASHER.hash_user(AUTHOR + 1)
    assert is_user_hash(digest)
    assert not is_user_hash(str(AUTHOR))
    assert "privacy-test-secret" not in repr(HASHER)


@pytest.mark.parametrize("bad_id", [str(AUTHOR), True, 1.5])
def test_hasher_only_accepts_int_ids(bad_id: object) -> None:
    with pytest.raises(TypeError):
        HASHER.hash_user(bad_id)  # type: ignore[arg-type]


def test_hasher_needs_a_secret() -> None:
    with pytest.raises(ValueError):
        Hasher("")


async def test_raw_ids_never_reach_the_database_files(database: str, request) -> None:
    store = await FeedbackStore.open(database, HASHER)
    pred_id = await log(store, "lovely day")
    await store.record_vote(pred_id, VOTER, "confirmed")
    await store.record_vote(pred_id, AUTHOR, "negative", is_moderator=True)
    await store.ignore_voter(TROLL)

    def assert_no_raw_ids() -> None:
        on_disk = database_bytes(database, request)
        assert b"lovely day" in on_disk  # the search itself works
        for user_id in (AUTHOR, VOTER, TROLL):
            assert str(user_id).encode() not in on_disk
            assert struct.pack(">q", user_id) not in on_disk  # SQLite's integer encoding
            assert struct.pack("<q", user_id) not in on_disk  # PostgreSQL's BIGINT
            assert HASHER.hash_user(user_id).encode() in on_disk

    assert_no_raw_ids()  # while open, WAL included
    await store.close()
    assert_no_raw_ids()


async def test_forget_user_erases_their_votes_and_predictions(database: str, request) -> None:
    store = await FeedbackStore.open(database, HASHER)
    theirs = await log(store, "my secret diary entry")
    other = await log(store, "someone else's text", author=42)
    await store.record_vote(theirs, VOTER, "negative")  # someone else's vote on their text
    await store.record_vote(other, AUTHOR, "negative")  # their vote elsewhere
    await store.record_vote(other, VOTER, "confirmed")

    counts = await store.forget_user(AUTHOR)

    assert counts == {"votes": 1, "predictions": 1, "votes_on_their_predictions": 1,
                      "teach_shown": 0}
    assert await store.get_prediction(theirs) is None
    assert (await store.tally(other)).counts == {"positive": 1}
    assert await store.forget_user(AUTHOR) == {
        "votes": 0,
        "predictions": 0,
        "votes_on_their_predictions": 0,
        "teach_shown": 0,
    }
    await store.close()
    on_disk = database_bytes(database, request)
    # scrubbed by secure_delete and a checkpoint (SQLite), or by VACUUM (PostgreSQL)
    assert b"my secret diary entry" not in on_disk
    assert HASHER.hash_user(AUTHOR).encode() not in on_disk
    assert b"someone else's text" in on_disk


async def test_purge_unvoted_only_removes_old_predictions_nobody_voted_on(database: str):
    clock = Clock(datetime(2024, 1, 1, tzinfo=timezone.utc))
    store = await FeedbackStore.open(database, HASHER, clock=clock)
    try:
        old_unvoted = await log(store, "old and ignored")
        old_voted = await log(store, "old but voted")
        await store.record_vote(old_voted, VOTER, "confirmed")
        clock.now += timedelta(days=20)
        recent = await log(store, "recent")
        clock.now += timedelta(days=15)

        assert await store.purge_unvoted(older_than_days=30) == 1
        assert await store.get_prediction(old_unvoted) is None
        assert await store.get_prediction(old_voted) is not None
        assert await store.get_prediction(recent) is not None
        assert await store.purge_unvoted(older_than_days=30) == 0
        assert await store.purge_unvoted(older_than_days=0) == 1  # everything unvoted
        for days in (-1, float("nan"), 1e6):  # no age, or none a date can be computed for
            with pytest.raises(ValueError):
                await store.purge_unvoted(older_than_days=days)
    finally:
        await store.close()


async def test_a_store_without_hasher_refuses_raw_ids(database: str) -> None:
    store = await FeedbackStore.open(database, None)
    try:
        assert await log(store, "anonymous", author=None) > 0
        with pytest.raises(MissingSecretError):
            await log(store, "with author")
        with pytest.raises(MissingSecretError):
            await store.forget_user(AUTHOR)
        assert (await store.stats())["predictions"]["sentiment"] == 1
    finally:
        await store.close()


def test_explicit_secret_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, "from-env")
    assert resolve_secret(tmp_path / "seqbot.db", "explicit") == "explicit"
    configured = DbSettings.load(dotenv_path=None).hash_secret
    assert resolve_secret(tmp_path / "seqbot.db", configured) == "from-env"
    assert not secret_path(tmp_path / "seqbot.db").exists()


def test_no_secret_outside_dev_mode_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    with pytest.raises(MissingSecretError, match=SECRET_ENV):
        resolve_secret(tmp_path / "seqbot.db")
    assert not secret_path(tmp_path / "seqbot.db").exists()


def test_dev_mode_generates_a_private_persistent_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    db_path = tmp_path / "data" / "seqbot.db"

    with caplog.at_level(logging.WARNING, logger="db.privacy"):
        secret = resolve_secret(db_path, dev_mode=True)

    path = secret_path(db_path)
    assert path == tmp_path / "data" / "seqbot.db.secret"
    assert path.read_text().strip() == secret
    assert len(secret) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert SECRET_ENV in caplog.text
    assert list(path.parent.iterdir()) == [path]  # no temp files left behind

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="db.privacy"):
        assert resolve_secret(db_path, dev_mode=True) == secret  # stable across restarts
    assert caplog.text == ""


async def test_a_database_refuses_a_secret_other_than_the_one_it_was_written_under(
        database: str) -> None:
    async with await FeedbackStore.open(database, HASHER) as store:
        await log(store, "written under the first secret")
    with pytest.raises(WrongSecretError, match=f"{SECRET_ENV} is not the secret"):
        await FeedbackStore.open(database, Hasher("a-different-secret-0123456789"))
    async with await FeedbackStore.open(database, HASHER) as store:  # the right one still works
        assert await store.forget_user(AUTHOR) == {
            "votes": 0, "predictions": 1, "votes_on_their_predictions": 0, "teach_shown": 0}


@pytest.mark.parametrize("secret", ["k", "fifteen-chars!!", "   x   "])
async def test_a_new_database_refuses_a_short_secret(database: str, secret: str) -> None:
    with pytest.raises(WeakSecretError, match=f"{SECRET_ENV} must be at least 16 characters"):
        await FeedbackStore.open(database, Hasher(secret))
    async with await FeedbackStore.open(database, None) as store:  # and wrote nothing
        assert (await store.stats())["votes"] == 0


def test_a_secret_of_only_whitespace_is_no_secret() -> None:
    for blank in (" ", "\t \n"):
        with pytest.raises(ValueError, match="whitespace"):
            Hasher(blank)


async def test_a_database_written_before_fingerprints_keeps_its_short_secret_with_a_warning(
        db_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    short = Hasher("short-legacy")
    conn = await aiosqlite.connect(db_path)
    await migrate(conn, target=8)  # the last version without a fingerprint
    await conn.execute("INSERT INTO ignored_voters (voter_hash, created_at) VALUES (?, ?)",
                       (short.hash_user(TROLL), "2024-01-01T00:00:00.000000Z"))
    await conn.commit()
    await conn.close()

    with caplog.at_level(logging.WARNING, logger="db.privacy"):
        async with await FeedbackStore.open(db_path, short) as store:
            assert not await store.ignore_voter(TROLL)  # already ignored: the same hash
    assert "shorter than 16 characters" in caplog.text and "short-legacy" not in caplog.text
    with pytest.raises(WrongSecretError):  # its fingerprint is recorded now
        await FeedbackStore.open(db_path, Hasher("other-legacy"))
