"""The bot's use cases, shared by the Discord cogs and the console so both behave the same.

Services know nothing about Discord: they take plain ids and return plain records. Cogs and
the console only translate between a user interface and these calls.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from bot.explaining import ExplanationService
from bot.known import AgreedInputs
from bot.teaching import TeachService
from db import (
    CONFIRMED,
    FeedbackStore,
    Hasher,
    VoterGroup,
    VoterStats,
    VoteTally,
    resolve_secret,
)
from db.errors import UnknownPrediction
from db.model_sync import ModelSync
from inference.client import MAX_TOP_K, InferenceClient
from inference.factory import make_client
from inference.results import ModelInfo, Prediction
from inference.tasks import TASKS, task_spec

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger("seqbot.bot")

# A typed @member, @role or #channel reaches the bot as <@id>, <@&id> or <#id>, in option
# strings and message content alike. Raw Discord ids are never stored, so where a task reads
# mentions they become neutral placeholders before a text is scored and logged (what is
# stored is what was scored); a task that refuses them (inference.tasks.MENTION) gets the
# text as typed. @everyone and @here carry no id: they stay text (replies never ping anyway).
MENTIONS = ((re.compile(r"<@!?\d+>"), "@user"), (re.compile(r"<@&\d+>"), "@role"),
            (re.compile(r"<#\d+>"), "#channel"))


@dataclass(frozen=True)
class Requester:
    """Who asked or voted, and where; ids are hashed by the store before they are kept."""

    user_id: int
    guild_id: int | None = None
    channel_id: int | None = None
    is_moderator: bool = False


@dataclass(frozen=True)
class Answer:
    prediction: Prediction
    prediction_id: int | None  # None when logging failed: the user still gets the answer

    @property
    def votable(self) -> bool:
        return self.prediction_id is not None


@dataclass(frozen=True)
class ModelStatus:
    """A served model and its held-out test scores (None where neither the checkpoint nor
    the database recorded them)."""

    task: str
    version: str
    test_accuracy: float | None
    test_macro_f1: float | None = None
    device: str | None = None


class PredictionService:
    """Runs a model and logs the answer, so every answer can be voted on."""

    def __init__(self, client: InferenceClient, store: FeedbackStore) -> None:
        self.client = client
        self.store = store

    async def predict(self, task: str, text: str, who: Requester) -> Answer:
        """Raises InputError, InferenceBusy or InferenceUnavailable from the client: the
        task's spec refuses what it refuses (a mention given as a name carries an id, never
        the name) on every surface alike; where it reads mentions, they become placeholders.

        Every label's probability is asked for (MAX_TOP_K) and logged with the answer, so a
        correction menu offers exactly the labels of the version that answered, even after a
        reload or rollback has changed what is served.
        """
        refuses = task_spec(task).command.mention_error is not None
        plain = text if refuses else without_mentions(text)
        prediction = await self.client.predict_one(task, plain, top_k=MAX_TOP_K)
        try:
            pred_id = await self.store.log_prediction(
                task, prediction.input, prediction.normalized, prediction.model_version,
                prediction.label, prediction.top, who.guild_id, who.channel_id, who.user_id)
        except Exception:
            # Any storage failure: the answer is worth more than its log entry.
            log.exception("could not log the %s prediction; answering without buttons", task)
            return Answer(prediction, None)
        return Answer(prediction, pred_id)


def without_mentions(text: str) -> str:
    """`text` with user, role and channel mentions replaced by placeholders (see MENTIONS)."""
    for pattern, placeholder in MENTIONS:
        text = pattern.sub(placeholder, text)
    return text


@dataclass(frozen=True)
class Choice:
    label: str
    probability: float


class FeedbackService:
    """Votes, corrections, erasure and the statistics built on them."""

    # /about's counts may be this old: they read every vote, and a burst of /about must not
    # queue one full scan per call in front of everyone's votes.
    PUBLIC_STATS_MAX_AGE_S = 30.0

    def __init__(self, store: FeedbackStore,
                 on_change: Callable[[], None] = lambda: None) -> None:
        self.store = store
        self.on_change = on_change  # called after every change to what is agreed
        self._public: tuple[float, dict[str, Any]] | None = None
        self._public_scan: asyncio.Future[dict[str, Any]] | None = None

    async def choices(self, pred_id: int) -> tuple[str, list[Choice]]:
        """The model's label and the other labels it could have given, by name.

        Raises UnknownPrediction when the prediction was never logged or has been erased.
        """
        record = await self.store.get_prediction(pred_id)
        if record is None:
            raise UnknownPrediction(f"no prediction with id {pred_id}")
        others = sorted((Choice(label, p) for label, p in record.top if label != record.label),
                        key=lambda c: c.label)
        return record.label, others

    async def vote(self, pred_id: int, who: Requester, label: str = CONFIRMED) -> VoteTally:
        """Record (or replace) a vote: CONFIRMED for "right", else the correct label."""
        if label != CONFIRMED:
            model_label, choices = await self.choices(pred_id)
            if label not in {model_label, *(c.label for c in choices)}:
                raise ValueError(f"{label!r} is not a label of this model")
        tally = await self.store.record_vote(pred_id, who.user_id, label,
                                             is_moderator=who.is_moderator)
        self.on_change()
        return tally

    async def forget(self, user_id: int) -> dict[str, int]:
        erased = await self.store.forget_user(user_id)
        self.on_change()
        return erased

    async def stats(self) -> dict[str, Any]:
        """Fresh counts, for admins."""
        return await self.store.stats(TASKS)

    async def public_stats(self) -> dict[str, Any]:
        """Counts at most PUBLIC_STATS_MAX_AGE_S old; concurrent callers share one scan."""
        if self._public and time.monotonic() - self._public[0] < self.PUBLIC_STATS_MAX_AGE_S:
            return self._public[1]
        if self._public_scan is None or self._public_scan.done():
            self._public_scan = asyncio.ensure_future(self.store.stats(TASKS))
        stats = await asyncio.shield(self._public_scan)
        self._public = (time.monotonic(), stats)
        return stats

    async def suspects(self, limit: int = 5) -> tuple[list[VoterStats], list[VoterGroup]]:
        """Voters to look at (flagged, quarantined, then least trusted) and flagged groups."""
        voters, groups = await asyncio.gather(self.store.voter_agreement(),
                                              self.store.voter_groups())
        return voters[:limit], groups

    async def quarantine(self, *, user_id: int | None = None, group: str | None = None,
                         release: bool = False) -> int:
        """Stop (or, releasing, resume) counting a voter's or a flagged group's votes; how
        many voters changed."""
        store = self.store
        if group is not None:
            changed = await (store.release_group if release else store.quarantine_group)(group)
        else:
            assert user_id is not None
            changed = int(await (store.unignore_voter if release else store.ignore_voter)(
                user_id))
        self.on_change()
        return changed

    async def purge(self, older_than_days: float) -> int:
        return await self.store.purge_unvoted(older_than_days)


class ModelService:
    """What is served, how good it is, and swapping it.

    `registry` follows the database's production versions into the in-process models'
    folder (db.model_sync); None where the models are served elsewhere (INFERENCE_URL)."""

    def __init__(self, client: InferenceClient, store: FeedbackStore,
                 registry: ModelSync | None = None) -> None:
        self.client = client
        self.store = store
        self.registry = registry

    async def status(self) -> list[ModelStatus]:
        """From the served checkpoints' own metadata; a score a checkpoint lacks is taken
        from the database's record of that version, if any."""
        served = await self.client.model_info()
        out = []
        for task in TASKS:
            info = served.get(task)
            if info is None:
                continue
            if info.test_accuracy is None or info.test_macro_f1 is None:
                info = await self._with_registered_scores(task, info)
            out.append(ModelStatus(task, info.version, info.test_accuracy, info.test_macro_f1,
                                   info.device))
        return out

    async def _with_registered_scores(self, task: str, info: ModelInfo) -> ModelInfo:
        metrics = next((m.metrics for m in await self.store.model_versions(task)
                        if m.version == info.version), None)
        if not isinstance(metrics, dict):
            return info
        registered = ModelInfo.from_metadata(info.version, info.labels, info.created,
                                             info.device, metrics)
        return replace(info, test_accuracy=_first(info.test_accuracy, registered.test_accuracy),
                       test_macro_f1=_first(info.test_macro_f1, registered.test_macro_f1))

    async def reload(self, task: str, version: str | None = None) -> str:
        return await self._record_served(task, await self.client.reload(task, version))

    async def rollback(self, task: str) -> str:
        """Move the registry's production row back (every process follows it) and serve
        that version here; where the registry knows no earlier version, the model folder's
        own previous one."""
        moved = await self.store.rollback_model(task)
        if moved is None:
            return await self._record_served(task, await self.client.rollback(task))
        if self.registry is None:  # it was production before, so its file is there already
            return await self.client.reload(task, moved.version)
        await self.registry.sync()
        return await self.client.reload(task)

    async def _record_served(self, task: str, version: str) -> str:
        """Keep model_versions in step with what is served (the store retires the previous
        production row), for versions it has a record of; shipped weights have none."""
        if any(m.version == version for m in await self.store.model_versions(task)):
            await self.store.set_model_status(task, version, "production")
        return version


