"""The server backend: PostgreSQL through a pool of asyncpg connections, with the same
write/read/close as the embedded one (db.database), so the store does not know which it has.

Why a pool and no group commit: PostgreSQL runs transactions from many connections at once
and shares the WAL flush between commits arriving together, which is what db.database's
group commit does by hand for SQLite's one writer. Each write is its own transaction,
shielded from cancellation as on SQLite; reads run in a read-only REPEATABLE READ transaction,
so a multi-query read sees one snapshot as it does on SQLite. The few writes that read and
then write under a rule (one production model per task, an answer shown once per viewer) take
an advisory lock on their key (`Connection.lock`), where SQLite has its single writer.
`busy_timeout` becomes lock_timeout: a write waits that long for another's lock, then fails.

Erasure: a DELETE leaves the row's bytes in its table and index pages, and VACUUM compacts a
page's live rows without overwriting the space it frees. After a /forget-me that erased
something, the touched tables are rewritten (VACUUM FULL, which cannot run in a transaction,
so it follows the commit): no readable copy stays in the database's files. It holds an
exclusive lock on each table while it copies it, so other writes wait that long (measured in
docs/scaling.md). WAL segments already written, and backups, archives or replicas an operator
keeps, hold the rows until they are recycled or expire.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from db.connection import ClosesOnce, Connection, Params, Row, prepared
from db.errors import (
    ConstraintError,
    DatabaseUnavailable,
    MigrationError,
    StoreError,
)
from db.migrations import SCHEMA_VERSION
from db.postgres_schema import BASELINE_VERSION, MIGRATIONS
from settings.database import DatabaseLocation

try:
    import asyncpg
except ImportError:  # the `postgres` extra is not installed: SQLite still works
    asyncpg = None

# What a query or connection can raise besides StoreError, for callers that report errors.
DRIVER_ERRORS: tuple[type[Exception], ...] = (
    () if asyncpg is None else (asyncpg.PostgresError, asyncpg.InterfaceError))

T = TypeVar("T")
Body = Callable[[Connection], Awaitable[T]]

log = logging.getLogger(__name__)

POOL_SIZE = 10
MIN_SERVER = 13  # generated columns (12), hashtextextended (11), DROP DATABASE FORCE (13)
_MIGRATION_LOCK = 0x5EB0_7DB0  # advisory lock id: one process migrates while others wait
_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\?(\d*)")


def _driver() -> Any:
    if asyncpg is None:
        raise StoreError("PostgreSQL needs asyncpg: pip install 'seqbot[postgres]'")
    return asyncpg


async def connect(location: DatabaseLocation, *, timeout: float = 5.0) -> Any:
    """One asyncpg connection (for migrations and `python -m db copy`), errors made plain."""
    driver = _driver()
    try:
        return await driver.connect(location.dsn, timeout=timeout)
    except (OSError, asyncio.TimeoutError, driver.PostgresError,
            driver.InterfaceError) as error:
        raise DatabaseUnavailable(f"cannot connect to {location}: {error}") from None


class PostgresDatabase(ClosesOnce):
    """Owns the pool; tracks writes in flight so that close() commits them first."""

    dialect = "postgresql"

    def __init__(self, pool: Any, location: DatabaseLocation) -> None:
        self._pool = pool
        self._location = location
        self._inflight: set[asyncio.Task[Any]] = set()
        super().__init__()

    @classmethod
    async def open(cls, location: DatabaseLocation, *, busy_timeout: float = 5.0,
                   pool_size: int = POOL_SIZE) -> PostgresDatabase:
        """Connect, check the server version and migrate."""
        driver = _driver()
        settings = {"lock_timeout": str(max(1, int(busy_timeout * 1000))),
                    "application_name": "seqbot"}
        try:
            pool = await driver.create_pool(location.dsn, min_size=1, max_size=pool_size,
                                            timeout=max(busy_timeout, 5.0),
                                            server_settings=settings, reset=_keep_session)
        except (OSError, asyncio.TimeoutError, driver.PostgresError,
                driver.InterfaceError) as error:
            raise DatabaseUnavailable(f"cannot connect to {location}: {error}") from None

        async def migrate_once() -> None:
            async with pool.acquire() as conn:
                await migrate(conn)

        return cls(await prepared(pool, migrate_once(), pool.close), location)

    async def write(self, body: Body[T]) -> T:
        """Run `body` in a transaction that commits even if the caller is cancelled."""
        self._check_open()
        task = asyncio.ensure_future(self._transaction(body, readonly=False))
        self._inflight.add(task)
        task.add_done_callback(self._finished)
        return await asyncio.shield(task)

    async def read(self, body: Body[T]) -> T:
        """Run `body` in a read-only snapshot."""
        self._check_open()
        return await self._transaction(body, readonly=True)

    @staticmethod
    async def schema_version(conn: Connection) -> int:
        return int(await conn.fetch_value("SELECT version FROM seqbot_schema"))

    async def after_erasure(self, tables: Iterable[str]) -> None:
        """Rewrite the tables an erasure touched (VACUUM FULL), so that no page of their
        files or indexes keeps the erased rows' bytes. Plain VACUUM is not enough: it
        compacts a page's live rows but leaves the old bytes in the freed space."""
        async with self._pool.acquire() as conn:
            for table in tables:
                if not table.isidentifier():
                    raise ValueError(f"{table!r} is not a table name")
                try:
                    await conn.execute(f'VACUUM FULL "{table}"')
                except asyncpg.PostgresError as error:
                    log.warning("VACUUM FULL %s after an erasure failed (%s): the erased rows "
                                "are gone, their bytes stay until the space is reused",
                                table, error)

    async def listen(self, channel: str, heard: Callable[[str], None]) -> Listener:
        """Call `heard(payload)` for every NOTIFY on `channel`, on a connection of its own
        (outside the pool, whose connections go from one transaction to the next). When
        that connection is lost, `heard("")` says so once: the caller listens again."""
        conn = await connect(self._location)
        await conn.add_listener(channel, lambda _c, _pid, _ch, payload: heard(payload))
        conn.add_termination_listener(lambda _c: heard(""))
        return Listener(conn)

    async def _shut(self) -> None:
        """Finish every write already started, then close the pool's connections."""
        if self._inflight:
            await asyncio.wait(set(self._inflight))
        try:
            await asyncio.wait_for(self._pool.close(), timeout=10)
        except asyncio.TimeoutError:
            self._pool.terminate()

    async def _transaction(self, body: Body[T], *, readonly: bool) -> T:
        async with self._pool.acquire() as conn:
            isolation = "repeatable_read" if readonly else "read_committed"
            async with conn.transaction(isolation=isolation, readonly=readonly):
                return await body(PostgresConnection(conn))

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._inflight.discard(task)
        if not task.cancelled():
            task.exception()  # a cancelled caller never reads its failure


