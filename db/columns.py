"""Column lists the SQLite migrations (db.migrations) and the PostgreSQL schema
(db.postgres_schema) share, written once; each dialect passes its own types (SQLite's INTEGER
and REAL, PostgreSQL's BIGINT and DOUBLE PRECISION, see db.postgres_schema for why).

A released migration never changes (db.migrations): these produce exactly the text the
released scripts always held (tests/db/test_migrations.py compares their digests).
"""

from __future__ import annotations


def prediction_columns(integer: str) -> str:
    """predictions' columns after id and task, up to created_at (no trailing comma)."""
    return f"""    input_text TEXT NOT NULL,
    normalized TEXT NOT NULL,
    model_version TEXT NOT NULL,
    label TEXT NOT NULL,
    top_json TEXT NOT NULL,  -- [[label, probability], ...], best first
    guild_id {integer},
    channel_id {integer},
    author_hash TEXT,        -- HMAC of the author's Discord id, never the id itself
    created_at TEXT NOT NULL"""


# model_versions' columns after id and task, and its end.
MODEL_VERSION_COLUMNS = """    version TEXT NOT NULL,
    path TEXT NOT NULL,
    checksum TEXT NOT NULL,
    metrics_json TEXT NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('candidate', 'production', 'retired', 'rejected')),
    created_at TEXT NOT NULL,
    UNIQUE (task, version)
);"""


def teach_pool_columns(integer: str) -> str:
    """teach_pool's columns after id and task, and its end."""
    return f"""    input_text TEXT NOT NULL,
    source TEXT NOT NULL,
    prediction_id {integer} REFERENCES predictions (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    UNIQUE (task, input_text)
);"""
