"""The bot's background loops (the /teach poster, the agreed-inputs sync) end the same way:
cancelled, then awaited, so nothing of theirs runs once the bot has closed."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


async def stop(task: asyncio.Task[Any] | None) -> None:
    """Cancel `task` (if any) and wait until it has ended."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
