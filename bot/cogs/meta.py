"""/about and /help: what the bot does, which models answer, how much the community voted."""

from __future__ import annotations

import asyncio

import discord
from discord import app_commands
from discord.ext import commands

from bot.context import bot_of
from bot.deadline import reply, within_deadline
from bot.embeds import about_embed, help_embed
from bot.errors import NO_MENTIONS


class Meta(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @app_commands.command(name="about",
                          description="What this bot does, its models and their accuracy")
    async def about(self, interaction: discord.Interaction) -> None:
        services = bot_of(interaction).services
        models, stats = await within_deadline(  # a cold statistics scan is slow on big dbs
            interaction,
            asyncio.gather(services.models.status(), services.feedback.public_stats()),
            ephemeral=True, thinking=True)
        await reply(interaction, embed=about_embed(models, stats), ephemeral=True)

    @app_commands.command(name="help", description="How to use this bot")
    async def help(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(embed=help_embed(), ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)
