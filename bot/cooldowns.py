"""Per-user rate limit on the ML commands (SEQBOT_COOLDOWN_RATE uses per SEQBOT_COOLDOWN_PER s).

One budget per user across all ML commands, owned by the bot instance rather than by
module-level decorator state, so settings apply and a new client starts afresh.
"""

from __future__ import annotations

import time

import discord
from discord import app_commands

from bot.context import bot_of


class UserCooldowns:
    def __init__(self, rate: int, per: float) -> None:
        self.rate = rate
        self.per = per
        self._buckets: dict[int, app_commands.Cooldown] = {}

    def hit(self, user_id: int, now: float | None = None) -> None:
        """Count one use; raises CommandOnCooldown when the user has none left."""
        if self.rate == 0:
            return
        now = time.time() if now is None else now
        for key in [k for k, b in self._buckets.items() if b.get_tokens(now) == b.rate]:
            del self._buckets[key]  # forget idle users, so the map stays small
        bucket = self._buckets.setdefault(user_id, app_commands.Cooldown(self.rate, self.per))
        retry_after = bucket.update_rate_limit(now)
        if retry_after:
            raise app_commands.CommandOnCooldown(bucket, retry_after)


def _check(interaction: discord.Interaction) -> bool:
    bot_of(interaction).cooldowns.hit(interaction.user.id)
    return True


ml_cooldown = app_commands.check(_check)
"""Decorator for ML commands: a per-user budget shared by all of them."""
