"""Active learning: pick the answer a viewer's vote would help the model most with.

Candidates are the served model's least certain answers (logged ones from the channels of
this server the viewer can read, and the maintainer's pool of unlabelled inputs, scored by
the same model and logged like any answer so the usual vote buttons work on them);
inference.active ranks them, the same code the learning-loop simulation measures.
Discord-free, like the other services: the cog says which channels a viewer can read.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from db import FeedbackStore, LoggedPrediction
from db.teach import TeachGuild
from inference.active import Candidate, select
from inference.client import MAX_TOP_K, InferenceClient
from inference.errors import InferenceBusy, InferenceUnavailable, InputError
from inference.tasks import TASKS

log = logging.getLogger("seqbot.bot")

POOL_CHUNK = 32  # pool inputs scored per call: one batch for the worker, one request over HTTP
POOL_ON_DEMAND = 32  # scored inside a /teach call, so a freshly loaded pool shows at once
RECENT = 10  # items shown before that a new pick must differ from
CLAIM_TRIES = 5  # picks tried in turn when another process showed the viewer one first


class TeachService:
    def __init__(self, client: InferenceClient, store: FeedbackStore) -> None:
        self.client = client
        self.store = store

    async def enabled(self, guild_id: int) -> bool:
        settings = await self.store.teach.guild(guild_id)
        return settings is not None and settings.enabled

    async def set_enabled(self, guild_id: int, enabled: bool) -> TeachGuild:
        return await self.store.teach.set_enabled(guild_id, enabled)

    async def set_schedule(self, guild_id: int, channel_id: int | None,
                           every_hours: float | None) -> TeachGuild:
        return await self.store.teach.set_schedule(guild_id, channel_id, every_hours)

    async def due_posts(self) -> list[TeachGuild]:
        return await self.store.teach.due_posts()

    async def mark_posted(self, guild_id: int) -> None:
        await self.store.teach.mark_posted(guild_id)

    async def for_user(self, user_id: int, guild_id: int, channels: Collection[int],
                       tasks: Collection[str] = TASKS) -> LoggedPrediction | None:
        """The next answer to ask this user about, recorded as shown to them; None if none.
        Only answers asked in `channels` (those the user can read) or pooled ones qualify."""
        return await self._next(self.store.teach.user_viewer(user_id), guild_id, channels,
                                tasks)

    async def for_channel(self, channel_id: int, guild_id: int,
                          tasks: Collection[str] = TASKS) -> LoggedPrediction | None:
        """The same for a channel's scheduled post: never one it already carried, and only
        answers asked in that channel (or pooled), since everyone who reads it sees the post."""
        return await self._next(self.store.teach.channel_viewer(channel_id), guild_id,
                                {channel_id}, tasks)

    async def _next(self, viewer: str, guild_id: int, channels: Collection[int],
                    tasks: Collection[str]) -> LoggedPrediction | None:
        versions = await self.client.model_versions()
        records: dict[int, LoggedPrediction] = {}
        for task in tasks:
            await self.score_pool(task, POOL_ON_DEMAND, versions[task])
            for record in await self.store.teach.candidates(task, versions[task], guild_id,
                                                            viewer, channels=channels):
                records[record.id] = record
        candidates = [Candidate(r.id, r.normalized, r.label, r.top) for r in records.values()]
        recent = await self.store.teach.recent(viewer, RECENT)
        for pick in select(candidates, CLAIM_TRIES, recent=recent):
            # another process (shard) may have shown this viewer the same input meanwhile
            if await self.store.teach.mark_shown(viewer, pick.key):
                return records[pick.key]
        return None

    async def score_pool(self, task: str, limit: int, version: str | None = None) -> int:
        """Have the served model (`version`, if the caller already asked) answer up to
        `limit` pooled inputs it has not answered yet; returns how many it answered. Stops
        early (quietly) when the models are busy."""
        version = version or (await self.client.model_versions())[task]
        items = await self.store.teach.pool_to_score(task, version, limit)
        scored = 0
        for start in range(0, len(items), POOL_CHUNK):
            chunk = items[start:start + POOL_CHUNK]
            try:
                results = await self.client.predict(
                    task, [item.input_text for item in chunk], MAX_TOP_K)  # logged whole
            except (InferenceBusy, InferenceUnavailable):
                log.info("teach: models busy, %s pool scoring resumes later", task)
                break
            refused = [item.id for item, r in zip(chunk, results, strict=True)
                       if isinstance(r, InputError)]
            if refused:
                await self.store.teach.drop_from_pool(refused)
            for item, result in zip(chunk, results, strict=True):
                if isinstance(result, InputError):
                    continue
                pred_id = await self.store.log_prediction(
                    task, result.input, result.normalized, result.model_version, result.label,
                    result.top, None, None, None)
                await self.store.teach.link_pool(item.id, pred_id)
                scored += 1
        return scored
