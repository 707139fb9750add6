"""/forget-me: erase everything a user contributed, after a confirmation."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import NO_MENTIONS
from bot.views import ForgetButton, forget_view


class Privacy(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ForgetButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ForgetButton)

    @app_commands.command(name="forget-me",
                          description="Erase everything you contributed: your questions and votes")
    async def forget_me(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            "This erases every question you asked me and every vote you gave, everywhere. "
            "The answers already posted in channels stay, but nothing about you is kept. "
            "Continue?",
            view=forget_view(interaction.user.id), ephemeral=True, allowed_mentions=NO_MENTIONS)
