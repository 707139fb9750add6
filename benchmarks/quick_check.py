"""How long SQLite's PRAGMA quick_check, run at every start that may write, takes on a large
database: fills a new file with N answers through the real schema, then times the check.

    python -m benchmarks.quick_check /tmp/big/seqbot.db --rows 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import time

from db import FeedbackStore, Hasher

SECRET = "benchmark-quick-check-secret"


def fill(path: str, rows: int) -> None:
    asyncio.run(_create(path))
    hasher = Hasher(SECRET)
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO predictions (task, input_text, normalized, model_version, label,"
            " top_json, guild_id, channel_id, author_hash, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (("origin", f"Name{i}", f"name{i}", "v1", "English",
              '[["English", 0.7], ["Irish", 0.2]]', 1, 2, hasher.hash_user(i % 50_000),
              "2026-01-01T00:00:00.000000Z") for i in range(rows)))


async def _create(path: str) -> None:
    await (await FeedbackStore.open(path, Hasher(SECRET))).close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.quick_check")
    parser.add_argument("path", help="a new SQLite file to create")
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    if os.path.exists(args.path):
        parser.error(f"{args.path} exists; give a new file")
    fill(args.path, args.rows)
    print(f"{args.rows} answers, {os.path.getsize(args.path) / 1e6:.0f} MB")
    for attempt in ("first", "again (file cached)"):
        with sqlite3.connect(args.path) as conn:
            start = time.perf_counter()
            [[result]] = conn.execute("PRAGMA quick_check").fetchall()
            print(f"quick_check {attempt}: {result} in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