async def _serve(client: InferenceClient, task: str, version: str) -> None:
    """Swap in the registry's new version, unless the folder watcher already has."""
    served = (await client.model_info()).get(task)
    if served is None or served.version != version:
        await client.reload(task)


def _first(*values: float | None) -> float | None:
    return next((v for v in values if v is not None), None)


class Services:
    """Everything the bot and the console need, opened and closed together."""

    def __init__(self, client: InferenceClient, store: FeedbackStore,
                 registry: ModelSync | None = None) -> None:
        self.client = client
        self.store = store
        self.registry = registry
        self.agreed = AgreedInputs(client, store)
        self.predictions = PredictionService(client, store)
        self.feedback = FeedbackService(store, on_change=self.agreed.changed)
        self.models = ModelService(client, store, registry)
        self.explanations = ExplanationService(client, store)
        self.teach = TeachService(client, store)

    @classmethod
    async def open(
        cls, settings: Settings, *, dev_mode: bool = False, client: InferenceClient | None = None
    ) -> Services:
        """Open the database and start the inference client (the factory's unless given).

        dev_mode (console) generates a local hash secret; the bot requires one to be set.
        """
        secret = resolve_secret(settings.db, settings.hash_secret, dev_mode=dev_mode)
        if client is None:
            client = make_client(
                settings.inference_url, secret=settings.inference_secret,
                device=settings.device, model_dir=settings.models,
                watch_interval_s=settings.model_watch_s or None,
                load_timeout_s=settings.model_load_timeout_s, int8=settings.int8)
        store = await FeedbackStore.open(settings.db, Hasher(secret))
        registry = None
        if settings.model_sync_s and not settings.inference_url:
            registry = ModelSync(store, settings.models, interval_s=settings.model_sync_s,
                                 on_change=functools.partial(_serve, client))
        try:
            if registry is not None:  # so that the models start on the registry's versions
                await registry.sync()
            await client.start()
        except BaseException:
            await store.close()
            raise
        services = cls(client, store, registry)
        try:
            if registry is not None:
                await registry.start()
            await services.agreed.start()
        except BaseException:  # Ctrl-C too: nothing left running once the loop has closed
            await services.close()
            raise
        return services

    async def close(self) -> None:
        """Stop the models first (no new answers), then flush and close the database."""
        try:
            if self.registry is not None:
                await self.registry.close()
            await self.agreed.close()
            await self.client.close()
        finally:
            await self.store.close()
