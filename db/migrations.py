"""Numbered schema migrations; PRAGMA user_version counts how many have been applied.

Only ever append to MIGRATIONS: a database runs exactly the scripts past its version, so editing
a released script would leave existing databases with a different schema than new ones.
Scripts run with foreign keys off, as SQLite's 12-step ALTER procedure requires, so rebuilding
a table (CREATE new, copy, DROP old, RENAME) does not cascade-delete the rows that point at it;
PRAGMA foreign_key_check then refuses to commit a migration that left a dangling reference. The
flip side: a script's own DELETEs do not cascade either.
Timestamps have no SQL defaults on purpose: the store writes them all in one fixed-width format
(db.timestamps) so that string comparison orders them.
"""

import sqlite3
from collections.abc import Sequence

import aiosqlite

from db.columns import MODEL_VERSION_COLUMNS, prediction_columns, teach_pool_columns
from db.errors import MigrationError

_V1_CORE = """
CREATE TABLE predictions (
    id INTEGER PRIMARY KEY,
    task TEXT NOT NULL CHECK (task IN ('origin', 'sentiment')),
""" + prediction_columns("INTEGER") + """
);
CREATE INDEX predictions_task_created ON predictions (task, created_at);

CREATE TABLE votes (
    id INTEGER PRIMARY KEY,
    prediction_id INTEGER NOT NULL REFERENCES predictions (id) ON DELETE CASCADE,
    voter_hash TEXT NOT NULL,
    label TEXT NOT NULL CHECK (label <> ''),  -- 'confirmed' = the prediction's label is right
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (prediction_id, voter_hash)
);

CREATE TABLE model_versions (
    id INTEGER PRIMARY KEY,
    task TEXT NOT NULL CHECK (task IN ('origin', 'sentiment')),
""" + MODEL_VERSION_COLUMNS + """
"""

_V2_MODERATION = """
ALTER TABLE votes ADD COLUMN is_moderator INTEGER NOT NULL DEFAULT 0
    CHECK (is_moderator IN (0, 1));

CREATE TABLE ignored_voters (
    voter_hash TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
) WITHOUT ROWID;
"""

_V3_ERASURE_AND_ONE_PRODUCTION_MODEL = """
-- erase-me and retention scan by author, voter and age
CREATE INDEX predictions_author ON predictions (author_hash) WHERE author_hash IS NOT NULL;
CREATE INDEX predictions_created ON predictions (created_at);
CREATE INDEX votes_voter ON votes (voter_hash);

-- v1 did not stop two production models per task; keep the newest before enforcing it
UPDATE model_versions SET status = 'retired'
WHERE status = 'production'
  AND id NOT IN (SELECT max(id) FROM model_versions WHERE status = 'production' GROUP BY task);
CREATE UNIQUE INDEX model_versions_one_production ON model_versions (task)
    WHERE status = 'production';
"""

_V4_ACTIVE_LEARNING = """
-- how unsure each answer was (top probability minus the runner-up's), so /teach can find the
-- least certain answers of the served model with an index instead of parsing every top_json
ALTER TABLE predictions ADD COLUMN margin REAL;
UPDATE predictions SET margin = json_extract(top_json, '$[0][1]')
    - coalesce(json_extract(top_json, '$[1][1]'), 0.0)
WHERE json_array_length(top_json) > 0;
CREATE INDEX predictions_uncertain ON predictions (task, model_version, margin);

-- unlabelled inputs a maintainer loaded; each is scored by the served model as a prediction
-- (guild, channel and author NULL), so votes on it work like votes on any answer
CREATE TABLE teach_pool (
    id INTEGER PRIMARY KEY,
    task TEXT NOT NULL CHECK (task IN ('origin', 'sentiment')),
""" + teach_pool_columns("INTEGER") + """
CREATE INDEX teach_pool_prediction ON teach_pool (prediction_id);

-- which answer /teach showed to whom: a viewer's HMAC, or 'channel:<id>' for a scheduled post
CREATE TABLE teach_shown (
    viewer TEXT NOT NULL,
    prediction_id INTEGER NOT NULL REFERENCES predictions (id) ON DELETE CASCADE,
    shown_at TEXT NOT NULL,
    PRIMARY KEY (viewer, prediction_id)
) WITHOUT ROWID;
CREATE INDEX teach_shown_prediction ON teach_shown (prediction_id);
CREATE INDEX teach_shown_at ON teach_shown (shown_at);

-- per-server opt-in: nothing is shown or posted for a server without a row saying so
CREATE TABLE teach_guilds (
    guild_id INTEGER PRIMARY KEY,
    enabled INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
    channel_id INTEGER,  -- where the scheduled post goes; NULL = no scheduled post
    every_hours REAL CHECK (every_hours IS NULL OR every_hours > 0),
    last_post_at TEXT,
    updated_at TEXT NOT NULL
);
"""

