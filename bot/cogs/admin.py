"""/admin: model status, reload and rollback, feedback statistics, quarantining voters and
voter groups, sync.

Hidden from non-administrators by default_permissions, which server admins can change, so
every command checks the permission again when it runs. Anyone can create a server and invite
the bot, so being its administrator proves nothing about the others: what acts on every server
(the served models, who is quarantined, the command list) or shows data from every server
(voters' trust, flagged groups) is for the bot's owners only (SEQBOT_OWNER_IDS, else the
application's owner).
"""

from __future__ import annotations

import asyncio
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.ask import TASK_CHOICES
from bot.context import bot_of
from bot.deadline import reply, within_deadline
from bot.embeds import escape, stats_embed, status_embed
from bot.errors import NotOwner
from bot.sync import sync_commands
from db import VoterGroup, VoterStats

PRIVATE = {"ephemeral": True, "thinking": True}  # how a slow answer is deferred


async def _reply(interaction: discord.Interaction, content: str | None = None,
                 embed: discord.Embed | None = None) -> None:
    await reply(interaction, content=content, embed=embed, ephemeral=True)


async def _is_owner(interaction: discord.Interaction) -> bool:
    return await bot_of(interaction).is_owner(interaction.user)


async def _owner_check(interaction: discord.Interaction) -> bool:
    """Raises NotOwner, so the central error handler tells a server admin why, privately."""
    if not await _is_owner(interaction):
        raise NotOwner()
    return True


owner_only = app_commands.check(_owner_check)  # after Admin.interaction_check: admins first


Suspects = tuple[list[VoterStats], list[VoterGroup]]


async def _stats_for(interaction: discord.Interaction) -> tuple[dict, Suspects | None]:
    """Counts for every admin; voters' trust and flagged groups (None: not shown) only for
    owners, since they cover voters from every server."""
    feedback = bot_of(interaction).services.feedback
    if not await _is_owner(interaction):
        return await feedback.stats(), None
    stats, suspects = await asyncio.gather(feedback.stats(), feedback.suspects())
    return stats, suspects


