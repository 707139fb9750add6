"""The Discord client: features as cogs, one error handler, and a gate for clean shutdowns."""

from __future__ import annotations

import asyncio
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs import FEATURES
from bot.context import admit
from bot.cooldowns import SharedCooldowns
from bot.errors import NO_MENTIONS, report_error
from bot.services import Services
from bot.settings import Settings

log = logging.getLogger("seqbot.bot")

# The bot never joins voice: skip discord.py's start-up warnings about missing voice libraries.
discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False


class SeqbotTree(app_commands.CommandTree):
    """Routes every command through the bot's admission gate and its one error handler."""

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return await admit(interaction)

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await report_error(interaction, error)


class SeqbotMixin:
    """Shared by the plain and the auto-sharded client."""

    def __init__(self, settings: Settings, services: Services | None = None, **options) -> None:
        intents = discord.Intents.none()
        intents.guilds = True  # roles of members, for the moderator check
        super().__init__(  # type: ignore[call-arg]
            command_prefix=commands.when_mentioned, help_command=None, intents=intents,
            allowed_mentions=NO_MENTIONS, tree_cls=SeqbotTree, **options)
        self.settings = settings
        self._services = services
        self.accepting = True
        self.inflight: set[asyncio.Task] = set()
        self.cooldowns = SharedCooldowns(settings.cooldown_rate, settings.cooldown_per)

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("this client was built without services (command sync only)")
        return self._services

    async def setup_hook(self) -> None:
        await self.add_features()

    async def add_features(self) -> None:
        """Register every cog; needs no connection, so `sync --dry-run` can use it too."""
        for feature in FEATURES:
            await self.add_cog(feature(self))  # type: ignore[attr-defined]

    async def is_owner(self, user: discord.abc.User) -> bool:
        if self.settings.owner_ids:
            return user.id in self.settings.owner_ids
        return await super().is_owner(user)  # type: ignore[misc]

    async def drain(self, timeout: float) -> None:
        """Refuse new interactions, and wait (up to `timeout`) for those in progress."""
        self.accepting = False
        pending = {t for t in self.inflight if not t.done()}
        if pending:
            log.info("waiting for %d interaction(s) to finish", len(pending))
            _, late = await asyncio.wait(pending, timeout=timeout)
            if late:
                log.warning("%d interaction(s) still running after %.0f s", len(late), timeout)


class SeqBot(SeqbotMixin, commands.Bot):
    pass


class ShardedSeqBot(SeqbotMixin, commands.AutoShardedBot):
    pass


def create_bot(settings: Settings, services: Services | None = None) -> SeqBot | ShardedSeqBot:
    if settings.sharded:
        return ShardedSeqBot(settings, services, shard_count=settings.shard_count,
                             shard_ids=list(settings.shard_ids) if settings.shard_ids else None)
    return SeqBot(settings, services)
