"""The process's single SQLite connection and the only way to run transactions on it.

Why one connection per process: SQLite admits one writer at a time no matter how many
connections exist, so a pool would only add lock contention. aiosqlite runs every statement on
the connection's own worker thread, so disk I/O and waiting for another process's lock (the busy
timeout) never stall the event loop. Because all coroutines share that connection, an
asyncio.Lock wraps each transaction; without it two coroutines' statements would interleave
inside one transaction and commit or roll back each other's work.

Writes start with BEGIN IMMEDIATE: taking the write lock up front lets SQLite's busy handler wait
for another process (admin CLI, training export), whereas upgrading a read transaction can fail
at once with "database is locked". WAL keeps readers in other processes unblocked meanwhile.
synchronous=NORMAL is the usual WAL setting: a commit survives a crash of the bot, and only a
power cut can drop the last moments of writes. secure_delete overwrites erased rows so that an
erase-me request also removes the text from free pages of the file.
"""

import asyncio
import logging
import os
import sqlite3
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from db.errors import DatabaseClosed
from db.migrations import migrate

T = TypeVar("T")
Body = Callable[[aiosqlite.Connection], Awaitable[T]]

log = logging.getLogger(__name__)


class Database:
    """Owns the connection; serialises transactions and drains pending writes on close."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        self._writes: set[asyncio.Task[Any]] = set()
        self._closing = False
        self._closed = asyncio.Event()

    @classmethod
    async def open(cls, path: str | os.PathLike[str], *, busy_timeout: float = 5.0) -> "Database":
        """Connect, configure and migrate; `busy_timeout` is how long to wait for other writers."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path, timeout=busy_timeout, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            await _configure(conn, busy_timeout)
            await migrate(conn)
        except BaseException:
            await conn.close()
            raise
        return cls(conn)

    async def write(self, body: Body[T]) -> T:
        """Run `body` in a write transaction that finishes even if the caller is cancelled.

        Shielding matters at shutdown: discord.py cancels handlers, and a vote that already
        reached the database should still be committed rather than silently rolled back.
        """
        self._check_open()
        task = asyncio.create_task(self._transaction(body, write=True))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)
        return await asyncio.shield(task)

    async def read(self, body: Body[T]) -> T:
        """Run `body` in a read transaction, so multi-query reads see one consistent snapshot."""
        self._check_open()
        return await self._transaction(body, write=False)

    async def close(self) -> None:
        """Finish every write already started, then checkpoint the WAL into the main file."""
        if self._closing:
            await self._closed.wait()
            return
        self._closing = True
        try:
            while self._writes:
                await asyncio.gather(*self._writes, return_exceptions=True)
            async with self._lock:
                await self._conn.execute("PRAGMA optimize")
                await self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            await self._conn.close()
            self._closed.set()

    def _check_open(self) -> None:
        if self._closing:
            raise DatabaseClosed("the database is closing; no new operations are accepted")

    async def _transaction(self, body: Body[T], *, write: bool) -> T:
        async with self._lock:
            try:
                # Inside the try: if we are cancelled while BEGIN is queued, it still runs on
                # the worker thread, and the rollback queued after it must undo it.
                await self._conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                result = await body(self._conn)
                if write:
                    await self._conn.commit()
            finally:
                # A no-op after commit; otherwise it discards partial work (and read snapshots).
                await self._conn.rollback()
            return result


async def _configure(conn: aiosqlite.Connection, busy_timeout: float) -> None:
    mode = await fetch_value(conn, "PRAGMA journal_mode = WAL")
    if mode != "wal":
        log.warning("SQLite refused WAL mode (got %r); other processes may block readers", mode)
    await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    await conn.execute("PRAGMA foreign_keys = ON")
    await conn.execute("PRAGMA synchronous = NORMAL")
    await conn.execute("PRAGMA secure_delete = ON")


async def fetch_one(
    conn: aiosqlite.Connection, sql: str, params: Iterable[Any] | dict[str, Any] = ()
) -> sqlite3.Row | None:
    rows = await conn.execute_fetchall(sql, params)
    return next(iter(rows), None)


async def fetch_value(
    conn: aiosqlite.Connection, sql: str, params: Iterable[Any] | dict[str, Any] = ()
) -> Any:
    row = await fetch_one(conn, sql, params)
    return None if row is None else row[0]
