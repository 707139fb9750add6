"""Schema creation and upgrades: from empty and from every earlier released version."""

import asyncio
import hashlib
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import aiosqlite
import asyncpg
import pytest

from db import FeedbackStore, MigrationError
from db.migrations import MIGRATIONS, SCHEMA_VERSION, migrate, split_statements
from db.postgres import migrate as postgres_migrate
from db.postgres_schema import BASELINE_VERSION
from db.postgres_schema import MIGRATIONS as POSTGRES_MIGRATIONS
from db.timestamps import to_db
from tests.helpers import HASHER

THEN = to_db(datetime(2024, 5, 1, tzinfo=timezone.utc))


def pragma(db_path: Path, name: str) -> object:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]


def query_value(db_path: Path, sql: str) -> object:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql).fetchone()[0]


def tables(db_path: Path) -> set[str]:
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows}


async def build_old_database(db_path: Path, version: int) -> None:
    """A database as an older seqbot left it: first `version` migrations, plus typical rows."""
    async with aiosqlite.connect(db_path, isolation_level=None) as conn:
        await migrate(conn, target=version)
        if version >= 1:
            await conn.execute(
                "INSERT INTO predictions (id, task, input_text, normalized, model_version, label,"
                " top_json, guild_id, channel_id, author_hash, created_at)"
                " VALUES (1, 'origin', 'Müller', 'muller', 'v1', 'German',"
                ' \'[["German", 0.8], ["Dutch", 0.1]]\', 5, 6, ?, ?)',
                (HASHER.hash_user(42), THEN),
            )
            for voter in (1, 2):
                await conn.execute(
                    "INSERT INTO votes (prediction_id, voter_hash, label, created_at, updated_at)"
                    " VALUES (1, ?, 'confirmed', ?, ?)",
                    (HASHER.hash_user(voter), THEN, THEN),
                )
            for version_name in ("a", "b"):  # v1 and v2 let two production models coexist
                status = "retired" if version >= 3 and version_name == "a" else "production"
                await conn.execute(
                    "INSERT INTO model_versions (task, version, path, checksum, metrics_json,"
                    " status, created_at) VALUES ('origin', ?, 'p', 'c', '{}', ?, ?)",
                    (version_name, status, THEN),
                )
        if version >= 2:
            await conn.execute(
                "INSERT INTO ignored_voters (voter_hash, created_at) VALUES (?, ?)",
                (HASHER.hash_user(2), THEN),
            )


async def test_migrates_empty_database_to_latest(tmp_path: Path) -> None:
    db_path = tmp_path / "nested" / "dir" / "seqbot.db"
    store = await FeedbackStore.open(db_path, HASHER)
    await store.close()

    assert pragma(db_path, "user_version") == SCHEMA_VERSION
    assert pragma(db_path, "journal_mode") == "wal"
    assert {"predictions", "votes", "model_versions", "ignored_voters", "teach_pool",
            "teach_shown", "teach_guilds"} <= tables(db_path)


@pytest.mark.parametrize("version", range(SCHEMA_VERSION))
async def test_upgrades_from_each_earlier_version_keeping_data(
    tmp_path: Path, version: int
) -> None:
    db_path = tmp_path / "seqbot.db"
    await build_old_database(db_path, version)
    assert pragma(db_path, "user_version") == version

    store = await FeedbackStore.open(db_path, HASHER)
    try:
        assert (await store.stats())["schema_version"] == SCHEMA_VERSION
        if version == 0:
            return
        prediction = await store.get_prediction(1)
        assert prediction is not None
        assert prediction.input_text == "Müller"
        assert prediction.top == [("German", 0.8), ("Dutch", 0.1)]
        assert prediction.author_hash == HASHER.hash_user(42)

        tally = await store.tally(1)
        if version >= 2:  # voter 2 was ignored before the upgrade and still is
            assert (tally.voters, tally.consensus) == (1, None)
        else:  # votes from before moderation existed count as ordinary votes
            assert (tally.voters, tally.consensus) == (2, "German")

        statuses = {m.version: m.status for m in await store.model_versions("origin")}
        assert statuses == {"a": "retired", "b": "production"}
        # v11: versions registered before the registry held bytes are its production rows
        # still, with no bytes (their files stay where they were)
        assert [m.version for m in await store.production_models()] == ["b"]
        assert await store.model_weights("c") is None
        # v4: the margin of answers logged before it is filled in, so /teach can ask about them
        [unsure] = await store.teach.candidates("origin", "v1", 5, store.teach.user_viewer(7),
                                                channels={6})
        assert unsure.id == 1
        assert query_value(db_path, "SELECT margin FROM predictions WHERE id = 1") == \
            pytest.approx(0.7)
        assert (await store.record_vote(1, 3, "Dutch", is_moderator=True)).consensus == "Dutch"
        if version >= 2:  # v10: a voter ignored before groups existed is quarantined alone
            assert query_value(db_path, "SELECT group_id FROM ignored_voters") == ""
            assert await store.unignore_voter(2)
    finally:
        await store.close()


