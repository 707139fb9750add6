"""/sentiment and the "Analyze sentiment" message menu: is a text positive or negative?"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.context import on_behalf_of
from bot.cooldowns import ml_cooldown
from bot.errors import NO_MENTIONS
from bot.replies import answer_prediction


class Sentiment(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        # discord.py cannot declare context menus inside a cog class: build it here.
        self.menu = app_commands.ContextMenu(name="Analyze sentiment", callback=self.analyze)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    @app_commands.command(name="sentiment", description="Is this text positive or negative?")
    @app_commands.describe(text="Any text, e.g. a short review")
    @ml_cooldown
    async def sentiment(
        self, interaction: discord.Interaction, text: app_commands.Range[str, 1, 2000]
    ) -> None:
        await answer_prediction(interaction, "sentiment", text)

    @ml_cooldown
    async def analyze(self, interaction: discord.Interaction, message: discord.Message) -> None:
        if not message.content.strip():
            await interaction.response.send_message(
                "That message has no text I can read.", ephemeral=True,
                allowed_mentions=NO_MENTIONS)
            return
        on_behalf_of(interaction, message.author)  # their words: their /forget-me erases them
        await answer_prediction(interaction, "sentiment", message.content)
