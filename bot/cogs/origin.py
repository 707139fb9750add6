"""/origin: which language a surname comes from."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.cooldowns import ml_cooldown
from bot.replies import answer_prediction


class Origin(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @app_commands.command(name="origin", description="Guess which language a surname comes from")
    @app_commands.describe(name="A surname, in any script (transliterated if it is not Latin)")
    @ml_cooldown
    async def origin(
        self, interaction: discord.Interaction, name: app_commands.Range[str, 1, 64]
    ) -> None:
        await answer_prediction(interaction, "origin", name)
