"""Pointing a real discord.py client at a FakeDiscord, and running it there."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from benchmarks.fakediscord.server import FakeDiscord


@contextlib.contextmanager
def pointed_at(fake: FakeDiscord) -> Iterator[None]:
    """Send discord.py's REST calls and gateway connections to `fake`.

    REST URLs are built from Route.BASE; a plain client connects to
    DiscordWebSocket.DEFAULT_GATEWAY, an auto-sharded one to GET /gateway/bot's url.
    """
    base, gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = fake.url + "/api/v10"
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = base, gateway


@contextlib.asynccontextmanager
async def connected(
    fake: FakeDiscord, client: discord.Client, *, shards: int = 1, timeout: float = 15.0
) -> AsyncIterator[discord.Client]:
    """Run `client` against `fake` until the block ends, then close it.

    Returns once every shard has identified: READY and GUILD_CREATE are then queued on the
    socket ahead of anything a test dispatches, so the client sees them first.
    """
    with pointed_at(fake):
        before = sum(s.identified and not s.ws.closed for s in fake.sessions)
        runner = asyncio.create_task(client.start(fake.token), name="client-under-test")
        ready = asyncio.create_task(fake.wait_identified(before + shards, timeout))
        try:
            await asyncio.wait({runner, ready}, return_when=asyncio.FIRST_COMPLETED)
            if runner.done():
                runner.result()  # the client failed to start: show why
                raise RuntimeError("the client stopped before identifying")
            ready.result()
            yield client
        finally:
            ready.cancel()
            await client.close()
            with contextlib.suppress(asyncio.CancelledError):
                await runner