async def test_reopening_a_current_database_changes_nothing(tmp_path: Path) -> None:
    db_path = tmp_path / "seqbot.db"
    for _ in range(2):
        store = await FeedbackStore.open(db_path, HASHER)
        await store.log_prediction("sentiment", "great", "great", "v1", "positive", [], 1, 2, 3)
        await store.close()
    assert pragma(db_path, "user_version") == SCHEMA_VERSION
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM predictions").fetchone()[0] == 2


async def test_refuses_a_database_from_newer_code(tmp_path: Path) -> None:
    db_path = tmp_path / "seqbot.db"
    with sqlite3.connect(db_path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(MigrationError, match="newer"):
        await FeedbackStore.open(db_path, HASHER)


async def test_too_old_an_sqlite_is_a_clear_error_before_anything_changes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 31, 1))
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.31.1")
    with pytest.raises(MigrationError, match=r"needs SQLite 3\.35\.0 or newer.*has 3\.31\.1"):
        await FeedbackStore.open(tmp_path / "seqbot.db", HASHER)
    with sqlite3.connect(tmp_path / "seqbot.db") as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (0,)


async def test_a_failing_migration_rolls_back_completely(tmp_path: Path) -> None:
    db_path = tmp_path / "seqbot.db"
    broken = (MIGRATIONS[0], "CREATE TABLE half_done (x); INSERT INTO no_such_table VALUES (1);")
    async with aiosqlite.connect(db_path, isolation_level=None) as conn:
        await migrate(conn, target=1, scripts=broken)
        with pytest.raises(MigrationError, match="v2"):
            await migrate(conn, target=2, scripts=broken)
        assert not conn.in_transaction
    assert pragma(db_path, "user_version") == 1
    assert "half_done" not in tables(db_path)


def test_split_statements_respects_strings_comments_and_triggers() -> None:
    script = """
    -- a comment; with a semicolon
    CREATE TABLE t (x TEXT DEFAULT 'a;b');
    CREATE TRIGGER trg AFTER INSERT ON t BEGIN
        UPDATE t SET x = 'c;d';
    END;
    """
    statements = split_statements(script)
    assert len(statements) == 2
    assert statements[0].endswith("DEFAULT 'a;b');")
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")


def test_every_migration_splits_into_complete_statements() -> None:
    for script in MIGRATIONS:
        assert all(sqlite3.complete_statement(s) for s in split_statements(script))


TASKS_BY_SHAPE = 7  # the first schema that checks a task's name, not a fixed list


async def test_from_v7_any_well_formed_task_is_kept_and_only_those(tmp_path: Path) -> None:
    db_path = tmp_path / "seqbot.db"
    await build_old_database(db_path, TASKS_BY_SHAPE - 1)
    store = await FeedbackStore.open(db_path, HASHER)
    try:
        pred_id = await store.log_prediction("palindrome", "Kayak", "kayak", "p1", "yes", [],
                                             None, None, None)
        await store.add_model_version("palindrome", "p1", "p", "c", {}, status="production")
        await store.teach.add_to_pool("language_2", ["hola"], "test")
        stats = await store.stats(("origin", "sentiment"))
        assert stats["predictions"] == {"origin": 1, "sentiment": 0, "palindrome": 1}
        assert stats["production_versions"]["palindrome"] == "p1"
        assert (await store.get_prediction(pred_id)).task == "palindrome"
    finally:
        await store.close()
    # the schema itself refuses what the store would (a writer that bypasses it included)
    with sqlite3.connect(db_path) as conn:
        for task in ("", "Origin", "1st", "a-b", "a b", "x" * 33):
            for sql in ("INSERT INTO predictions (task, input_text, normalized, model_version,"
                        " label, top_json, created_at) VALUES (?, 'a', 'a', 'v', 'l', '[]', 't')",
                        "INSERT INTO teach_pool (task, input_text, source, created_at)"
                        " VALUES (?, 'a', 's', 't')",
                        "INSERT INTO model_versions (task, version, path, checksum, metrics_json,"
                        " status, created_at) VALUES (?, 'v', 'p', 'c', '{}', 'retired', 't')"):
                with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
                    conn.execute(sql, (task,))


