"""Per-user rate limit on the ML commands (SEQBOT_COOLDOWN_RATE uses per SEQBOT_COOLDOWN_PER s).

One budget per user across all ML commands, kept in the database (db.cooldowns) so that every
bot process on it, one per shard group, counts against the same budget. A budget that cannot
be read in time (the database busy or down) lets the command through: the limit protects the
models from floods, and is not worth a user's answer.
"""

from __future__ import annotations

import asyncio
import logging

import discord
from discord import app_commands

from bot.context import bot_of

log = logging.getLogger("seqbot.bot")

BUDGET_WAIT_S = 0.5  # of Discord's 3 s: the command itself still has to answer


async def _check(interaction: discord.Interaction) -> bool:
    bot = bot_of(interaction)
    rate, per = bot.settings.cooldown_rate, bot.settings.cooldown_per
    if rate == 0:
        return True
    try:
        retry_after = await asyncio.wait_for(
            bot.services.store.cooldowns.use(interaction.user.id, rate, per), BUDGET_WAIT_S)
    except Exception as error:  # timeout, lock, full disk, server gone: all let it through
        log.warning("cooldown not checked (%s: %s); letting the command through",
                    type(error).__name__, error)
        return True
    if retry_after:
        raise app_commands.CommandOnCooldown(app_commands.Cooldown(rate, per), retry_after)
    return True


ml_cooldown = app_commands.check(_check)
"""Decorator for ML commands: a per-user budget shared by all of them, and by all shards."""
