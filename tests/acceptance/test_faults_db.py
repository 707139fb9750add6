"""A locked or full database: users still get answers in time, errors are logged, and
the group-committed writes around a failing one are not dragged down with it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
import time

import pytest

from benchmarks.fakediscord import connected
from bot.core import create_bot
from bot.services import Services
from db import FeedbackStore, UnknownPrediction
from db.database import fetch_value
from tests.helpers import HASHER, bot_settings, running_bot, tiny_worker

DEADLINE_S = 1.5  # the fake's acknowledgement deadline: Discord's 3 s, shortened for speed


@pytest.fixture
def settings(tmp_path):
    return bot_settings(tmp_path, defer_after_s=0.3)


@contextlib.contextmanager
def write_locked(db_path):
    """Another process's write transaction (an admin CLI, a training export)."""
    blocker = sqlite3.connect(db_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        blocker.rollback()
        blocker.close()


def pred_id(answer: dict) -> int:
    return int(answer["components"][0]["components"][0]["custom_id"].split(":")[2])


def in_time(record) -> bool:
    return record.ack_latency is not None and record.ack_latency < DEADLINE_S


async def test_writes_waiting_on_a_lock_are_acknowledged_in_time(fake, checkpoints, settings):
    # The lock outlasts Discord's deadline but not the busy timeout: the writes wait, so
    # the bot must defer, then answer once they are committed.
    async with running_bot(fake, settings, tiny_worker(checkpoints)):
        alice, bob = fake.member(fake.guild, "alice"), fake.member(fake.guild, "bob")
        answer = await (await fake.slash(alice, "origin", name="Nakamura")).final()
        with write_locked(settings.db.sqlite_path):
            vote = await fake.click(bob, answer, f"seqbot:vote:{pred_id(answer)}:right")
            ask = await fake.slash(bob, "origin", name="Rossi")
            about = await fake.slash(bob, "about")  # a read queues behind those writes
            await asyncio.sleep(DEADLINE_S + 0.3)
            assert in_time(vote) and vote.response_type == 6  # deferred update
            assert in_time(ask) and ask.response_type == 5  # "thinking..."
            assert in_time(about) and about.response_type == 5
        assert "Thanks" in (await vote.followup())["content"]
        assert fake.messages[int(answer["id"])]["content"] == "1 of 1 voter agrees with this answer"
        assert (await ask.final())["components"]  # logged after all: votable
        assert (await about.final())["embeds"][0]["title"] == "About seqbot"
        assert not [c for r in (vote, ask, about) for c in r.calls if c.status >= 400]


async def test_a_lock_past_the_busy_timeout_still_answers_and_logs(fake, checkpoints, settings,
                                                                  caplog):
    client = tiny_worker(checkpoints)
    store = await FeedbackStore.open(settings.db, HASHER, busy_timeout=0.2)
    await client.start()
    services = Services(client, store)
    try:
        async with connected(fake, create_bot(settings, services)):
            alice, bob = fake.member(fake.guild, "alice"), fake.member(fake.guild, "bob")
            answer = await (await fake.slash(alice, "origin", name="Nakamura")).final()
            with write_locked(settings.db.sqlite_path):
                asked = await (await fake.slash(bob, "origin", name="Rossi")).final()
                vote = await (await fake.click(
                    bob, answer, f"seqbot:vote:{pred_id(answer)}:right")).final()
            assert asked["embeds"] and not asked["components"]  # answered, not votable
            assert "could not log the origin prediction" in caplog.text
            assert vote["flags"] & 64
            [error_id] = re.findall(r"error id `([0-9a-f]{8})`", vote["content"])
            [logged] = [r for r in caplog.records if r.getMessage().startswith(f"error {error_id}")]
            assert logged.levelno == logging.ERROR and "locked" in str(logged.exc_info[1])
            # The lock is gone: the same vote now counts.
            again = await fake.click(bob, answer, f"seqbot:vote:{pred_id(answer)}:right")
            assert "Thanks" in (await again.followup())["content"]
    finally:
        await services.close()


async def test_a_full_disk_still_answers_and_recovers(fake, checkpoints, settings, caplog):
    async with running_bot(fake, settings, tiny_worker(checkpoints)) as bot:
        alice = fake.member(fake.guild, "alice")
        review = "the film was great and the acting was good " * 45  # needs new pages
        # SQLITE_FULL, as on a full disk: max_page_count is per connection, so it must be
        # set on the bot's own one.
        database = bot.services.store._db
        conn = database._conn
        async with database._lock:  # not inside a read the bot's start-up tasks may be doing
            await conn.execute("VACUUM")  # no free pages left by migrations that rebuilt tables
            pages = await fetch_value(conn, "PRAGMA page_count")
            await conn.execute(f"PRAGMA max_page_count = {pages}")
        full = await (await fake.slash(alice, "sentiment", text=review)).final()
        assert full["embeds"] and not full["components"]
        assert "could not log the sentiment prediction" in caplog.text
        assert "full" in caplog.text
        await conn.execute("PRAGMA max_page_count = 1073741823")
        assert (await (await fake.slash(alice, "sentiment", text=review)).final())["components"]


async def test_one_failing_write_fails_alone_among_a_group(tmp_path):
    async with await FeedbackStore.open(tmp_path / "seqbot.db", HASHER) as store:
        async def ask(i: int) -> int:
            return await store.log_prediction("origin", f"Name{i}", f"name{i}", "v1",
                                              "English", [("English", 1.0)], 1, 2, i)

        known = await ask(0)
        # Queued in one turn of the event loop, so they share one transaction.
        results = await asyncio.gather(
            *(ask(i) for i in range(1, 31)),
            *(store.record_vote(known if i % 2 else 10_000, i, "confirmed") for i in range(10)),
            return_exceptions=True)
        assert all(isinstance(r, int) for r in results[:30])
        assert [isinstance(r, UnknownPrediction) for r in results[30:]] == [True, False] * 5
        assert (await store.tally(known)).voters == 5
        assert (await store.stats())["predictions"]["origin"] == 31


async def test_a_lock_fails_queued_writes_once_not_once_each(tmp_path):
    path = tmp_path / "seqbot.db"
    async with await FeedbackStore.open(path, HASHER, busy_timeout=0.3) as store:
        async def ask(i: int) -> int:
            return await store.log_prediction("origin", "Kim", "kim", "v1", "Korean",
                                              [("Korean", 1.0)], None, None, i)

        with write_locked(path):
            started = time.monotonic()
            results = await asyncio.gather(*(ask(i) for i in range(20)), return_exceptions=True)
            waited = time.monotonic() - started
        assert all(isinstance(r, sqlite3.OperationalError) for r in results)
        assert waited < 2.0  # one busy timeout for the group, not 20 of 0.3 s
        assert await ask(99) > 0
