"""`python -m db copy SRC DST`: move a feedback database between SQLite and PostgreSQL.

Both ends are opened as the bot would (so an older SQLite file is upgraded first) and reach
the same schema version. The source is read in one snapshot and the destination written in
one transaction, a page of rows at a time in primary-key order, ids included; then where
each table's ids continue is carried over too (an erased newest answer's id stays used, so
old buttons never point at a new answer). Last, every table is read back from both ends and
compared row for row; any difference is an error. A destination that holds rows is refused
unless `force`, which empties it first.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from db.connection import Connection
from db.errors import StoreError
from db.store import open_database
from settings.database import DatabaseLocation, parse_location

PAGE = 2000


@dataclass(frozen=True)
class Table:
    name: str
    key: tuple[str, ...]  # primary key: the copy's order and its pages' boundaries
    identity: bool = False  # ids handed out by the database (PostgreSQL: a sequence)
    never_reused: bool = False  # ...and never twice (SQLite: AUTOINCREMENT, since v6)


# Parents before the tables that refer to them.
TABLES = (
    Table("predictions", ("id",), identity=True, never_reused=True),
    Table("votes", ("id",), identity=True),
    Table("model_versions", ("id",), identity=True),
    Table("model_blobs", ("sha256",)),  # the registry's checkpoints (v11)
    Table("ignored_voters", ("voter_hash",)),
    Table("teach_pool", ("id",), identity=True, never_reused=True),
    Table("teach_shown", ("viewer", "prediction_id")),
    Table("teach_guilds", ("guild_id",)),
    Table("cooldowns", ("user_hash",)),
    Table("store_meta", ("key",)),  # the hash secret's fingerprint travels with the hashes
)
DERIVED = {"predictions": ("margin",)}  # computed by each database from the copied columns


class CopyError(StoreError):
    """The destination is not empty, or what arrived differs from what was sent."""


async def copy_database(source: str | os.PathLike[str] | DatabaseLocation,
                        destination: str | os.PathLike[str] | DatabaseLocation, *,
                        force: bool = False,
                        progress: Callable[[str], None] = lambda _: None) -> dict[str, int]:
    """Copy every row from `source` to `destination`; returns rows copied per table."""
    src_at, dst_at = parse_location(source), parse_location(destination)
    if str(src_at) == str(dst_at):
        raise CopyError("source and destination are the same database")
    if not src_at.exists():
        raise CopyError(f"no database at {src_at}")
    src = await open_database(src_at)
    try:
        dst = await open_database(dst_at)
        try:
            counts = await src.read(lambda reader: dst.write(
                lambda writer: _copy_all(reader, writer, force, progress)))
            await src.read(lambda reader: dst.read(
                lambda checker: _verify_all(reader, checker, counts)))
        finally:
            await dst.close()
    finally:
        await src.close()
    return counts


async def _copy_all(src: Connection, dst: Connection, force: bool,
                    progress: Callable[[str], None]) -> dict[str, int]:
    filled = {t.name: n for t in TABLES if (n := await _count(dst, t.name))}
    if filled and not force:
        raise CopyError(f"the destination already holds rows ({_describe(filled)}); "
                        "pass --force to replace them")
    for table in reversed(TABLES):
        await dst.execute(f"DELETE FROM {table.name}")
    counts = {}
    for table in TABLES:
        columns = await _columns(src, table)
        insert = (f"INSERT INTO {table.name} ({', '.join(columns)}) "
                  f"VALUES ({', '.join('?' * len(columns))})")
        copied = 0
        async for rows in _pages(src, table, columns):
            await dst.execute_many(insert, rows)
            copied += len(rows)
        if table.identity:
            await _set_next_id(dst, table.name, await _next_id(src, table.name))
        counts[table.name] = copied
        progress(f"{table.name}: {copied} rows")
    return counts


async def _verify_all(src: Connection, dst: Connection, counts: dict[str, int]) -> None:
    for table in TABLES:
        columns = await _columns(src, table)
        sums = []
        for conn in (src, dst):
            digest, rows = hashlib.sha256(), 0
            async for page in _pages(conn, table, columns):
                for row in page:
                    digest.update(repr(row).encode())
                rows += len(page)
            sums.append((rows, digest.hexdigest()))
        if sums[0] != sums[1] or sums[0][0] != counts[table.name]:
            raise CopyError(f"{table.name} differs after the copy: {sums[0][0]} rows sent, "
                            f"{sums[1][0]} found, contents "
                            f"{'equal' if sums[0][1] == sums[1][1] else 'different'}")
        if table.never_reused and \
                await _next_id(dst, table.name) < await _next_id(src, table.name):
            raise CopyError(f"{table.name} would hand out ids the source already used")


async def _pages(conn: Connection, table: Table, columns: list[str]) -> Any:
    """Rows as tuples, in key order, a page at a time (keyset pagination)."""
    key = ", ".join(table.key)
    select = f"SELECT {', '.join(columns)} FROM {table.name}"
    order = f"ORDER BY {key} LIMIT {PAGE}"
    positions = [columns.index(column) for column in table.key]
    rows = await conn.fetch_all(f"{select} {order}")
    while rows:
        yield [tuple(row) for row in rows]
        last = [rows[-1][i] for i in positions]
        after = f"({key}) > ({', '.join('?' * len(last))})"
        rows = await conn.fetch_all(f"{select} WHERE {after} {order}", last)


async def _columns(conn: Connection, table: Table) -> list[str]:
    """The table's stored columns in their order (the same on both ends: one schema)."""
    if conn.dialect == "sqlite":
        rows = await conn.fetch_all(f"PRAGMA table_xinfo({table.name})")
        names = [row["name"] for row in rows]
    else:
        rows = await conn.fetch_all(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
            (table.name,))
        names = [row[0] for row in rows]
    return [name for name in names if name not in DERIVED.get(table.name, ())]


async def _count(conn: Connection, table: str) -> int:
    return int(await conn.fetch_value(f"SELECT count(*) FROM {table}"))


async def _next_id(conn: Connection, table: str) -> int:
    """The lowest id the table may still hand out: past its rows and past erased ones."""
    highest = int(await conn.fetch_value(f"SELECT coalesce(max(id), 0) FROM {table}"))
    if conn.dialect == "sqlite":
        used = await conn.fetch_value("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,))
    else:
        used = await conn.fetch_value(
            "SELECT pg_sequence_last_value(pg_get_serial_sequence(?, 'id')::regclass)",
            (table,))
    return max(highest, int(used or 0)) + 1


async def _set_next_id(conn: Connection, table: str, next_id: int) -> None:
    if conn.dialect == "sqlite":
        # Only AUTOINCREMENT tables have a row here; the others continue after max(id).
        if await conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = ?",
                              (next_id - 1, table)) == 0 and await _autoincrement(conn, table):
            await conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)",
                               (table, next_id - 1))
    elif next_id > 1:
        await conn.fetch_value("SELECT setval(pg_get_serial_sequence(?, 'id')::regclass, ?)",
                               (table, next_id - 1))


async def _autoincrement(conn: Connection, table: str) -> bool:
    sql = await conn.fetch_value("SELECT sql FROM sqlite_master WHERE name = ?", (table,))
    return "AUTOINCREMENT" in (sql or "").upper()


def _describe(counts: dict[str, int]) -> str:
    return ", ".join(f"{name}: {n}" for name, n in counts.items())