async def test_v7_keeps_every_id_counter_above_rows_erased_before_it(tmp_path: Path) -> None:
    db_path = tmp_path / "seqbot.db"
    async with aiosqlite.connect(db_path, isolation_level=None) as conn:
        await migrate(conn, target=TASKS_BY_SHAPE - 1)
        for n in (1, 2, 3):
            await conn.execute(
                "INSERT INTO predictions (task, input_text, normalized, model_version, label,"
                " top_json, created_at) VALUES ('origin', ?, 'n', 'v1', 'Irish', '[]', ?)",
                (f"Name{n}", THEN))
            await conn.execute("INSERT INTO teach_pool (task, input_text, source, created_at)"
                               " VALUES ('origin', ?, 'file', ?)", (f"Pooled{n}", THEN))
        await conn.execute("DELETE FROM predictions WHERE id = 3")  # erased before the upgrade
        await conn.execute("DELETE FROM teach_pool WHERE id = 3")
    store = await FeedbackStore.open(db_path, HASHER)
    try:
        assert await store.log_prediction("origin", "Later", "later", "v1", "Irish", [],
                                          None, None, None) == 4
        await store.teach.add_to_pool("origin", ["Ivanov"], "test")
    finally:
        await store.close()
    with sqlite3.connect(db_path) as conn:
        assert dict(conn.execute("SELECT * FROM sqlite_sequence")) == {"predictions": 4,
                                                                        "teach_pool": 4}
        assert conn.execute("SELECT max(id) FROM teach_pool").fetchone() == (4,)


# PostgreSQL: no database older than its baseline exists; what matters is that it reaches
# the same schema as SQLite, once, however many processes start together.

@pytest.fixture
def empty_pg(postgres):
    """An empty PostgreSQL database (no schema yet), as a URL."""
    name = postgres.create_database()
    yield postgres.url(name)
    postgres.drop_database(name)


async def pg_columns(url: str) -> dict[str, list[str]]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND table_name <> 'seqbot_schema'"
            " ORDER BY table_name, ordinal_position")
    finally:
        await conn.close()
    columns: dict[str, list[str]] = {}
    for table, column in rows:
        columns.setdefault(table, []).append(column)
    return columns


async def test_postgresql_reaches_the_same_tables_and_columns_as_sqlite(tmp_path, empty_pg):
    async with await FeedbackStore.open(empty_pg, HASHER) as store:
        assert (await store.stats())["schema_version"] == SCHEMA_VERSION
    lite = tmp_path / "seqbot.db"
    await (await FeedbackStore.open(lite, HASHER)).close()
    with sqlite3.connect(lite) as conn:
        sqlite_columns = {table: [row[1] for row in conn.execute(f"PRAGMA table_xinfo({table})")]
                          for table in tables(lite) if not table.startswith("sqlite_")}
    assert await pg_columns(empty_pg) == sqlite_columns
    assert set(POSTGRES_MIGRATIONS) == set(range(BASELINE_VERSION, SCHEMA_VERSION + 1))


async def test_postgresql_processes_starting_together_migrate_once(empty_pg):
    stores = await asyncio.gather(*(FeedbackStore.open(empty_pg, HASHER) for _ in range(4)))
    for store in stores:
        assert (await store.stats())["schema_version"] == SCHEMA_VERSION
        await store.close()


async def test_postgresql_upgrades_from_its_baseline_and_refuses_a_newer_schema(empty_pg):
    conn = await asyncpg.connect(empty_pg)
    try:
        assert await postgres_migrate(conn, target=BASELINE_VERSION) == BASELINE_VERSION
        await conn.execute(
            "INSERT INTO predictions (task, input_text, normalized, model_version, label,"
            " top_json, created_at) VALUES ('origin', 'Müller', 'muller', 'v1', 'German',"
            " '[[\"German\", 0.8], [\"Dutch\", 0.1]]', $1)", THEN)
    finally:
        await conn.close()
    async with await FeedbackStore.open(empty_pg, HASHER) as store:
        assert (await store.stats())["schema_version"] == SCHEMA_VERSION
        kept = await store.get_prediction(1)
        assert kept is not None and kept.input_text == "Müller"
    conn = await asyncpg.connect(empty_pg)
    try:
        await conn.execute("UPDATE seqbot_schema SET version = $1", SCHEMA_VERSION + 1)
    finally:
        await conn.close()
    with pytest.raises(MigrationError, match="newer than this code"):
        await FeedbackStore.open(empty_pg, HASHER)


# sha256 (first 16 hex digits) of each released script: SQLite v1..v8, PostgreSQL v7..v8.
RELEASED_SQLITE = ["1026aa891daa4a09", "c79eb3fd7d0d575a", "9eed9f424bd765b1", "53b4315bdb420bc8",
                   "27954ff04959eb29", "237f4456fd10c2f3", "c57af7fb441afa8f", "41f42cb49509d608"]
RELEASED_POSTGRES = {7: "0f0ce441c806e769", 8: "d99153d57ba35819"}


def test_released_migration_scripts_never_change():
    """The scripts are assembled from shared column lists (db.columns): what they assemble
    is exactly the text each released version always ran."""
    from db.postgres_schema import MIGRATIONS as POSTGRES

    def digest(script: str) -> str:
        return hashlib.sha256(script.encode()).hexdigest()[:16]

    assert [digest(s) for s in MIGRATIONS[:len(RELEASED_SQLITE)]] == RELEASED_SQLITE
    assert {v: digest(POSTGRES[v]) for v in RELEASED_POSTGRES} == RELEASED_POSTGRES
