"""/about and /help: what the bot does, which models answer, how much the community voted."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.context import bot_of
from bot.embeds import about_embed, help_embed
from bot.errors import NO_MENTIONS


class Meta(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @app_commands.command(name="about",
                          description="What this bot does, its models and their accuracy")
    async def about(self, interaction: discord.Interaction) -> None:
        services = bot_of(interaction).services
        embed = about_embed(await services.models.status(), await services.feedback.stats())
        await interaction.response.send_message(embed=embed, ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="help", description="How to use this bot")
    async def help(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(embed=help_embed(), ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)
