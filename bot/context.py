"""Who and what an interaction is about, and whether the bot lets it in."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import discord

from bot.errors import send_private
from bot.services import Requester

if TYPE_CHECKING:
    from bot.core import SeqBot, ShardedSeqBot


def bot_of(interaction: discord.Interaction) -> SeqBot | ShardedSeqBot:
    return interaction.client  # type: ignore[return-value]


async def admit(interaction: discord.Interaction) -> bool:
    """Let an interaction in unless shutting down; track it so shutdown can wait for it.

    Runs inside the task discord.py created for this interaction, so that task is what
    shutdown waits on: it ends only after the reply, error handling included.
    """
    bot = bot_of(interaction)
    if not bot.accepting:
        await send_private(interaction, "I'm restarting. Please try again in a minute.")
        return False
    task = asyncio.current_task()
    if task is not None:
        bot.inflight.add(task)
        task.add_done_callback(bot.inflight.discard)
    return True


def requester(interaction: discord.Interaction) -> Requester:
    """The user behind an interaction; members with a moderator role vote as moderators."""
    user = interaction.user
    roles = bot_of(interaction).settings.moderator_role_ids
    moderator = isinstance(user, discord.Member) and any(r.id in roles for r in user.roles)
    return Requester(user.id, interaction.guild_id, interaction.channel_id, moderator)
