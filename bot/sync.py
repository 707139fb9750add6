"""Publishing slash commands: never automatic, always explicit (CLI or /admin sync).

Syncing on every start would hit Discord's rate limits and push half-finished commands to
every server; a guild sync (DEV_GUILD_ID) is instant, a global one can take an hour.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands


async def sync_commands(
    tree: app_commands.CommandTree, guild: discord.abc.Snowflake | None
) -> list[app_commands.AppCommand]:
    """Sync globally, or copy the global commands into `guild` and sync that guild."""
    if guild is not None:
        tree.copy_global_to(guild=guild)
    return await tree.sync(guild=guild)


def command_payload(tree: app_commands.CommandTree) -> list[dict[str, Any]]:
    """Exactly what a global sync would PUT to Discord."""
    return [command.to_dict(tree) for command in tree.get_commands()]
