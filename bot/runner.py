"""Running the Discord bot: start services, connect, and shut down cleanly on a signal.

On SIGINT/SIGTERM the bot stops admitting interactions, lets those in progress finish
(up to SEQBOT_SHUTDOWN_GRACE_S), disconnects, then closes the models and the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from bot.core import SeqBot, ShardedSeqBot, create_bot
from bot.services import Services
from bot.settings import Settings

log = logging.getLogger("seqbot.bot")

RETENTION_EVERY_S = 24 * 3600


async def run_bot(settings: Settings, services: Services | None = None) -> None:
    """Serve until a signal (or a fatal connection error); always closes what it opened."""
    if not settings.token:
        raise ValueError("run_bot needs DISCORD_TOKEN")
    services = services or await Services.open(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        bot = create_bot(settings, services)
        async with bot:
            await _serve(bot, settings, stop)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await services.close()
        log.info("stopped")


async def _serve(bot: SeqBot | ShardedSeqBot, settings: Settings, stop: asyncio.Event) -> None:
    connection = asyncio.create_task(bot.start(settings.token or ""), name="discord")
    stopping = asyncio.create_task(stop.wait(), name="stop-signal")
    background = [asyncio.create_task(_retention(bot, settings.retention_days), name="retention")
                  ] if settings.retention_days > 0 else []
    try:
        await asyncio.wait({connection, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if connection.done():
            connection.result()  # a login or connection failure: raise it
            return
        log.info("shutting down")
        await bot.drain(settings.shutdown_grace_s)
        await bot.close()
        await connection
    finally:
        for task in (stopping, connection, *background):
            task.cancel()
        for task in (stopping, connection, *background):
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _retention(bot: SeqBot | ShardedSeqBot, days: float) -> None:
    """Delete old answers nobody voted on, once a day (SEQBOT_RETENTION_DAYS)."""
    while True:
        try:
            purged = await bot.services.feedback.purge(days)
            if purged:
                log.info("retention: deleted %d unvoted answers older than %g days", purged, days)
        except Exception:
            log.exception("retention: purge failed; retrying tomorrow")
        await asyncio.sleep(RETENTION_EVERY_S)