class Listener:
    """A listening connection (PostgresDatabase.listen)."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    @property
    def alive(self) -> bool:
        return not self._conn.is_closed()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._conn.close()


async def _keep_session(conn: Any) -> None:
    """What the pool runs on a connection handed back: nothing. Its default (unlock advisory
    locks, close cursors, UNLISTEN, RESET ALL) is one more round trip per transaction, and
    the store leaves no session state behind: its locks end with their transaction, and it
    neither listens nor changes settings."""


class PostgresConnection:
    """db.connection.Connection over one asyncpg connection inside a transaction."""

    dialect = "postgresql"

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        with _constraints():
            return await self._conn.fetch(postgres_sql(sql), *params)

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        with _constraints():
            return await self._conn.fetchrow(postgres_sql(sql), *params)

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        with _constraints():
            return await self._conn.fetchval(postgres_sql(sql), *params)

    async def execute(self, sql: str, params: Params = ()) -> int:
        with _constraints():
            return rows_changed(await self._conn.execute(postgres_sql(sql), *params))

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> int:
        statement = await self._conn.prepare(postgres_sql(sql))
        changed = 0
        with _constraints():
            for params in rows:
                await statement.fetch(*params)
                changed += rows_changed(statement.get_statusmsg())
        return changed

    async def lock(self, key: str) -> None:
        await self._conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", key)

    async def notify(self, channel: str, payload: str) -> None:
        await self._conn.execute("SELECT pg_notify($1, $2)", channel, payload)

    def int_list(self, placeholder: str) -> str:
        return f"SELECT value::bigint FROM json_array_elements_text({placeholder}::json)"


@contextlib.contextmanager
def _constraints() -> Any:
    """Raise a broken constraint as ConstraintError, as the SQLite backend does."""
    try:
        yield
    except asyncpg.IntegrityConstraintViolationError as error:
        raise ConstraintError(str(error)) from error


@functools.lru_cache(maxsize=1024)
def postgres_sql(sql: str) -> str:
    """`?` placeholders as PostgreSQL's `$1, $2, ...` (`?N` as `$N`); quoted text untouched."""
    numbers = itertools.count(1)

    def number(match: re.Match[str]) -> str:
        if match.group(0).startswith("'"):
            return match.group(0)
        return f"${match.group(1) or next(numbers)}"

    return _PLACEHOLDER.sub(number, sql)


def rows_changed(status: str) -> int:
    """The row count of a command tag such as 'INSERT 0 3', 'UPDATE 2' or 'DELETE 0'."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


async def schema_version(conn: Any) -> int:
    exists = await conn.fetchval("SELECT to_regclass('seqbot_schema') IS NOT NULL")
    if not exists:
        return 0
    return int(await conn.fetchval("SELECT version FROM seqbot_schema") or 0)


async def migrate(conn: Any, target: int = SCHEMA_VERSION) -> int:
    """Bring the schema to `target` in one transaction; concurrent starters wait their turn
    on an advisory lock, then find the work done."""
    if not BASELINE_VERSION <= target <= SCHEMA_VERSION:
        raise ValueError(f"target version {target} outside {BASELINE_VERSION}..{SCHEMA_VERSION}")
    server = conn.get_server_version()
    if server.major < MIN_SERVER:
        raise MigrationError(f"seqbot needs PostgreSQL {MIN_SERVER} or newer; the server "
                             f"runs {server.major}.{server.minor}")
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
        current = await schema_version(conn)
        if current > SCHEMA_VERSION:
            raise MigrationError(
                f"database schema v{current} is newer than this code (v{SCHEMA_VERSION}); "
                "upgrade seqbot instead of opening it with an old version")
        if current == 0:
            await _run(conn, BASELINE_VERSION,
                       "CREATE TABLE seqbot_schema (version INTEGER NOT NULL);"
                       "INSERT INTO seqbot_schema VALUES (0);" + MIGRATIONS[BASELINE_VERSION])
            current = BASELINE_VERSION
        for version in range(current + 1, target + 1):
            await _run(conn, version, MIGRATIONS[version])
            current = version
        await conn.execute("UPDATE seqbot_schema SET version = $1", current)
    return current


async def _run(conn: Any, version: int, script: str) -> None:
    try:
        await conn.execute(script)
    except asyncpg.PostgresError as error:
        raise MigrationError(f"migration v{version} failed: {error}") from error