_V5_DERIVED_MARGIN = """
-- the margin is derived from top_json by the database itself, for every row, old or new,
-- instead of being computed by each writer (and indexed all the same)
DROP INDEX predictions_uncertain;
ALTER TABLE predictions DROP COLUMN margin;
ALTER TABLE predictions ADD COLUMN margin REAL GENERATED ALWAYS AS (
    CASE WHEN json_array_length(top_json) > 0
         THEN json_extract(top_json, '$[0][1]') - coalesce(json_extract(top_json, '$[1][1]'), 0.0)
    END) VIRTUAL;
CREATE INDEX predictions_uncertain ON predictions (task, model_version, margin);
"""

# v6 and v7 rebuild predictions and teach_pool the same way (a column's CHECK or
# AUTOINCREMENT cannot change in place): only the task CHECK differs, and v7 also carries
# each AUTOINCREMENT counter over to the new table (_KEEP_COUNTER).
_OLD_TASK_CHECK = "CHECK (task IN ('origin', 'sentiment'))"
_TASK_SHAPE_CHECK = """CHECK (length(task) BETWEEN 1 AND 32 AND task GLOB '[a-z]*'
                              AND task NOT GLOB '*[^a-z0-9_]*')"""
_KEEP_COUNTER = """DELETE FROM sqlite_sequence WHERE name = '{table}_new';
UPDATE sqlite_sequence SET name = '{table}_new' WHERE name = '{table}';
"""


def _rebuild_predictions(task_check: str, counter: str = "") -> str:
    return f"""CREATE TABLE predictions_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task TEXT NOT NULL {task_check},
{prediction_columns("INTEGER")},
    margin REAL GENERATED ALWAYS AS (
        CASE WHEN json_array_length(top_json) > 0
             THEN json_extract(top_json, '$[0][1]')
                  - coalesce(json_extract(top_json, '$[1][1]'), 0.0)
        END) VIRTUAL
);
INSERT INTO predictions_new (id, task, input_text, normalized, model_version, label, top_json,
    guild_id, channel_id, author_hash, created_at)
SELECT id, task, input_text, normalized, model_version, label, top_json,
    guild_id, channel_id, author_hash, created_at
FROM predictions ORDER BY id;
{counter}DROP TABLE predictions;
ALTER TABLE predictions_new RENAME TO predictions;
CREATE INDEX predictions_task_created ON predictions (task, created_at);
CREATE INDEX predictions_author ON predictions (author_hash) WHERE author_hash IS NOT NULL;
CREATE INDEX predictions_created ON predictions (created_at);
CREATE INDEX predictions_uncertain ON predictions (task, model_version, margin);
"""


def _rebuild_teach_pool(task_check: str, counter: str = "") -> str:
    return f"""CREATE TABLE teach_pool_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task TEXT NOT NULL {task_check},
{teach_pool_columns("INTEGER")}
INSERT INTO teach_pool_new (id, task, input_text, source, prediction_id, created_at)
SELECT id, task, input_text, source, prediction_id, created_at FROM teach_pool ORDER BY id;
{counter}DROP TABLE teach_pool;
ALTER TABLE teach_pool_new RENAME TO teach_pool;
CREATE INDEX teach_pool_prediction ON teach_pool (prediction_id);
"""