@app_commands.guild_only()
@app_commands.default_permissions(administrator=True)
class Admin(commands.GroupCog, group_name="admin", group_description="Bot administration"):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.guild is None:
            raise app_commands.NoPrivateMessage()
        if not interaction.permissions.administrator:
            raise app_commands.MissingPermissions(["administrator"])
        return True

    @app_commands.command(name="status", description="Served model versions and their accuracy")
    async def status(self, interaction: discord.Interaction) -> None:
        services = bot_of(interaction).services
        models, stats = await within_deadline(
            interaction, asyncio.gather(services.models.status(), services.feedback.stats()),
            **PRIVATE)
        await _reply(interaction, embed=status_embed(models, stats))

    @app_commands.command(name="reload",
                          description="Owners: load the promoted model (or a given version)")
    @owner_only
    @app_commands.describe(task="Which model", version="A promoted version; default: CURRENT")
    @app_commands.choices(task=TASK_CHOICES)
    async def reload(self, interaction: discord.Interaction, task: str,
                     version: app_commands.Range[str, 1, 100] | None = None) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)  # loading takes a while
        served = await bot_of(interaction).services.models.reload(task, version)
        await _reply(interaction, f"{task}: now serving `{served}`.")

    @app_commands.command(name="rollback",
                          description="Owners: serve the version promoted before the current one")
    @owner_only
    @app_commands.describe(task="Which model")
    @app_commands.choices(task=TASK_CHOICES)
    async def rollback(self, interaction: discord.Interaction, task: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        served = await bot_of(interaction).services.models.rollback(task)
        await _reply(interaction, f"{task}: rolled back, now serving `{served}`.")

    @app_commands.command(name="stats",
                          description="Feedback statistics (owners also see voters' trust and "
                                      "flagged groups)")
    async def stats(self, interaction: discord.Interaction) -> None:
        stats, suspects = await within_deadline(interaction, _stats_for(interaction), **PRIVATE)
        embed = stats_embed(stats, *(suspects or ([], [])))
        if suspects is None:
            embed.set_footer(text="Counts cover every server. Voters' trust and flagged groups "
                                  "are shown to the bot's owners only.")
        await _reply(interaction, embed=embed)

    @app_commands.command(name="quarantine",
                          description="Owners: stop counting the votes (in every server) of a "
                                      "user or a flagged group")
    @owner_only
    @app_commands.describe(user="The voter to quarantine",
                           group="A flagged group's id (g-..., from /admin stats)")
    async def quarantine(self, interaction: discord.Interaction,
                         user: discord.User | None = None,
                         group: app_commands.Range[str, 1, 20] | None = None) -> None:
        await self._quarantine(interaction, user, group, release=False)

    @app_commands.command(name="release",
                          description="Owners: count a quarantined user's or group's votes again")
    @owner_only
    @app_commands.describe(user="The voter to release", group="The quarantined group's id")
    async def release(self, interaction: discord.Interaction,
                      user: discord.User | None = None,
                      group: app_commands.Range[str, 1, 20] | None = None) -> None:
        await self._quarantine(interaction, user, group, release=True)

    async def _quarantine(self, interaction: discord.Interaction, user: discord.User | None,
                          group: str | None, *, release: bool) -> None:
        if (user is None) == (group is None):
            await _reply(interaction, "Name either a user or a group (a g-... id from "
                                      "/admin stats).")
            return
        who = f"group {group}" if user is None else escape(user.name)  # no markdown, no ping
        changed = await within_deadline(interaction, bot_of(interaction).services.feedback.
                                        quarantine(user_id=user and user.id, group=group,
                                                   release=release), **PRIVATE)
        state = "counted again" if release else "quarantined: they no longer count"
        if group is not None:
            await _reply(interaction, f"Votes by {who} ({changed} voters) are now {state}.")
        elif changed:
            await _reply(interaction, f"Votes by {who} are now {state}.")
        else:
            await _reply(interaction, f"Votes by {who} were already "
                                      f"{'counted' if release else 'quarantined'}.")

    teach = app_commands.Group(name="teach", description="/teach and its scheduled post")

    @teach.command(name="enable", description="Let members use /teach in this server")
    async def teach_enable(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None  # interaction_check
        teach = bot_of(interaction).services.teach
        await within_deadline(  # the write may queue behind a long read or another process
            interaction, teach.set_enabled(interaction.guild_id, True), **PRIVATE)
        await _reply(interaction, "/teach is on in this server. `/admin teach post` also posts "
                                  "a question in a channel on a schedule.")

    @teach.command(name="disable", description="Turn /teach and its scheduled post off")
    async def teach_disable(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        teach = bot_of(interaction).services.teach
        await within_deadline(
            interaction, teach.set_enabled(interaction.guild_id, False), **PRIVATE)
        await _reply(interaction, "/teach and its scheduled post are off in this server.")

    @teach.command(name="post",
                   description="Post a question in this channel every N hours (0: stop posting)")
    @app_commands.describe(every_hours="Hours between two posts here; 0 stops them")
    async def teach_post(self, interaction: discord.Interaction,
                         every_hours: app_commands.Range[int, 0, 168]) -> None:
        assert interaction.guild_id is not None and interaction.channel_id is not None
        teach = bot_of(interaction).services.teach
        settings = await within_deadline(interaction, teach.set_schedule(
            interaction.guild_id, interaction.channel_id if every_hours else None,
            every_hours or None), **PRIVATE)
        if not every_hours:
            await _reply(interaction, "No more scheduled /teach posts in this server.")
            return
        text = f"I will post a question in this channel every {every_hours} h"
        await _reply(interaction, text + ("." if settings.enabled else
                                          ", once /teach is on (`/admin teach enable`)."))

    @app_commands.command(name="sync", description="Owners: publish the slash commands")
    @owner_only
    @app_commands.describe(scope="here: this server, at once; global: every server, slower")
    async def sync(self, interaction: discord.Interaction,
                   scope: Literal["here", "global"] = "here") -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild = interaction.guild if scope == "here" else None
        synced = await sync_commands(self.bot.tree, guild)
        where = "to this server" if guild else "globally (may take up to an hour to show)"
        await _reply(interaction, f"Synced {len(synced)} commands {where}.")
