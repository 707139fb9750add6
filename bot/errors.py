"""The one place that turns failures into replies: friendly text for users, tracebacks for logs.

Expected failures (bad input, busy models, cooldowns, permissions) get a plain explanation.
Anything else gets a short error id; the log line with the traceback carries the same id,
so a user's report can be matched to its cause.
"""

from __future__ import annotations

import logging
import math
import secrets

import discord
from discord import app_commands

from bot.explaining import NotExplainable
from db.errors import UnknownPrediction, UnknownVoterGroup
from inference.errors import CheckpointError, InferenceBusy, InferenceUnavailable, InputError

log = logging.getLogger("seqbot.bot")

NO_MENTIONS = discord.AllowedMentions.none()


class NotOwner(app_commands.CheckFailure):
    """A command reserved for the bot's owners (SEQBOT_OWNER_IDS, else the app owner)."""


def describe(error: BaseException) -> str | None:
    """The user-facing text for an expected failure, or None for a bug."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, (InputError, NotExplainable)):
        return str(error)
    if isinstance(error, InferenceBusy):
        return "I'm answering a lot of people right now. Please try again in a few seconds."
    if isinstance(error, InferenceUnavailable):
        log.warning("inference unavailable: %s", error)
        return "My models are not available at the moment. Please try again later."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {math.ceil(error.retry_after)} s."
    if isinstance(error, app_commands.MissingPermissions):
        return "Only server administrators can use this command."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command only works inside a server."
    if isinstance(error, NotOwner):
        return "Only the bot's owners can use this command."
    if isinstance(error, UnknownPrediction):
        return "I can't find that answer any more (it may have been erased), so I can't count " \
               "votes on it."
    if isinstance(error, UnknownVoterGroup):
        return f"{str(error).capitalize()}."
    if isinstance(error, CheckpointError):
        return f"Refused, the current model keeps serving: {error}"
    return None


def user_message(error: BaseException, context: str) -> str:
    """What to tell the user: the explanation of an expected failure, else an error id that
    is also logged, with the traceback and `context`, so a report can be matched to it."""
    message = describe(error)
    if message is not None:
        return message
    error_id = secrets.token_hex(4)
    log.error("error %s while handling %s", error_id, context,
              exc_info=getattr(error, "original", error))
    return (f"Sorry, something went wrong on my side (error id `{error_id}`). "
            "Please try again later.")


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Tell the user what went wrong, privately; log unexpected errors with an id."""
    context = f"{_what(interaction)} from user {interaction.user.id}"
    await send_private(interaction, user_message(error, context))


async def send_private(interaction: discord.Interaction, message: str) -> None:
    """Reply only the user sees, whatever state the interaction's response is in."""
    try:
        if not interaction.response.is_done():
            await interaction.response.send_message(message, ephemeral=True,
                                                    allowed_mentions=NO_MENTIONS)
        elif interaction.response.type is discord.InteractionResponseType.deferred_channel_message:
            # The "thinking..." placeholder is ours to replace; it cannot turn ephemeral.
            await interaction.edit_original_response(content=message, embed=None, view=None,
                                                     allowed_mentions=NO_MENTIONS)
        else:
            await interaction.followup.send(message, ephemeral=True, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException as exc:
        log.warning("could not tell user %s about a failure in %s: %s", interaction.user.id,
                    _what(interaction), exc)


def _what(interaction: discord.Interaction) -> str:
    if interaction.command is not None:
        return f"/{interaction.command.qualified_name}"
    custom_id = (interaction.data or {}).get("custom_id")
    return f"component {custom_id}" if custom_id else f"interaction type {interaction.type}"
