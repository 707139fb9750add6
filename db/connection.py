"""What the store's queries see of a connection: the same few calls on SQLite and PostgreSQL.

Queries are written once, in the SQL both databases share, with `?` (or `?1`, `?2`, ... to
reuse a value) for every value; the PostgreSQL side rewrites them to `$1, $2, ...`. Values
always travel as parameters, never inside the SQL text. Where the dialects differ (a JSON
list parameter, locking) the connection supplies the piece. Rows support both `row["name"]`
and `row[0]` (sqlite3.Row and asyncpg.Record alike).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from db.database import Database
    from db.postgres import PostgresDatabase

Row = Any
Params = Sequence[Any]


class Connection(Protocol):
    dialect: str  # "sqlite" or "postgresql"

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None: ...

    async def fetch_value(self, sql: str, params: Params = ()) -> Any: ...

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; returns how many rows it inserted, updated or deleted."""
        ...

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> int:
        """Run one statement per parameter row; returns the rows changed in all."""
        ...

    async def lock(self, key: str) -> None:
        """Serialise, until this transaction ends, with every other writer that locks `key`
        (a read-then-write that must not interleave with another process's)."""
        ...

    def int_list(self, placeholder: str) -> str:
        """A subquery yielding the integers of a JSON list passed as `placeholder`, for
        `column IN (...)` with a list whose length varies (values stay parameters)."""
        ...


class StorePart:
    """A part of FeedbackStore reached as one of its attributes (store.teach,
    store.cooldowns): it shares the store's database, user hasher and clock."""

    def __init__(self, db: Database | PostgresDatabase, hash_user: Callable[[int], str],
                 clock: Callable[[], datetime]) -> None:
        self._db = db
        self._hash_user = hash_user
        self._clock = clock
