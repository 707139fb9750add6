"""Discord drops an interaction that is not acknowledged within 3 s: acknowledge slow work first.

Anything awaited before the first response (a model, a write queued behind others or behind
another process's lock, a large statistics query) can take longer than that.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

import discord

from bot.context import bot_of
from bot.errors import NO_MENTIONS

T = TypeVar("T")


async def within_deadline(interaction: discord.Interaction, work: Awaitable[T],
                          **defer: Any) -> T:
    """Await `work`; if it is still running after SEQBOT_DEFER_AFTER_S, defer the response
    first (with `defer`'s options), so the reply can come later by editing it.

    `reply` then answers whichever way the response now needs.
    """
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=bot_of(interaction).settings.defer_after_s)
        if not done:
            await interaction.response.defer(**defer)
        return await task
    finally:
        task.cancel()  # no-op once finished; stops the work if deferring failed


async def reply(interaction: discord.Interaction, *, ephemeral: bool = False,
                **fields: Any) -> None:
    """Answer with `fields` (pinging nobody unless they say otherwise): by editing the
    response if within_deadline deferred it, else as the response itself."""
    fields.setdefault("allowed_mentions", NO_MENTIONS)
    if interaction.response.is_done():
        await interaction.edit_original_response(**fields)
    else:
        await interaction.response.send_message(**fields, ephemeral=ephemeral)
