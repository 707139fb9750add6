"""seqbot on the fake Discord: tiny random models, a temporary database, a connected bot.

No stand-ins for the bot's own parts: a real InferenceWorker serves tiny random checkpoints,
a real FeedbackStore writes a temporary SQLite file, and a real discord.py client talks to
tests.fakediscord over loopback HTTP and websocket.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.core import SeqBot, ShardedSeqBot, create_bot
from bot.services import Services
from bot.settings import Settings
from inference.predictor import Predictor
from inference.results import Prediction
from inference.worker import InferenceWorker
from tests.fakediscord import FakeDiscord, connected


def bot_settings(folder: Path, **overrides: object) -> Settings:
    base = Settings(db_path=folder / "seqbot.db", hash_secret="test-hash-secret",
                    cooldown_rate=0, retention_days=0, model_watch_s=0)
    return replace(base, **overrides)  # type: ignore[arg-type]


def tiny_worker(checkpoints: dict[str, Path]) -> InferenceWorker:
    return InferenceWorker(checkpoints=checkpoints, device="cpu", threads=1, max_wait_ms=1)


class ModelGate:
    """Holds the model thread of every worker: each forward pass waits until `open()`
    (or at most `hold_s`), like a model thread busy with a long batch.

    Only the forward pass is held: queueing, batching and backpressure stay the worker's own.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, hold_s: float = 10.0) -> None:
        self.hold_s = hold_s
        self.entered = threading.Event()
        self._open = threading.Event()
        forward = Predictor.predict_prepared

        def held(predictor: Predictor, items: list, top_k: int = 3) -> list[Prediction]:
            self.entered.set()
            self._open.wait(self.hold_s)
            return forward(predictor, items, top_k)

        monkeypatch.setattr(Predictor, "predict_prepared", held)

    def open(self) -> None:
        self._open.set()

    async def wait_entered(self, timeout: float = 5.0) -> None:
        """Until a forward pass is being held."""
        assert await asyncio.to_thread(self.entered.wait, timeout), "no forward pass started"


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
