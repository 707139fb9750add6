"""The embedded backend: the process's single SQLite connection and the only way to run
transactions on it (db.postgres is the server backend, with the same write/read/close).

Why one connection per process: SQLite admits one writer at a time no matter how many
connections exist, so a pool would only add lock contention. aiosqlite runs every statement on
the connection's own worker thread, so disk I/O and waiting for another process's lock (the busy
timeout) never stall the event loop. Because all coroutines share that connection, an
asyncio.Lock wraps each transaction; without it two coroutines' statements would interleave
inside one transaction and commit or roll back each other's work.

Writes start with BEGIN IMMEDIATE: taking the write lock up front lets SQLite's busy handler wait
for another process (admin CLI, training export), whereas upgrading a read transaction can fail
at once with "database is locked". WAL keeps readers in other processes unblocked meanwhile.

Writes are group-committed: those queued while a transaction runs share the next one. Every
statement is a round trip to aiosqlite's thread, and on a busy CPU each round trip waits to be
scheduled; under the load benchmark, one transaction per write (BEGIN, statements, COMMIT)
held the lock for ~6 ms each and writes queued ~0.5 s for it. Sharing BEGIN and COMMIT keeps
the bot's answers and votes flowing; each write still sees those before it, as if run alone.
synchronous=NORMAL is the usual WAL setting: a commit survives a crash of the bot, and only a
power cut can drop the last moments of writes. secure_delete overwrites erased rows so that an
erase-me request also removes the text from free pages of the file.
"""

import asyncio
import contextlib
import logging
import os
import sqlite3
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from db.connection import ClosesOnce, Connection, Params, Row
from db.errors import ConstraintError, DatabaseCorrupt, DatabaseUnavailable
from db.migrations import migrate

T = TypeVar("T")
Body = Callable[[Connection], Awaitable[T]]

log = logging.getLogger(__name__)

MAX_GROUP = 64  # writes per shared transaction: bounds how long a read can wait behind one


