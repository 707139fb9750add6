"""The buttons under every answer: registers the persistent components of Right / Wrong
voting and of Why?."""

from __future__ import annotations

from discord.ext import commands

from bot.views import CorrectionSelect, VoteButton, WhyButton


class Feedback(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(VoteButton, CorrectionSelect, WhyButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(VoteButton, CorrectionSelect, WhyButton)
