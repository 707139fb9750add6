"""Per-user rate limit on the ML commands (SEQBOT_COOLDOWN_RATE uses per SEQBOT_COOLDOWN_PER s).

One budget per user across all ML commands, counted in the database (db.cooldowns) so that
every bot process on it, one per shard group, counts against the same budget. The count is
written in the background, not waited for: a command decides from what the database last
said about the user's window plus the uses this process has sent since, so the budget costs
the answer no database round trip (measured: waiting for it cost ~17% of the interactions a
saturated machine carried). A use made in another process is seen from this process's next
write on; a write that fails is logged and the command keeps its answer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import discord
from discord import app_commands

from bot.context import bot_of
from db import FeedbackStore

log = logging.getLogger("seqbot.bot")


@dataclass
class _Window:
    start: float  # unix time the window began, as the database last said (or this process)
    used: int  # uses in it the database had counted by then
    pending: int = 0  # uses this process sent since, not yet answered


class SharedCooldowns:
    """This process's view of every active user's budget, kept in step with the database."""

    def __init__(self, rate: int, per: float) -> None:
        self.rate = rate
        self.per = per
        self._windows: dict[int, _Window] = {}
        self._writes: set[asyncio.Task[None]] = set()

    def hit(self, store: FeedbackStore, user_id: int, now: float | None = None) -> None:
        """Count one use; raises CommandOnCooldown when the user has none left."""
        if self.rate == 0:
            return
        now = time.time() if now is None else now
        for key in [k for k, w in self._windows.items()
                    if now - w.start >= self.per and not w.pending]:
            del self._windows[key]  # forget idle users, so the map stays small
        window = self._windows.get(user_id)
        if window is None or now - window.start >= self.per:
            window = self._windows[user_id] = _Window(now, 0, window.pending if window else 0)
        if window.used + window.pending >= self.rate:
            retry_after = window.start + self.per - now
            raise app_commands.CommandOnCooldown(app_commands.Cooldown(self.rate, self.per),
                                                 retry_after)
        window.pending += 1
        task = asyncio.create_task(self._count(store, user_id, window))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _count(self, store: FeedbackStore, user_id: int, window: _Window) -> None:
        try:
            start, used = await store.cooldowns.count(user_id, self.per)
        except Exception as error:  # a lock, a full disk, the server gone: the answer stands
            log.warning("cooldown not counted (%s: %s)", type(error).__name__, error)
            return
        finally:
            window.pending -= 1
        if (start, used) > (window.start, window.used) or window.used == 0:
            window.start, window.used = start, used  # the database knows every process's uses


def _check(interaction: discord.Interaction) -> bool:
    bot = bot_of(interaction)
    bot.cooldowns.hit(bot.services.store, interaction.user.id)
    return True


ml_cooldown = app_commands.check(_check)
"""Decorator for ML commands: a per-user budget shared by all of them, and by all shards."""
