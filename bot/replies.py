"""Answering an interaction with a prediction, inside Discord's 3-second acknowledgement window."""

from __future__ import annotations

from typing import Any

import discord

from bot.context import bot_of, requester
from bot.deadline import reply, within_deadline
from bot.embeds import card_embed
from bot.present import prediction_card
from bot.views import feedback_view


async def answer_prediction(interaction: discord.Interaction, task: str, text: str) -> None:
    """Predict, log and reply with feedback buttons.

    Inference starts at once; if it has not finished after `defer_after_s` the interaction is
    deferred ("thinking...") and the answer replaces the placeholder when it is ready.
    """
    services = bot_of(interaction).services
    answer = await within_deadline(
        interaction, services.predictions.predict(task, text, requester(interaction)),
        thinking=True)
    fields: dict[str, Any] = {"embed": card_embed(prediction_card(answer))}
    if answer.prediction_id is not None:
        fields["view"] = feedback_view(answer.prediction_id)
    await reply(interaction, **fields)