_V6_IDS_NEVER_REUSED = """
-- Buttons carry only a prediction's id (seqbot:vote:<id>:..., seqbot:why:<id>), so an id must
-- never be handed out twice: without AUTOINCREMENT, SQLite reuses the id of the newest row once
-- it is erased (/forget-me, retention), and an old message's buttons would then vote on, or
-- reveal, someone else's newer answer. A column cannot gain AUTOINCREMENT in place, so the
-- table is rebuilt (SQLite's 12-step ALTER procedure; migrate() turns foreign keys off, so
-- dropping the old table does not cascade to votes and /teach history, and checks them after).
-- Copying the rows with their ids records max(id) in sqlite_sequence; ids of rows erased above
-- it before this upgrade are unknowable and so not protected.
""" + _rebuild_predictions(_OLD_TASK_CHECK) + """
-- pool ids are held across a model call while scoring and a refused input is then deleted by
-- id: a reused id would delete or link someone's newly pooled input instead
""" + _rebuild_teach_pool(_OLD_TASK_CHECK)

_V7_TASKS_BY_SHAPE = """
-- Which tasks exist is the inference task spec's business, so the schema checks only that a
-- task name is well-formed (db.records.TASK_NAME: a lower-case letter, then lower-case
-- letters, digits and _, at most 32): adding a task needs no migration. A CHECK cannot be
-- altered in place, so the three tables with a task column are rebuilt as in v6. Each
-- AUTOINCREMENT counter moves to the new table before the old one is dropped, so ids erased
-- above the largest kept one are still never handed out again.
""" + _rebuild_predictions(_TASK_SHAPE_CHECK, _KEEP_COUNTER.format(table="predictions")) + """
CREATE TABLE model_versions_new (
    id INTEGER PRIMARY KEY,
    task TEXT NOT NULL CHECK (length(task) BETWEEN 1 AND 32 AND task GLOB '[a-z]*'
                              AND task NOT GLOB '*[^a-z0-9_]*'),
""" + MODEL_VERSION_COLUMNS + """
INSERT INTO model_versions_new (id, task, version, path, checksum, metrics_json, status,
    created_at)
SELECT id, task, version, path, checksum, metrics_json, status, created_at
FROM model_versions ORDER BY id;
DROP TABLE model_versions;
ALTER TABLE model_versions_new RENAME TO model_versions;
CREATE UNIQUE INDEX model_versions_one_production ON model_versions (task)
    WHERE status = 'production';

""" + _rebuild_teach_pool(_TASK_SHAPE_CHECK, _KEEP_COUNTER.format(table="teach_pool"))

_V8_SHARED_COOLDOWNS = """
-- the per-user command budget, in the database so that every bot process (shard) on it
-- counts against the same one
CREATE TABLE cooldowns (
    user_hash TEXT PRIMARY KEY,  -- HMAC of the user's Discord id
    window_start TEXT NOT NULL,  -- when the user's current window of SEQBOT_COOLDOWN_PER began
    used INTEGER NOT NULL        -- commands asked in it, refused ones included
) WITHOUT ROWID;
"""

_V9_SECRET_FINGERPRINT = """
CREATE TABLE store_meta (
    key TEXT PRIMARY KEY,  -- 'hash_secret_fingerprint': db.privacy.Hasher.fingerprint()
    value TEXT NOT NULL
) WITHOUT ROWID;
"""

_V10_VOTER_QUARANTINE = """
-- one mechanism for voters and groups: a group's members are quarantined together, under
-- the group's id, and released together; '' marks a voter quarantined alone
ALTER TABLE ignored_voters ADD COLUMN group_id TEXT NOT NULL DEFAULT '';
CREATE INDEX ignored_voters_group ON ignored_voters (group_id);
"""

_V11_MODEL_REGISTRY = """
-- the model registry: a checkpoint's bytes under the sha256 its model_versions rows record
-- as checksum, so that every process reaching the database can serve the production one
CREATE TABLE model_blobs (
    sha256 TEXT PRIMARY KEY CHECK (length(sha256) = 64),
    bytes BLOB NOT NULL
);
"""

