"""The per-user budget as bot processes keep it: decided without waiting for the database,
counted in it, so a user's uses in another process (shard) count from the next command on."""

from __future__ import annotations

import asyncio
import time

import pytest
from discord import app_commands

from bot.cooldowns import SharedCooldowns
from db import FeedbackStore
from tests.helpers import HASHER

ALICE, BOB = 1001, 1002


async def settle(*budgets: SharedCooldowns) -> None:
    """Let the background counts reach the database and come back."""
    while any(b._writes for b in budgets):
        await asyncio.sleep(0.01)


async def test_a_budget_spans_processes(database: str) -> None:
    async with await FeedbackStore.open(database, HASHER) as one, \
            await FeedbackStore.open(database, HASHER) as two:
        first, second = SharedCooldowns(3, 60), SharedCooldowns(3, 60)
        now = time.time()  # the stores' clock is the real one
        first.hit(one, ALICE, now=now)
        first.hit(one, ALICE, now=now + 1)
        with pytest.raises(app_commands.CommandOnCooldown):  # in flight still counts
            for _ in range(5):
                first.hit(one, ALICE, now=now + 2)
        await settle(first)
        second.hit(two, ALICE, now=now + 3)  # this process had not heard of her yet
        await settle(second)
        with pytest.raises(app_commands.CommandOnCooldown) as refused:
            second.hit(two, ALICE, now=now + 4)  # but now knows her three uses
        assert 50 < refused.value.retry_after <= 60
        second.hit(two, BOB, now=now + 4)  # others keep their own budget
        await settle(second)


async def test_a_failed_count_keeps_the_answer(database: str, caplog) -> None:
    store = await FeedbackStore.open(database, HASHER)
    await store.close()
    budget = SharedCooldowns(1, 60)
    budget.hit(store, ALICE)  # the database is gone: the command still runs
    await settle(budget)
    assert "cooldown not counted" in caplog.text
    budget.hit(store, BOB)
    await settle(budget)
    SharedCooldowns(0, 60).hit(store, ALICE)  # rate 0: no budget at all
