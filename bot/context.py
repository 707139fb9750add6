"""Who and what an interaction is about, and whether the bot lets it in."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import discord

from bot.errors import send_private
from bot.services import Requester

if TYPE_CHECKING:
    from bot.core import SeqBot, ShardedSeqBot

_TEXT_AUTHOR = "seqbot.text_author"  # interaction.extras key: whose words are analysed


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
    """The user behind an interaction; members with a moderator role vote as moderators.

    For a message menu it is the message's author (see `on_behalf_of`): the text logged is
    theirs, so their /forget-me must find it.
    """
    author = interaction.extras.get(_TEXT_AUTHOR)
    if isinstance(author, int):
        return Requester(author, interaction.guild_id, interaction.channel_id)
    user = interaction.user
    roles = bot_of(interaction).settings.moderator_role_ids
    moderator = isinstance(user, discord.Member) and any(r.id in roles for r in user.roles)
    return Requester(user.id, interaction.guild_id, interaction.channel_id, moderator)


def on_behalf_of(interaction: discord.Interaction, author: discord.abc.User) -> None:
    """Log what this interaction analyses under `author`, who wrote it, not under whoever
    used the menu: the words are the author's, and only the author can have them erased."""
    interaction.extras[_TEXT_AUTHOR] = author.id


def readable_channels(interaction: discord.Interaction) -> frozenset[int]:
    """The channels of the interaction's server whose past messages its user can read.

    /teach shows a member only answers asked in these, so a question asked in a private
    channel never leaves it. Private threads are left out (discord.py cannot tell who is in
    them) unless the command is used inside one; an uncached server gives just this channel.
    """
    here = interaction.channel_id
    channels = {here} if here is not None and _can_read(interaction.permissions) else set()
    guild, member = interaction.guild, interaction.user
    if guild is None or not isinstance(member, discord.Member):
        return frozenset(channels)
    for channel in [*guild.channels, *guild.threads]:
        if isinstance(channel, discord.Thread) and (channel.is_private()
                                                    or channel.parent is None):
            continue
        if _can_read(channel.permissions_for(member)):
            channels.add(channel.id)
    return frozenset(channels)


def _can_read(permissions: discord.Permissions) -> bool:
    return permissions.read_messages and permissions.read_message_history
