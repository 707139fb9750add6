"""/teach and the scheduled post: ask the community about the answers the models are least
sure of, with the usual Right / Wrong buttons, so votes land where they teach the most.

Off until a server admin turns it on (/admin teach enable); the scheduled post also needs a
channel and an interval (/admin teach post, at most once an hour). /teach shares the ML
commands' per-user cooldown, and its answer is private, so each member gets their own queue.
A member is only shown answers asked in channels they can read; a scheduled post only
answers asked in its own channel (and pooled ones, which belong to no channel).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.background import stop
from bot.cogs.ask import TASK_CHOICES
from bot.context import bot_of, readable_channels
from bot.cooldowns import ml_cooldown
from bot.deadline import reply, within_deadline
from bot.embeds import card_embed
from bot.errors import NO_MENTIONS
from bot.present import prediction_card
from bot.services import Answer
from bot.views import feedback_view
from db import LoggedPrediction
from inference.results import Prediction
from inference.tasks import TASKS

log = logging.getLogger("seqbot.bot")

TICK_S = 300.0  # how often the scheduled posts are checked and the pool is scored
POOL_PER_TICK = 256
NOT_ENABLED = ("/teach is not turned on in this server. A server admin can turn it on with "
               "`/admin teach enable`.")
NOTHING_LEFT = ("Nothing to teach right now: you have seen every answer I am unsure about. "
                "Try again later!")
ASK = "I'm unsure about this one. Is my answer right? Your vote trains the next model."
POST = "Help me learn: I'm unsure about this one. Is my answer right?"


def as_answer(record: LoggedPrediction) -> Answer:
    """A logged answer, shown again: the card reads it as it read the original."""
    probability = record.top[0][1] if record.top else 0.0
    prediction = Prediction(record.task, record.input_text, record.normalized, record.label,
                            probability, list(record.top), record.model_version)
    return Answer(prediction, record.id)


def question(header: str, record: LoggedPrediction) -> dict[str, Any]:
    return {"content": header, "embed": card_embed(prediction_card(as_answer(record))),
            "view": feedback_view(record.id), "allowed_mentions": NO_MENTIONS}


class Teach(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self._poster: asyncio.Task[None] | None = None

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        if self._poster is None:  # on_ready repeats after reconnects
            self._poster = asyncio.create_task(self._post_forever(), name="teach-poster")

    async def cog_unload(self) -> None:
        await stop(self._poster)

    @app_commands.command(name="teach",
                          description="Help the models learn: vote on an answer they are unsure of")
    @app_commands.describe(task="Which model (default: whichever is less sure)")
    @app_commands.choices(task=TASK_CHOICES)
    @app_commands.guild_only()
    @ml_cooldown
    async def teach(self, interaction: discord.Interaction, task: str | None = None) -> None:
        assert interaction.guild_id is not None  # guild_only
        service = bot_of(interaction).services.teach
        channels = readable_channels(interaction)

        async def pick() -> tuple[bool, LoggedPrediction | None]:
            if not await service.enabled(interaction.guild_id):  # type: ignore[arg-type]
                return False, None
            tasks = (task,) if task else tuple(TASKS)
            return True, await service.for_user(interaction.user.id, interaction.guild_id,
                                                channels, tasks)  # type: ignore[arg-type]

        enabled, record = await within_deadline(interaction, pick(), ephemeral=True,
                                                thinking=True)
        if record is None:
            await reply(interaction, content=NOTHING_LEFT if enabled else NOT_ENABLED,
                        ephemeral=True)
        else:
            await reply(interaction, **question(ASK, record), ephemeral=True)

    async def post_due(self) -> int:
        """Score pooled inputs, then make each due scheduled post this client can see;
        returns how many were posted."""
        service = self.bot.services.teach  # type: ignore[attr-defined]
        for task in TASKS:
            await service.score_pool(task, POOL_PER_TICK)
        posted = 0
        for due in await service.due_posts():
            assert due.channel_id is not None  # due_posts only lists scheduled servers
            channel = self.bot.get_channel(due.channel_id)
            if self.bot.get_guild(due.guild_id) is None or not isinstance(
                    channel, discord.abc.Messageable):
                continue  # another shard's server, or the channel is gone
            record = await service.for_channel(due.channel_id, due.guild_id)
            if record is None:
                continue
            try:
                await channel.send(**question(POST, record))
                posted += 1
            except discord.HTTPException as exc:  # no permission there: wait for the next turn
                log.warning("teach: could not post in channel %s: %s", due.channel_id, exc)
            await service.mark_posted(due.guild_id)
        return posted

    async def _post_forever(self) -> None:
        while True:
            try:
                await self.post_due()
            except Exception:
                log.exception("teach: scheduled posts failed; retrying in %.0f s", TICK_S)
            await asyncio.sleep(TICK_S)

