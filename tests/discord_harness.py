"""seqbot on the fake Discord: tiny random models, a temporary database, a connected bot.

No stand-ins for the bot's own parts: a real InferenceWorker serves tiny random checkpoints,
a real FeedbackStore writes a temporary SQLite file, and a real discord.py client talks to
tests.fakediscord over loopback HTTP and websocket.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

from bot.core import SeqBot, ShardedSeqBot, create_bot
from bot.services import Services
from bot.settings import Settings
from inference.predictor import Prediction
from inference.worker import InferenceWorker
from tests.fakediscord import FakeDiscord, connected
from tests.inference_fixtures import write_checkpoint


def tiny_checkpoints(folder: Path) -> dict[str, Path]:
    return {
        "origin": write_checkpoint(folder / "origin.safetensors", "origin", "origin-tiny", 1),
        "sentiment": write_checkpoint(folder / "sentiment.safetensors", "sentiment",
                                      "sentiment-tiny", 2),
    }


def bot_settings(folder: Path, **overrides: object) -> Settings:
    base = Settings(db_path=folder / "seqbot.db", hash_secret="test-hash-secret",
                    cooldown_rate=0, retention_days=0, model_watch_s=0)
    return replace(base, **overrides)  # type: ignore[arg-type]


def tiny_worker(checkpoints: dict[str, Path]) -> InferenceWorker:
    return InferenceWorker(checkpoints=checkpoints, device="cpu", threads=1, max_wait_ms=1)


class SlowClient:
    """A real worker whose answers take `delay_s` longer, like a loaded model thread."""

    def __init__(self, worker: InferenceWorker, delay_s: float) -> None:
        self.worker = worker
        self.delay_s = delay_s

    async def origin(self, name: str, top_k: int = 3) -> Prediction:
        await asyncio.sleep(self.delay_s)
        return await self.worker.origin(name, top_k)

    async def sentiment(self, text: str, top_k: int = 2) -> Prediction:
        await asyncio.sleep(self.delay_s)
        return await self.worker.sentiment(text, top_k)

    def __getattr__(self, name: str) -> object:  # model_versions, reload, start, close...
        return getattr(self.worker, name)


@contextlib.asynccontextmanager
async def running_bot(
    fake: FakeDiscord, settings: Settings, client: object
) -> AsyncIterator[SeqBot | ShardedSeqBot]:
    """Open the services around `client`, connect a bot to `fake`, and close it all after."""
    services = await Services.open(settings, client=client)  # type: ignore[arg-type]
    try:
        bot = create_bot(settings, services)
        async with connected(fake, bot, shards=settings.shard_count or 1):
            yield bot
    finally:
        await services.close()