class Database(ClosesOnce):
    """Owns the connection; serialises transactions and drains pending writes on close."""

    dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection, *, max_group: int = MAX_GROUP,
                 read_only: bool = False) -> None:
        self._conn = conn
        self._read_only = read_only
        self._queries = SqliteConnection(conn)
        self._lock = asyncio.Lock()
        self._queue: list[tuple[Body[Any], asyncio.Future[Any]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._max_group = max_group
        super().__init__()

    @classmethod
    async def open(cls, path: str | os.PathLike[str], *, busy_timeout: float = 5.0,
                   read_only: bool = False) -> "Database":
        """Connect, configure and migrate; `busy_timeout` is how long to wait for other writers.

        `read_only` (reports, exports): after a migration the file may need, the connection
        refuses writes (query_only), and close() leaves optimising and checkpointing to the
        processes that write, so a report never waits for, or fails on, the bot's lock.
        Cancelled (Ctrl-C at start-up), it still finishes opening and then closes, since
        aiosqlite's thread would otherwise answer an event loop that is gone, with a traceback.
        """
        opening = asyncio.ensure_future(cls._open(Path(path), busy_timeout, read_only))
        try:
            return await asyncio.shield(opening)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await (await opening).close()
            raise

    @classmethod
    async def _open(cls, path: Path, busy_timeout: float, read_only: bool) -> "Database":
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = await aiosqlite.connect(path, timeout=busy_timeout, isolation_level=None)
        except (OSError, sqlite3.Error) as error:
            raise DatabaseUnavailable(f"cannot open {path}: {error}") from None
        try:
            conn.row_factory = sqlite3.Row
            await _configure(conn, busy_timeout)
            if not read_only:
                await _check_integrity(conn, path)
            await migrate(conn)
            if read_only:
                await conn.execute("PRAGMA query_only = ON")
        except sqlite3.OperationalError as error:  # a read-only folder or file, a lock held
            await conn.close()
            raise DatabaseUnavailable(f"cannot use {path}: {error}") from None
        except sqlite3.DatabaseError as error:  # not a database, truncated, malformed
            await conn.close()
            raise DatabaseCorrupt(f"{path} is not a usable SQLite database ({error}); "
                                  f"{_RESTORE}") from None
        except BaseException:
            await conn.close()
            raise
        return cls(conn, read_only=read_only)

    async def write(self, body: Body[T]) -> T:
        """Run `body` in a write transaction that finishes even if the caller is cancelled.

        Shielding matters at shutdown: discord.py cancels handlers, and a vote that already
        reached the database should still be committed rather than silently rolled back.
        Returns only once the transaction holding the write has committed.
        """
        self._check_open()
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_retrieve)  # a cancelled caller never reads its failure
        self._queue.append((body, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_queued())
        return await asyncio.shield(future)

    async def read(self, body: Body[T]) -> T:
        """Run `body` in a read transaction, so multi-query reads see one consistent snapshot."""
        self._check_open()
        async with self._lock:
            return await self._run(body, write=False)

    @staticmethod
    async def schema_version(conn: Connection) -> int:
        return int(await conn.fetch_value("PRAGMA user_version"))

    async def after_erasure(self, tables: Iterable[str]) -> None:
        """Copy the WAL into the database file and empty it (TRUNCATE checkpoint).

        secure_delete overwrote the erased rows in the pages the erasure wrote, but the WAL
        still holds earlier versions of those pages (the user's text and hash, several times
        over) until enough later writes recycle it. Writes wait meanwhile (the lock); another
        process reading at that moment makes the checkpoint stop short, which is logged."""
        async with self._lock:
            row = await fetch_one(self._conn, "PRAGMA wal_checkpoint(TRUNCATE)")
        if row is not None and row[0]:
            log.warning("after an erasure the WAL could not be emptied: another process was "
                        "reading; the erased rows' old pages stay in it until the next checkpoint")

    async def listen(self, channel: str, heard: Callable[[str], None]) -> None:
        """SQLite announces nothing to other processes: a listener polls (db.model_sync).
        None, where PostgreSQL returns its db.postgres.Listener."""

    async def _shut(self) -> None:
        """Finish every write already started, then checkpoint the WAL into the main file."""
        try:
            if self._writer is not None:
                await asyncio.wait({self._writer})  # it returns once the queue is empty
            if not self._read_only:
                async with self._lock:
                    await self._tidy()
        finally:
            await self._conn.close()

    async def _tidy(self) -> None:
        """Refresh the planner's statistics, then empty the WAL; neither may fail a close.

        PRAGMA optimize may run ANALYZE, a write. Outside a transaction it reads first and
        then upgrades to writing, and SQLite answers an upgrade that another process's commit
        overtook with "database is locked" at once, without waiting out the busy timeout:
        BEGIN IMMEDIATE takes the write lock first, waiting for the bot like any write.
        """
        try:
            await self._conn.execute("BEGIN IMMEDIATE")
            await self._conn.execute("PRAGMA optimize")
            await self._conn.commit()
        except sqlite3.OperationalError as error:
            await self._conn.rollback()
            log.info("skipped PRAGMA optimize at close: %s", error)
        try:
            await self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.OperationalError as error:
            log.info("skipped the WAL checkpoint at close: %s", error)

    async def _write_queued(self) -> None:
        """Commit the queued writes, a group at a time, until none are left."""
        while self._queue:
            group = self._queue[: self._max_group]
            del self._queue[: self._max_group]
            try:
                async with self._lock:
                    await self._commit_group(group)
            except Exception as exc:
                _fail(group, exc)
            except BaseException:
                _fail(group + self._queue, None)
                self._queue.clear()
                raise

    async def _commit_group(self, group: list[tuple[Body[Any], asyncio.Future[Any]]]) -> None:
        """One transaction for the whole group. If a body raises, each write runs alone
        instead, so only that one fails. A failing BEGIN or COMMIT (locked, disk full) is
        raised for them all: retrying each would wait out the busy timeout once per write."""
        results: list[Any] = []
        in_bodies = False
        try:
            # Inside the try: if we are cancelled while BEGIN is queued, it still runs on
            # the worker thread, and the rollback queued after it must undo it.
            await self._conn.execute("BEGIN IMMEDIATE")
            in_bodies = True
            for body, _ in group:
                results.append(await body(self._queries))
            in_bodies = False
            await self._conn.commit()
        except Exception:
            await self._conn.rollback()
            if not in_bodies or len(group) == 1:
                raise
            for body, future in group:
                try:
                    future.set_result(await self._run(body, write=True))
                except Exception as exc:
                    future.set_exception(exc)
            return
        except BaseException:
            await self._conn.rollback()
            raise
        for (_, future), result in zip(group, results, strict=True):
            future.set_result(result)

    async def _run(self, body: Body[T], *, write: bool) -> T:
        """One transaction; the caller holds the lock."""
        try:
            await self._conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            result = await body(self._queries)
            await (self._conn.commit() if write else self._conn.rollback())
        except BaseException:
            await self._conn.rollback()  # discards partial work; a no-op if BEGIN failed
            raise
        return result


class SqliteConnection:
    """db.connection.Connection over aiosqlite."""

    dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        with _constraints():
            return list(await self._conn.execute_fetchall(sql, params))

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        return next(iter(await self.fetch_all(sql, params)), None)

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]

    async def execute(self, sql: str, params: Params = ()) -> int:
        with _constraints():
            cursor = await self._conn.execute(sql, params)
        return cursor.rowcount

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> int:
        before = self._conn.total_changes
        with _constraints():
            await self._conn.executemany(sql, rows)
        return self._conn.total_changes - before

    async def lock(self, key: str) -> None:
        """Nothing to take: BEGIN IMMEDIATE already holds the database's one write lock."""

    async def notify(self, channel: str, payload: str) -> None:
        """Nothing to send: other processes on a SQLite file poll it (db.model_sync)."""

    def int_list(self, placeholder: str) -> str:
        return f"SELECT value FROM json_each({placeholder})"


class _constraints(contextlib.AbstractContextManager):
    """Raise a broken constraint as ConstraintError, as the PostgreSQL backend does."""

    def __exit__(self, kind: object, error: BaseException | None, _: object) -> None:
        if isinstance(error, sqlite3.IntegrityError):
            raise ConstraintError(str(error)) from error


def _fail(group: list[tuple[Body[Any], asyncio.Future[Any]]], exc: Exception | None) -> None:
    """Fail the writes not yet answered with `exc` (None: cancel them)."""
    for _, future in group:
        if not future.done():
            if exc is None:
                future.cancel()
            else:
                future.set_exception(exc)


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


_RESTORE = "restore it from a backup, or move it away to start a new one"


async def _check_integrity(conn: aiosqlite.Connection, path: Path) -> None:
    """PRAGMA quick_check: a damaged page found now is one error at start, not wrong answers
    and writes into a broken file later. It reads every page (measured in docs/security.md)."""
    problems = [row[0] for row in await conn.execute_fetchall("PRAGMA quick_check(3)")]
    if problems != ["ok"]:
        first = " ".join(str(problems[0]).split())  # SQLite's report may span lines
        raise DatabaseCorrupt(f"{path} failed SQLite's integrity check ({first}); {_RESTORE}")


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
