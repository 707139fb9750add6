"""The community's agreed inputs in the served known-input memory, kept in step with votes.

A task whose spec keeps known inputs (inference.memory: surnames) answers an input the
community agreed on from that agreement at once, before any finetune. The agreed set comes
from one store query, `FeedbackStore.trusted_labels` (where the trust-weighted consensus
decides what is agreed), and is sent whole to the inference client (`set_agreed`), so the
memory holds exactly what the store agrees on now: an input joins when it is agreed and
leaves when its agreement is revoked, its voters are ignored or forgotten (/forget-me).

It is sent at start, after every change the bot makes to the votes (`changed`: a vote, an
erasure, a quarantine; changes arriving while a sync runs are taken by one more sync),
and every RESYNC_S seconds, which also picks up changes made outside the bot (the admin
CLI, another process) and refills a restarted inference service.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.background import stop
from db import FeedbackStore
from inference.client import InferenceClient
from inference.errors import InferenceBusy, InferenceUnavailable
from inference.memory import AgreedInput
from inference.tasks import TASKS, task_spec

log = logging.getLogger("seqbot.bot")

RESYNC_S = 300.0


def remembering_tasks() -> list[str]:
    """The tasks whose spec keeps known inputs."""
    return [task for task in TASKS if task_spec(task).memory is not None]


class AgreedInputs:
    """Sends each remembering task's agreed inputs to the client, now and on every change."""

    def __init__(self, client: InferenceClient, store: FeedbackStore,
                 interval_s: float = RESYNC_S) -> None:
        self.client = client
        self.store = store
        self.interval_s = interval_s
        self._wake = asyncio.Event()
        self._settled = asyncio.Event()
        self._settled.set()
        self._loop: asyncio.Task | None = None

    async def sync(self) -> dict[str, int]:
        """Send the agreed set of every remembering task; how many inputs each holds."""
        held = {}
        for task in remembering_tasks():
            agreed = [AgreedInput(key, example.input_text, example.label) for key, example in
                      (await self.store.trusted_labels(task)).items()]
            try:
                await self.client.set_agreed(task, agreed)
            except InferenceUnavailable as exc:  # not served here, or not up yet
                log.info("agreed %s inputs not sent: %s", task, exc)
                continue
            held[task] = len(agreed)
        return held

    def changed(self) -> None:
        """The votes changed: sync soon (off the caller's path)."""
        self._settled.clear()
        self._wake.set()

    async def settled(self) -> None:
        """Until every change so far has been synced (or failed to, and was logged)."""
        await self._settled.wait()

    async def start(self) -> None:
        """Sync once, then keep syncing in the background; a failure is logged and retried."""
        if self._loop is None:
            self._settled.clear()
            self._loop = asyncio.create_task(self._run(), name="agreed-inputs")

    async def close(self) -> None:
        await stop(self._loop)
        self._loop = None
        self._settled.set()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.sync()
            except (InferenceBusy, InferenceUnavailable, OSError) as exc:
                log.warning("could not send the agreed inputs (retrying later): %s", exc)
            except Exception:
                log.exception("could not send the agreed inputs (retrying later)")
            if not self._wake.is_set():
                self._settled.set()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval_s)
