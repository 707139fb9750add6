"""What the store's queries see of a connection: the same few calls on SQLite and PostgreSQL.

Queries are written once, in the SQL both databases share, with `?` (or `?1`, `?2`, ... to
reuse a value) for every value; the PostgreSQL side rewrites them to `$1, $2, ...`. Values
always travel as parameters, never inside the SQL text. Where the dialects differ (a JSON
list parameter, locking) the connection supplies the piece. Rows support both `row["name"]`
and `row[0]` (sqlite3.Row and asyncpg.Record alike).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from db.errors import DatabaseClosed

if TYPE_CHECKING:
    from db.database import Database
    from db.postgres import PostgresDatabase

Row = Any
Params = Sequence[Any]
R = TypeVar("R")


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

    async def notify(self, channel: str, payload: str) -> None:
        """Announce `payload` on `channel` when this transaction commits (PostgreSQL's
        NOTIFY); SQLite has no such thing, and its listeners poll instead."""
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


async def prepared(resource: R, preparing: Awaitable[object],
                   close: Callable[[], Awaitable[object]]) -> R:
    """`resource` (a connection, a pool) once `preparing` (configuring, migrating) is done;
    closed again if that fails or is cancelled, so a failed open leaves nothing open."""
    try:
        await preparing
    except BaseException:
        await close()
        raise
    return resource


class ClosesOnce:
    """A database (SQLite's, PostgreSQL's) that closes once: nothing new starts once closing
    has begun, and a second close() waits for the first to finish."""

    def __init__(self) -> None:
        self._closing = False
        self._closed = asyncio.Event()

    async def close(self) -> None:
        if self._closing:
            await self._closed.wait()
            return
        self._closing = True
        try:
            await self._shut()
        finally:
            self._closed.set()

    async def _shut(self) -> None:
        """Finish what was started, then release the connections."""
        raise NotImplementedError

    def _check_open(self) -> None:
        if self._closing:
            raise DatabaseClosed("the database is closing; no new operations are accepted")
