"""State every bot process (shard) shares through the database: a user's command budget and
which inputs /teach has shown to whom. Two stores on one database stand for two processes."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from db import FeedbackStore
from tests.helpers import HASHER, Clock, query_rows

ALICE, BOB = 1001, 1002
START = datetime(2026, 3, 1, tzinfo=timezone.utc)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
async def other(database: str, store: FeedbackStore, clock: Clock):
    """A second store on the same database, as another bot process would open it."""
    async with await FeedbackStore.open(database, HASHER, clock=clock) as second:
        yield second


async def test_a_users_budget_is_one_across_processes(store, other, clock) -> None:
    assert await store.cooldowns.use(ALICE, 2, 60) == 0
    assert await other.cooldowns.use(ALICE, 2, 60) == 0
    clock.now += timedelta(seconds=15)
    assert await store.cooldowns.use(ALICE, 2, 60) == pytest.approx(45)
    assert await other.cooldowns.use(ALICE, 2, 60) == pytest.approx(45)
    assert await other.cooldowns.use(BOB, 2, 60) == 0  # budgets are per user
    clock.now = START + timedelta(seconds=60)
    assert await other.cooldowns.use(ALICE, 2, 60) == 0  # a new window


async def test_simultaneous_uses_in_two_processes_are_all_counted(store, other) -> None:
    waits = await asyncio.gather(*(s.cooldowns.use(ALICE, 5, 60)
                                   for _ in range(10) for s in (store, other)))
    assert sorted(w == 0 for w in waits) == [False] * 15 + [True] * 5


async def test_budgets_are_erased_and_expire(store, clock, database) -> None:
    await store.cooldowns.use(ALICE, 1, 60)
    await store.forget_user(ALICE)
    assert await store.cooldowns.use(ALICE, 1, 60) == 0  # the erased budget was full
    clock.now += timedelta(days=2)
    await store.cooldowns.use(BOB, 1, 60)
    await store.purge_unvoted(older_than_days=1)
    assert await query_rows(database, "SELECT count(*) FROM cooldowns") == [(1,)]  # Bob's
    with pytest.raises(ValueError):
        await store.cooldowns.use(ALICE, 0, 60)


async def log(store: FeedbackStore, text: str) -> int:
    return await store.log_prediction("origin", text, text.lower(), "v1", "Japanese",
                                      [("Japanese", 0.5), ("Chinese", 0.5)], 10, 3, BOB)


async def test_teach_never_shows_a_viewer_the_same_input_twice_across_processes(
        store, other) -> None:
    viewer = store.teach.user_viewer(ALICE)
    for round_ in range(5):
        # the same input answered twice (two askers), claimed by both processes at once
        first, second = await log(store, f"Tanaka{round_}"), await log(other, f"TANAKA{round_}")
        claims = await asyncio.gather(store.teach.mark_shown(viewer, first),
                                      other.teach.mark_shown(viewer, second))
        assert sorted(claims) == [False, True]
        assert not await other.teach.mark_shown(viewer, first)
    assert await store.teach.shown_count(viewer) == 5
    assert await other.teach.mark_shown(store.teach.user_viewer(BOB), first)  # others may see it
    assert not await store.teach.mark_shown(viewer, 10_000)  # an erased answer is not claimed