MIGRATIONS: tuple[str, ...] = (_V1_CORE, _V2_MODERATION, _V3_ERASURE_AND_ONE_PRODUCTION_MODEL,
                               _V4_ACTIVE_LEARNING, _V5_DERIVED_MARGIN, _V6_IDS_NEVER_REUSED,
                               _V7_TASKS_BY_SHAPE, _V8_SHARED_COOLDOWNS, _V9_SECRET_FINGERPRINT,
                               _V10_VOTER_QUARANTINE, _V11_MODEL_REGISTRY)
SCHEMA_VERSION = len(MIGRATIONS)
# v5's ALTER TABLE ... DROP COLUMN needs 3.35; generated columns (v5) 3.31, json_* built in
MIN_SQLITE = (3, 35, 0)


def split_statements(script: str) -> list[str]:
    """Split a script for one-by-one execution inside our own transaction.

    sqlite3's executescript() would commit first, so a failing migration could not roll back.
    complete_statement() keeps semicolons inside strings, comments and triggers intact.
    """
    statements, buffer = [], ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip().strip(";").strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip().strip(";").strip():
        raise ValueError(f"incomplete SQL statement at end of script: {buffer.strip()!r}")
    return statements


async def schema_version(conn: aiosqlite.Connection) -> int:
    rows = await conn.execute_fetchall("PRAGMA user_version")
    return int(next(iter(rows))[0])


async def migrate(
    conn: aiosqlite.Connection,
    target: int = SCHEMA_VERSION,
    scripts: Sequence[str] = MIGRATIONS,
) -> int:
    """Apply the pending scripts up to `target` atomically and return the resulting version.

    An up-to-date database is left alone without taking the write lock. Otherwise BEGIN
    IMMEDIATE makes a second process that starts at the same moment wait, then see the new
    version, instead of running the same scripts twice. Foreign keys are switched off
    around the transaction (SQLite ignores the pragma inside one) and restored afterwards.
    """
    if not 0 <= target <= len(scripts):
        raise ValueError(f"target version {target} outside 0..{len(scripts)}")
    current = await schema_version(conn)
    if target <= current <= len(scripts):
        return current  # nothing to do: no need to wait for the write lock
    if sqlite3.sqlite_version_info < MIN_SQLITE:
        raise MigrationError(
            f"the database needs SQLite {'.'.join(map(str, MIN_SQLITE))} or newer, and this "
            f"Python's sqlite3 module has {sqlite3.sqlite_version}: use a newer Python build "
            "(python.org and Debian 12 / Ubuntu 22.04 and later ship one)")
    enforced = await _foreign_keys(conn)
    await conn.execute("PRAGMA foreign_keys = OFF")
    try:
        return await _migrate(conn, target, scripts, check_references=enforced)
    finally:
        if enforced:
            await conn.execute("PRAGMA foreign_keys = ON")


async def _migrate(
    conn: aiosqlite.Connection, target: int, scripts: Sequence[str], *, check_references: bool
) -> int:
    await conn.execute("BEGIN IMMEDIATE")
    try:
        current = await schema_version(conn)
        if current > len(scripts):
            raise MigrationError(
                f"database schema v{current} is newer than this code (v{len(scripts)}); "
                "upgrade seqbot instead of opening it with an old version"
            )
        for version in range(current + 1, target + 1):
            for statement in split_statements(scripts[version - 1]):
                try:
                    await conn.execute(statement)
                except sqlite3.Error as error:
                    raise MigrationError(f"migration v{version} failed: {error}") from error
            await conn.execute(f"PRAGMA user_version = {version}")
        if check_references and target > current:
            dangling = await conn.execute_fetchall("PRAGMA foreign_key_check")
            if dangling:
                table, rowid, parent, _ = next(iter(dangling))
                raise MigrationError(
                    f"migration to v{target} left {len(list(dangling))} dangling reference(s), "
                    f"e.g. {table} row {rowid} -> {parent}"
                )
        await conn.commit()
    except BaseException:
        await conn.rollback()
        raise
    return max(current, target)


async def _foreign_keys(conn: aiosqlite.Connection) -> bool:
    rows = await conn.execute_fetchall("PRAGMA foreign_keys")
    return bool(next(iter(rows))[0])
