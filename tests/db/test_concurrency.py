"""The bot's concurrency: many coroutines, a second process, shutdown while writes are in flight."""

import asyncio
import sqlite3
import sys
import textwrap
import time
from pathlib import Path

import pytest

from db import DatabaseClosed, FeedbackStore
from tests.helpers import HASH_SECRET, HASHER, query_rows, sqlite_only

REPO = Path(__file__).resolve().parents[2]


async def log(store: FeedbackStore, text: str = "Nguyen", author: int | None = 1) -> int:
    return await store.log_prediction(
        "origin", text, text.lower(), "v1", "Vietnamese", [("Vietnamese", 0.9)], 10, 20, author
    )


async def count_rows(database: str, table: str) -> int:
    [(count,)] = await query_rows(database, f"SELECT count(*) FROM {table}")
    return count


async def test_200_concurrent_predictions_and_votes_all_land(store: FeedbackStore) -> None:
    async def user(i: int) -> tuple[int, int]:
        pred_id = await log(store, f"Name{i}", author=i)
        tally = await store.record_vote(pred_id, voter_id=1000 + i, label="confirmed")
        await store.tally(pred_id)
        return pred_id, tally.voters

    results = await asyncio.gather(*(user(i) for i in range(200)))

    assert len({pred_id for pred_id, _ in results}) == 200
    assert all(voters == 1 for _, voters in results)
    stats = await store.stats()
    assert stats["predictions"]["origin"] == 200
    assert stats["votes"] == 200
    assert stats["voters"] == 200


async def test_concurrent_votes_on_one_prediction_are_all_counted(store: FeedbackStore) -> None:
    pred_id = await log(store)
    await asyncio.gather(*(store.record_vote(pred_id, v, "Chinese") for v in range(50)))
    tally = await store.tally(pred_id)
    assert tally.counts == {"Chinese": 50}
    assert tally.consensus == "Chinese"


async def test_second_process_writing_at_the_same_time(store: FeedbackStore, database: str):
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from db import FeedbackStore, Hasher

        async def main():
            store = await FeedbackStore.open({database!r}, Hasher({HASH_SECRET!r}))
            print("ready", flush=True)
            sys.stdin.readline()
            for i in range(100):
                await store.log_prediction(
                    "sentiment", f"text {{i}}", "t", "v1", "positive", [], None, None, None
                )
            await store.close()

        asyncio.run(main())
        """
    )
    other = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        cwd=REPO,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert other.stdin is not None and other.stdout is not None
    assert await other.stdout.readline() == b"ready\n"
    other.stdin.write(b"go\n")
    await other.stdin.drain()

    await asyncio.gather(*(log(store, f"Name{i}") for i in range(100)))
    _, stderr = await other.communicate()

    assert other.returncode == 0, stderr.decode()
    stats = await store.stats()
    assert stats["predictions"] == {"origin": 100, "sentiment": 100}


async def hold_write_lock(db_path: Path, seconds: float) -> asyncio.subprocess.Process:
    """Another process that takes SQLite's write lock, says so, and keeps it for a while."""
    script = textwrap.dedent(
        f"""
        import sqlite3, time
        conn = sqlite3.connect({str(db_path)!r}, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        print("locked", flush=True)
        time.sleep({seconds})
        conn.execute("COMMIT")
        """
    )
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, stdout=asyncio.subprocess.PIPE
    )


@sqlite_only
async def test_busy_timeout_waits_for_another_writer_without_blocking_the_loop(
    store: FeedbackStore, db_path: Path
) -> None:
    locker = await hold_write_lock(db_path, 0.8)
    assert locker.stdout is not None
    assert await locker.stdout.readline() == b"locked\n"

    gaps: list[float] = []

    async def heartbeat() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    beat = asyncio.create_task(heartbeat())
    started = time.monotonic()
    ids = await asyncio.gather(*(log(store, f"Name{i}") for i in range(20)))
    waited = time.monotonic() - started
    beat.cancel()
    await locker.wait()

    assert len(set(ids)) == 20
    assert waited > 0.4  # really waited for the other process's lock
    assert max(gaps) < 0.4  # while the event loop kept running


async def test_without_enough_busy_timeout_the_lock_error_surfaces(db_path: Path) -> None:
    store = await FeedbackStore.open(db_path, HASHER, busy_timeout=0.05)
    try:
        locker = await hold_write_lock(db_path, 0.5)
        assert locker.stdout is not None
        await locker.stdout.readline()
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await log(store)
        await locker.wait()
        assert await log(store) > 0  # the failed transaction left the connection usable
    finally:
        await store.close()


async def test_close_commits_every_write_already_started(database: str, db_path: Path):
    store = await FeedbackStore.open(database, HASHER)
    writes = [asyncio.create_task(log(store, f"Name{i}")) for i in range(100)]
    await asyncio.sleep(0)  # the tasks have started and are queued on the connection
    # Another process still has the file open (the admin CLI, say), so SQLite will not
    # checkpoint by itself when the store's connection closes: close() must do it.
    other = sqlite3.connect(db_path) if store.dialect == "sqlite" else None
    if other is not None:
        other.execute("SELECT count(*) FROM sqlite_master").fetchall()
    await store.close()
    wal = Path(f"{db_path}-wal")
    wal_size = wal.stat().st_size if wal.exists() else 0
    if other is not None:
        other.close()

    assert all(task.done() and not task.exception() for task in writes)
    assert await count_rows(database, "predictions") == 100
    assert wal_size == 0  # checkpointed into the main file


async def test_a_cancelled_caller_does_not_lose_its_vote(database: str) -> None:
    store = await FeedbackStore.open(database, HASHER)
    pred_id = await log(store)
    vote = asyncio.create_task(store.record_vote(pred_id, 7, "Chinese"))
    await asyncio.sleep(0)
    vote.cancel()
    await store.close()

    assert await count_rows(database, "votes") == 1


async def test_operations_after_close_are_refused(database: str) -> None:
    store = await FeedbackStore.open(database, HASHER)
    await store.close()
    await store.close()  # idempotent
    with pytest.raises(DatabaseClosed):
        await log(store)
    with pytest.raises(DatabaseClosed):
        await store.stats()
