"""Ids are never handed out twice: buttons carry only a prediction's id, so a reused id would
let an old message's buttons vote on, or reveal, someone else's newer answer."""

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import aiosqlite
import pytest

from db import FeedbackStore, MigrationError
from db.migrations import MIGRATIONS, SCHEMA_VERSION, migrate
from db.timestamps import to_db
from tests.helpers import HASHER

ALICE, BOB, CAROL = 1001, 1002, 1003
START = datetime(2026, 1, 1, tzinfo=timezone.utc)
BEFORE_AUTOINCREMENT = 5  # the last schema whose predictions and teach_pool could reuse ids


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


async def log(store: FeedbackStore, text: str, author: int | None) -> int:
    return await store.log_prediction(
        "origin", text, text.lower(), "v1", "Irish", [("Irish", 0.6), ("Welsh", 0.3)],
        None if author is None else 10, None if author is None else 20, author,
    )


def query(db_path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql).fetchall()


async def test_forget_me_never_frees_the_newest_id(database: str) -> None:
    async with await FeedbackStore.open(database, HASHER) as store:
        await log(store, "Smith", BOB)
        erased = await log(store, "Murphy", ALICE)  # the newest row
        await store.record_vote(erased, CAROL, "confirmed")
        assert (await store.forget_user(ALICE))["predictions"] == 1

        new = await log(store, "Bobsprivatename", BOB)
        assert new > erased
        assert await store.get_prediction(erased) is None


async def test_retention_purge_never_frees_the_newest_id(database: str) -> None:
    clock = Clock()
    async with await FeedbackStore.open(database, HASHER, clock=clock) as store:
        await log(store, "Kept", ALICE)
        purged = await log(store, "Unvoted", BOB)
        clock.now += timedelta(days=31)
        assert await store.purge_unvoted(older_than_days=30) == 2

        new = await log(store, "Fresh", CAROL)
        assert new > purged
        assert await store.get_prediction(purged) is None


async def test_dropped_pool_ids_are_not_given_to_newly_pooled_inputs(database: str) -> None:
    async with await FeedbackStore.open(database, HASHER) as store:
        await store.teach.add_to_pool("origin", ["Tanaka", "😀😀"], "test")
        items = await store.teach.pool_to_score("origin", "v1", 10)
        refused = items[-1].id
        await store.teach.drop_from_pool([refused])
        await store.teach.add_to_pool("origin", ["Ivanov"], "test")

        [ivanov] = [i for i in await store.teach.pool_to_score("origin", "v1", 10)
                    if i.input_text == "Ivanov"]
        assert ivanov.id > refused


async def build_previous_database(db_path: Path) -> None:
    """What the last schema without AUTOINCREMENT left behind: answers, votes on them, a
    pooled input scored as one of them, who was shown it, and an erased newest answer."""
    then = to_db(START)
    async with aiosqlite.connect(db_path, isolation_level=None) as conn:
        await migrate(conn, target=BEFORE_AUTOINCREMENT)
        for pred_id, author in ((1, HASHER.hash_user(ALICE)), (2, HASHER.hash_user(BOB)),
                                (3, None), (4, HASHER.hash_user(BOB))):
            await conn.execute(
                "INSERT INTO predictions (id, task, input_text, normalized, model_version,"
                " label, top_json, guild_id, channel_id, author_hash, created_at)"
                " VALUES (?, 'origin', ?, ?, 'v1', 'German',"
                ' \'[["German", 0.8], ["Dutch", 0.1]]\', 5, 6, ?, ?)',
                (pred_id, f"Name{pred_id}", f"name{pred_id}", author, then),
            )
        for pred_id, voter in ((1, BOB), (1, CAROL), (2, ALICE), (3, CAROL)):
            await conn.execute(
                "INSERT INTO votes (prediction_id, voter_hash, label, is_moderator, created_at,"
                " updated_at) VALUES (?, ?, 'confirmed', ?, ?, ?)",
                (pred_id, HASHER.hash_user(voter), int(voter == CAROL), then, then),
            )
        await conn.execute(
            "INSERT INTO teach_pool (id, task, input_text, source, prediction_id, created_at)"
            " VALUES (7, 'origin', 'Name3', 'file', 3, ?)", (then,))
        await conn.execute(
            "INSERT INTO teach_shown (viewer, prediction_id, shown_at) VALUES (?, 3, ?)",
            (HASHER.hash_user(ALICE), then))
        await conn.execute("DELETE FROM predictions WHERE id = 4")  # already reusable


