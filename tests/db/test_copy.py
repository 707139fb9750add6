"""`python -m db copy`: SQLite to PostgreSQL and back, every row and every id kept."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from benchmarks.pgcluster import Cluster
from db import CONFIRMED, FeedbackStore
from db.copy import TABLES, CopyError, copy_database
from tests.helpers import HASH_SECRET, HASHER, Clock, query_rows

REPO = Path(__file__).resolve().parents[2]
START = datetime(2026, 2, 1, tzinfo=timezone.utc)
BIG = 1_234_567_890_123_456_789  # snowflakes need all 64 bits


async def fill(location: str) -> None:
    """A database with a row in every table, awkward values included, and an erased newest
    answer, so that the next id is past every row's."""
    clock = Clock(START)
    async with await FeedbackStore.open(location, HASHER, clock=clock) as store:
        texts = ["Müller", "  O'Brien ", "名前", "emoji 😀 ' \" ; --", "x" * 2000]
        ids = []
        for i, text in enumerate(texts):
            clock.now += timedelta(minutes=1)
            ids.append(await store.log_prediction(
                "origin" if i % 2 else "sentiment", text, text.lower(), f"v{i}", "German",
                [("German", 0.7), ("Dutch", 0.2 + i / 100)], BIG + i, BIG - i, 100 + i))
        await store.log_prediction("origin", "dm", "dm", "v1", "Irish", [], None, None, None)
        for voter in (1, 2, 3):
            await store.record_vote(ids[0], voter, CONFIRMED)
        await store.record_vote(ids[1], 4, "Greek", is_moderator=True)
        await store.ignore_voter(3)
        await store.add_model_version("origin", "v1", "models/a", "sha256:aa", {"acc": 0.8},
                                      "production")
        await store.add_model_version("origin", "v2", "models/b", "sha256:bb", {})
        weights = bytes(range(256)) * 40 + b"\x00"  # every byte value, NULs included
        await store.add_model_version("origin", "v3", "models/c",
                                      hashlib.sha256(weights).hexdigest(), {},
                                      weights=weights)  # the registry's bytes (v11)
        await store.teach.add_to_pool("origin", ["Tanaka", "Ivanov"], "file.txt")
        [tanaka, _] = await store.teach.pool_to_score("origin", "v1", 10)
        await store.teach.link_pool(tanaka.id, ids[2])
        await store.teach.mark_shown(store.teach.user_viewer(1), ids[2])
        await store.teach.mark_shown(store.teach.channel_viewer(BIG), ids[3])
        await store.teach.set_schedule(BIG, BIG + 1, 6)
        await store.teach.set_enabled(BIG, True)
        await store.cooldowns.use(5, 3, 15.5)
        newest = await store.log_prediction("origin", "gone", "gone", "v1", "Irish", [],
                                            None, None, 999)
        await store.forget_user(999)
        assert newest == ids[-1] + 2


async def snapshot(location: str) -> dict[str, list[tuple]]:
    tables = {}
    for table in TABLES:
        tables[table.name] = await query_rows(
            location, f"SELECT * FROM {table.name} ORDER BY {', '.join(table.key)}")
    return tables


@pytest.fixture
def pg(postgres: Cluster):
    names = []

    def make() -> str:
        names.append(postgres.create_database())
        return postgres.url(names[-1])

    yield make
    for name in names:
        postgres.drop_database(name)


async def test_sqlite_to_postgresql_and_back_is_exact(tmp_path: Path, pg) -> None:
    original, server, back = str(tmp_path / "a.db"), pg(), str(tmp_path / "c.db")
    await fill(original)

    counts = await copy_database(original, server)
    assert counts["predictions"] == 6 and counts["votes"] == 4 and counts["cooldowns"] == 1
    await copy_database(server, back)

    assert await snapshot(back) == await snapshot(original)
    assert await snapshot(server) == await snapshot(original)  # margin included
    assert await query_rows(back, "SELECT * FROM sqlite_sequence ORDER BY name") == \
        await query_rows(original, "SELECT * FROM sqlite_sequence ORDER BY name")
    for location in (server, back):  # ids continue past the erased newest answer
        async with await FeedbackStore.open(location, HASHER) as store:
            assert await store.log_prediction("origin", "n", "n", "v", "l", [], None, None,
                                              None) == 8


async def test_a_destination_with_rows_is_refused_unless_forced(tmp_path: Path, pg) -> None:
    original, server = str(tmp_path / "a.db"), pg()
    await fill(original)
    await copy_database(original, server)
    other = str(tmp_path / "b.db")
    async with await FeedbackStore.open(other, HASHER) as store:
        await store.log_prediction("origin", "only", "only", "v", "l", [], None, None, None)

    with pytest.raises(CopyError, match=r"already holds rows .*predictions: 6"):
        await copy_database(other, server)
    assert (await snapshot(server))["predictions"] == (await snapshot(original))["predictions"]
    await copy_database(other, server, force=True)
    assert [row[2] for row in (await snapshot(server))["predictions"]] == ["only"]
    with pytest.raises(CopyError, match="same database"):
        await copy_database(server, server)


def test_the_cli_copies_and_never_shows_the_password(tmp_path: Path, pg, postgres) -> None:
    import asyncio

    original = tmp_path / "a.db"
    asyncio.run(fill(str(original)))
    server = pg().replace("postgres@", "postgres:hunter2@")  # trust auth ignores it
    env = {**os.environ, "SEQBOT_HASH_SECRET": HASH_SECRET}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "db", *args], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=120)

    done = cli("copy", f"sqlite:///{original}", server)
    assert done.returncode == 0, done.stderr
    assert "verified row for row" in done.stdout and "predictions: 6 rows" in done.stderr
    again = cli("copy", str(original), server)
    assert again.returncode == 1 and "--force" in again.stderr
    stats = cli("stats", "--db", server)
    assert json.loads(stats.stdout)["predictions"] == {"origin": 3, "sentiment": 3}
    refused = cli("stats", "--db", server.replace(f":{postgres.port}/", ":1/"))
    assert refused.returncode == 1 and "cannot connect to postgresql://postgres:***@" in \
        refused.stderr
    for result in (done, again, stats, refused):
        assert "hunter2" not in result.stdout + result.stderr
        assert "Traceback" not in result.stderr