async def test_upgrade_keeps_rows_votes_and_indexes_and_then_never_reuses_ids(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "seqbot.db"
    await build_previous_database(db_path)
    schema_sql = ("SELECT type, name, tbl_name, iif(type = 'index', sql, NULL) FROM sqlite_master"
                  " WHERE name NOT LIKE 'sqlite_%'")
    schema_before = set(query(db_path, schema_sql))
    predictions_before = query(db_path, "SELECT * FROM predictions ORDER BY id")
    votes_before = query(db_path, "SELECT * FROM votes ORDER BY id")

    async with await FeedbackStore.open(db_path, HASHER) as store:
        assert (await store.stats())["schema_version"] == SCHEMA_VERSION
        assert query(db_path, "SELECT * FROM predictions ORDER BY id") == predictions_before
        assert query(db_path, "SELECT * FROM votes ORDER BY id") == votes_before
        assert query(db_path, "SELECT id, prediction_id FROM teach_pool") == [(7, 3)]
        assert query(db_path, "SELECT prediction_id FROM teach_shown") == [(3,)]
        assert set(query(db_path, schema_sql)) >= schema_before
        fresh = tmp_path / "fresh.db"
        async with aiosqlite.connect(fresh, isolation_level=None) as conn:
            await migrate(conn)
        assert set(query(db_path, schema_sql)) == set(query(fresh, schema_sql))
        assert query(db_path, "PRAGMA foreign_key_check") == []
        assert (await store.tally(1)).voters == 2

        # foreign keys are enforced again, and still cascade into the rebuilt table
        assert (await store.forget_user(BOB))["votes_on_their_predictions"] == 1
        assert query(db_path, "SELECT DISTINCT prediction_id FROM votes ORDER BY 1") == [(1,),
                                                                                         (3,)]
        await store.teach.drop_from_pool([7])
        newest = await log(store, "Bobsprivatename", BOB)
        assert newest == 4  # only id 4, erased before the upgrade, could not be protected
        assert (await store.forget_user(BOB))["predictions"] == 1
        assert await log(store, "Later", CAROL) == 5
        await store.teach.add_to_pool("origin", ["Ivanov"], "test")
        assert query(db_path, "SELECT id FROM teach_pool") == [(8,)]
    assert {table: seq for table, seq in query(db_path, "SELECT * FROM sqlite_sequence")} == \
        {"predictions": 5, "teach_pool": 8}


async def test_a_migration_leaving_a_dangling_reference_is_rolled_back(tmp_path: Path) -> None:
    db_path = tmp_path / "seqbot.db"
    dangling = (MIGRATIONS[0], "INSERT INTO votes (prediction_id, voter_hash, label,"
                " created_at, updated_at) VALUES (99, 'v', 'confirmed', 't', 't');")
    async with aiosqlite.connect(db_path, isolation_level=None) as conn:
        await conn.execute("PRAGMA foreign_keys = ON")
        await migrate(conn, target=1, scripts=dangling)
        with pytest.raises(MigrationError, match="dangling"):
            await migrate(conn, target=2, scripts=dangling)
        assert [tuple(row) for row in await conn.execute_fetchall("PRAGMA foreign_keys")] == \
            [(1,)]
        assert not await conn.execute_fetchall("SELECT * FROM votes")
    assert query(db_path, "PRAGMA user_version") == [(1,)]
