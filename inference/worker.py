"""Dynamic batching: many concurrent requests, one model thread, padded batches.

A request is validated and encoded on the caller's side (so bad input fails at once), then
queued per task in a bounded queue. A task's queue is flushed as one padded batch when
`max_batch` requests wait, when no more requests arrived during a turn of the event loop, or
at the latest when the oldest has waited `max_wait_ms`. Requests arriving while a batch runs
form the next one. Every forward pass runs in one dedicated thread (inference.modelthread),
so the event loop never blocks on torch, and a reload swaps the predictor between two
batches. The model scores a sequence identically alone or in any batch, so batching changes
speed, never answers. An explanation is scored in steps there, each behind any prediction
batch waiting, so that it delays predictions by one step at most.

A model is loaded, checked and probed (Predictor.self_test) off the event loop, in a thread
of its own and within `load_timeout_s`, before it may serve; one that fails leaves the model
before it serving, and is reported in the log, `refusals()` and the metrics.

A task whose spec keeps known inputs answers them from a memory (inference.memory): the
labelled inputs its checkpoint carries, and the community's agreed inputs that the bot sets
with `set_agreed`. The agreed set belongs to the worker, not to a model: a reload keeps it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram

from inference.checkpoint import Checkpoint, load_checkpoint
from inference.client import InferenceClient, check_inputs
from inference.device import configure_threads, resolve_device
from inference.errors import (
    CheckpointError,
    InferenceBusy,
    InferenceUnavailable,
    InputError,
    TooMuchWork,
)
from inference.explain import finish, occlusion, steps
from inference.memory import AgreedInput
from inference.modelthread import EXPLAIN, PREDICT, ModelThread
from inference.predictor import Predictor, Prepared, in_place, valid_only
from inference.registry import (
    CURRENT,
    PointerError,
    pointed_version,
    previous_version,
    promoted_versions,
    resolve_checkpoint,
    set_current,
    version_file,
)
from inference.results import Explanation, ModelInfo, Prediction
from inference.tasks import TASKS, task_spec
from inference.telemetry import BATCH_BUCKETS, LATENCY_BUCKETS, LiveGauge

log = logging.getLogger("seqbot.inference")

_VERSION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

Stamp = tuple[str, int, int]
T = TypeVar("T")
# Units of occluded variants scored per step of an explanation: a prediction waits for at
# most one step (inference.modelthread). One step of the shipped sentiment model's largest
# variants takes ~0.1 s on one CPU thread (docs/results.md).
EXPLAIN_STEP_UNITS = 4096


def file_stamp(path: Path) -> Stamp | None:
    """Path, mtime and size: changes whenever a checkpoint file is replaced."""
    try:
        st = path.stat()
    except OSError:
        return None
    return str(path), st.st_mtime_ns, st.st_size


def version_path(model_dir: str | Path | None, task: str, version: str) -> Path:
    """The file of a promoted version; refuses names that are not promoted versions."""
    if model_dir is None:
        raise CheckpointError(f"no model directory set, so there is no {task} version {version!r}")
    if not _VERSION_NAME.fullmatch(version) or version not in promoted_versions(model_dir, task):
        raise CheckpointError(f"no promoted {task} version {version[:80]!r}")
    return version_file(model_dir, task, version)


async def off_loop(fn: Callable[..., T], *args: Any, timeout_s: float, what: str) -> T:
    """`fn(*args)` in a daemon thread of its own, given up on after `timeout_s`.

    For file reads that may block indefinitely (a hung network share): the event loop
    never waits, and a read that never returns holds only its own thread, which neither
    the model thread nor the interpreter's exit waits for. CheckpointError on timeout.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def run() -> None:
        try:
            result, error = fn(*args), None
        except BaseException as exc:  # handed to the awaiting task
            result, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop closed while this read hung
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name="seqbot-read", daemon=True).start()
    try:  # asyncio.wait, not wait_for, which may swallow a cancellation (3.11)
        done, _ = await asyncio.wait({future}, timeout=timeout_s)
    finally:
        future.cancel()  # a no-op once it is done; else nobody awaits it any more
    if not done:
        raise CheckpointError(f"{what} took longer than {timeout_s:g} s (a file that blocks, "
                              "such as a hung network share, is not served)")
    return future.result()


def _refusal(offered: str, exc: BaseException) -> dict[str, str]:
    return {"checkpoint": offered, "reason": str(exc),
            "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def _info(ckpt: Checkpoint, device: str) -> ModelInfo:
    return ModelInfo.from_metadata(ckpt.version, ckpt.labels, ckpt.created, device, ckpt.metrics)


@dataclass(eq=False)
class _Request:
    prepared: Prepared
    predictor: Predictor  # whose vocabulary encoded `prepared`
    top_k: int
    future: asyncio.Future[Prediction]
    enqueued: float


@dataclass(eq=False)
class _Lane:
    """One task's serving state: predictor, queue, and the checkpoint file it came from."""

    task: str
    predictor: Predictor
    stamp: Stamp | None
    pinned: Path | None  # an explicit checkpoint file; None follows the registry
    pending: deque[_Request] = field(default_factory=deque)
    running: list[_Request] = field(default_factory=list)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    arrivals: int = 0  # requests ever queued: tells the batcher whether more are coming
    reload_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    refused: Stamp | None = None  # a checkpoint the watcher failed to load: not retried
    # the last checkpoint offered and refused, while the model before it serves on
    refusal: dict[str, str] | None = None



def unsorted(prepared: Sequence[Prepared | InputError], order: Sequence[int],
             ranked: Sequence[Prediction]) -> list[Prediction | InputError]:
    """The answers to inputs scored shortest first, back in the inputs' order, with each
    refused input's error in its place."""
    scored: list[Prediction] = [None] * len(order)  # type: ignore[list-item]
    for i, prediction in zip(order, ranked, strict=True):
        scored[i] = prediction
    return in_place(prepared, scored)

class InferenceWorker(InferenceClient):
    """In-process InferenceClient: batches concurrent requests for one model thread.

    checkpoints: explicit checkpoint files per task (else the registry's current version
    in `model_dir`, else the shipped weights). max_batch=1 disables batching. When
    `watch_interval_s` is set, a newly promoted checkpoint is picked up without restart.
    An explanation is one job of many variants on the model thread; at most
    `max_explanations` wait or run at once, more answer InferenceBusy. `memory=False`
    answers every input with the model, known or not. A checkpoint must load (and score its
    task's probe) within `load_timeout_s`; at start, a current version that cannot be served
    gives way to the newest promoted one that can, with a warning. `int8`: serve in int8 on a
    CPU the tasks measured fit for it (inference.quantize; SEQBOT_INT8 in the entry points).
    """

    def __init__(
        self,
        *,
        tasks: Iterable[str] = TASKS,
        checkpoints: Mapping[str, str | Path] | None = None,
        model_dir: str | Path | None = None,
        device: str = "auto",
        threads: int | None = None,
        max_batch: int = 64,
        max_wait_ms: float = 2.0,
        max_queue: int = 1024,
        watch_interval_s: float | None = None,
        max_explanations: int = 8,
        memory: bool = True,
        load_timeout_s: float = 60.0,
        int8: bool = False,
    ) -> None:
        self.tasks = tuple(tasks)
        unknown = set(self.tasks) - set(TASKS) or set(checkpoints or {}) - set(self.tasks)
        if unknown:
            raise ValueError(f"unknown or unserved task(s): {sorted(unknown)}")
        if max_batch < 1 or max_queue < 1 or max_explanations < 1 or max_wait_ms < 0:
            raise ValueError("max_batch, max_queue and max_explanations must be >= 1, "
                             "max_wait_ms >= 0")
        self.checkpoints = {t: Path(p) for t, p in (checkpoints or {}).items()}
        self.model_dir = Path(model_dir) if model_dir is not None else None
        self.device = resolve_device(device)
        self.threads = threads
        self.max_batch = max_batch
        self.max_wait = max_wait_ms / 1000
        self.max_queue = max_queue
        self.watch_interval_s = watch_interval_s
        self.max_explanations = max_explanations
        self.memory = memory
        self.load_timeout_s = load_timeout_s
        self.int8 = int8
        self._explaining = 0
        self._lanes: dict[str, _Lane] = {}
        self._tasks: list[asyncio.Task] = []
        self._model: ModelThread | None = None
        self._running = False
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "seqbot_inference_requests_total",
            "Inference requests by task and outcome (ok, invalid, busy, cancelled, error).",
            ("task", "outcome"), registry=self.registry)
        self.batch_sizes = Histogram(
            "seqbot_inference_batch_size", "Requests scored per forward pass.", ("task",),
            buckets=BATCH_BUCKETS, registry=self.registry)
        self.latency = Histogram(
            "seqbot_inference_latency_seconds",
            "Seconds from enqueue to result inside the worker.", ("task",),
            buckets=LATENCY_BUCKETS, registry=self.registry)
        self.explanations = Counter(
            "seqbot_explanations_total",
            "Explanations by task and outcome (ok, invalid, busy, error).", ("task", "outcome"),
            registry=self.registry)
        self.explain_latency = Histogram(
            "seqbot_explain_seconds", "Seconds from request to explanation inside the worker.",
            ("task",), buckets=LATENCY_BUCKETS, registry=self.registry)
        self.reloads = Counter(
            "seqbot_model_reloads_total", "Model reloads by task and outcome (ok, refused).",
            ("task", "outcome"), registry=self.registry)
        self.registry.register(LiveGauge(
            "seqbot_inference_queue_depth", "Requests waiting for a batch.", ("task",),
            lambda: {(t,): len(lane.pending) for t, lane in self._lanes.items()}))
        self.registry.register(LiveGauge(
            "seqbot_model_info", "The model version served per task (always 1).",
            ("task", "version", "device"),
            lambda: {(t, v, str(self.device)): 1 for t, v in self.versions().items()}))
        self.registry.register(LiveGauge(
            "seqbot_model_refused",
            "1 while the last checkpoint offered for a task was refused (the model before "
            "it serves on; /healthz says why), else 0.", ("task",),
            lambda: {(t,): float(lane.refusal is not None) for t, lane in self._lanes.items()}))

    # lifecycle

    async def start(self) -> None:
        """Load every task's model (off the event loop) and start the batchers."""
        if self._running:
            return
        self._model = ModelThread(configure_threads, (self.threads,))
        self._running = True
        try:
            for task in self.tasks:
                pinned = self.checkpoints.get(task)
                if pinned is not None:
                    path, predictor, refusal = pinned, await self._load_off_loop(task, pinned), None
                else:
                    path, predictor, refusal = await self._newest_valid(task)
                self._lanes[task] = _Lane(task, predictor, file_stamp(path), pinned,
                                          refusal=refusal)
                log.info("%s: serving %s on %s%s from %s", task, predictor.version, self.device,
                         " in int8" if predictor.int8 else "", path)
        except BaseException:
            await self.close()
            raise
        self._tasks = [asyncio.create_task(self._batch_loop(lane), name=f"batcher-{t}")
                       for t, lane in self._lanes.items()]
        if self.watch_interval_s:
            self._tasks.append(asyncio.create_task(self._watch(self.watch_interval_s),
                                                   name="checkpoint-watcher"))

    async def _newest_valid(self, task: str) -> tuple[Path, Predictor, dict[str, str] | None]:
        """The current version; where it cannot be served (or CURRENT cannot be followed),
        the newest promoted version that can, with a warning that says why."""
        versions = await off_loop(promoted_versions, self.model_dir, task,
                                  timeout_s=self.load_timeout_s, what=f"listing {task} models")
        if not versions:
            path = resolve_checkpoint(task, None)
            return path, await self._load_off_loop(task, path), None
        problem: CheckpointError | None = None
        try:
            first = await off_loop(pointed_version, self.model_dir, task,
                                   timeout_s=self.load_timeout_s,
                                   what=f"reading {task}/{CURRENT}") or versions[-1]
        except PointerError as exc:
            first, problem = CURRENT, exc
        for version in [first, *(v for v in reversed(versions) if v != first)]:
            if version == CURRENT:
                continue
            path = version_file(self.model_dir, task, version)  # type: ignore[arg-type]
            try:
                predictor = await self._load_off_loop(task, path)
            except CheckpointError as exc:
                problem = problem or exc
                log.error("%s: cannot serve %s: %s", task, version, exc)
                continue
            if problem is None:
                return path, predictor, None
            log.warning("%s: starting on %s, the newest version that can be served, since "
                        "%s", task, version, problem)
            offered = first if first == CURRENT else version_file(
                self.model_dir, task, first).name  # type: ignore[arg-type]
            return path, predictor, _refusal(offered, problem)
        raise CheckpointError(f"no promoted {task} version can be served ({len(versions)} "
                              f"tried); the first problem: {problem}")

    async def close(self) -> None:
        """Stop batching; requests still waiting fail with InferenceUnavailable."""
        if not self._running:
            return
        self._running = False
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        for lane in self._lanes.values():
            for req in [*lane.running, *lane.pending]:
                if not req.future.done():
                    req.future.set_exception(InferenceUnavailable("The model is shutting down."))
            lane.pending.clear()
        if self._model is not None:
            await asyncio.to_thread(self._model.shutdown)
            self._model = None

    @property
    def running(self) -> bool:
        return self._running

    # predictions

    async def predict(
        self, task: str, inputs: Sequence[str], top_k: int | None = None
    ) -> list[Prediction | InputError]:
        """Score many inputs; an invalid one yields its InputError in its place (and is
        refused before anything is queued).

        All valid inputs are queued at once (or none, with InferenceBusy), shortest first,
        so that batches hold inputs of similar length and waste little on padding.
        """
        lane, k = self._lane(task), self._top_k(task, top_k)
        prepared, order, ranked = self._shortest_first(lane, inputs)
        futures = self._enqueue(lane, ranked, k)
        return unsorted(prepared, order, await asyncio.gather(*futures))

    async def predict_bulk(
        self, task: str, inputs: Sequence[str], top_k: int | None = None
    ) -> list[Prediction | InputError]:
        """predict's answers for bulk input (`predict --file`), scored as one job.

        The same preparation, order (shortest first) and batches of max_batch as predict,
        so the same answers; but the batches run back to back on the model thread, with no
        queued request (a future, a latency sample) per input, which cost as much per name
        as a tenth of the model. It waits for nothing: one call is one chunk of a file.
        """
        lane, k = self._lane(task), self._top_k(task, top_k)
        predictor = lane.predictor
        prepared, order, ranked = self._shortest_first(lane, inputs)
        batches = [ranked[s : s + self.max_batch] for s in range(0, len(ranked), self.max_batch)]

        def score() -> list[Prediction]:
            return [p for batch in batches for p in predictor.predict_prepared(batch, k)]

        scored = await self._on_model(PREDICT, score)
        for size in map(len, batches):
            self.batch_sizes.labels(task).observe(size)
        self.requests.labels(task, "ok").inc(len(ranked))
        return unsorted(prepared, order, scored)

    def _shortest_first(self, lane: _Lane, inputs: Sequence[str],
                        ) -> tuple[list[Prepared | InputError], list[int], list[Prepared]]:
        """The inputs prepared (refused ones counted), and the valid ones shortest first
        with their places, so that batches hold inputs of similar length and waste little
        on padding."""
        prepared = lane.predictor.prepare_many(check_inputs(inputs))
        valid = valid_only(prepared)
        if refused := len(prepared) - len(valid):
            self.requests.labels(lane.task, "invalid").inc(refused)
        order = sorted(range(len(valid)), key=lambda i: len(valid[i].ids))
        return prepared, order, [valid[i] for i in order]

    # explanations

    async def explain(
        self, task: str, inputs: Sequence[str], top_k: int | None = None, *,
        max_units: int | None = None,
    ) -> list[Explanation | InputError]:
        """Explain many inputs, each in steps of its variants on the model thread, behind
        any prediction waiting there; an invalid input yields its InputError in its place.
        All are admitted or none: TooMuchWork where the valid inputs hold more than
        `max_units` units between them (each costs about as many variants as units).
        Cancelling the call (its requester is gone) drops the steps not yet run."""
        lane, k = self._lane(task), self._top_k(task, top_k)
        predictor = lane.predictor  # encodes and scores: a reload meanwhile changes nothing
        prepared = predictor.prepare_many(check_inputs(inputs))
        valid = valid_only(prepared)
        if refused := len(prepared) - len(valid):
            self.explanations.labels(task, "invalid").inc(refused)
        units = sum(len(p.ids) for p in valid)
        if max_units is not None and units > max_units:
            self.explanations.labels(task, "too_much").inc(len(valid))
            raise TooMuchWork(f"These inputs are {units} words or characters long in all; one "
                              f"request may explain at most {max_units}.")
        if self._explaining + len(valid) > self.max_explanations:
            self.explanations.labels(task, "busy").inc(len(valid))
            raise InferenceBusy(f"The {task} model is busy explaining; try again in a moment.")
        self._explaining += len(valid)
        try:  # every job is awaited, even after one fails, so the count stays true
            outcomes = await asyncio.gather(
                *(self._explain_job(predictor, p, k) for p in valid), return_exceptions=True)
        except asyncio.CancelledError:
            self.explanations.labels(task, "cancelled").inc(len(valid))
            raise
        finally:
            self._explaining -= len(valid)
        if failed := next((o for o in outcomes if isinstance(o, BaseException)), None):
            raise failed
        return in_place(prepared, outcomes)  # type: ignore[arg-type]

    async def _explain_job(self, predictor: Predictor, prepared: Prepared,
                           top_k: int) -> Explanation:
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            occ = await self._on_model(EXPLAIN, occlusion, predictor, prepared, top_k)
            rows: list[list[float]] = []
            for step in steps(occ.variants, EXPLAIN_STEP_UNITS):
                probs = await self._on_model(EXPLAIN, predictor.probabilities, step)
                rows += probs.tolist()
            explanation = await self._on_model(EXPLAIN, finish, predictor, occ, rows)
        except Exception as exc:
            self.explanations.labels(predictor.task, "error").inc()
            log.exception("%s: an explanation failed on %s", predictor.task, predictor.version)
            raise InferenceUnavailable(f"The model failed: {exc}") from exc
        self.explanations.labels(predictor.task, "ok").inc()
        self.explain_latency.labels(predictor.task).observe(loop.time() - started)
        return explanation

    async def _on_model(self, priority: int, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` on the model thread; cancelling the await drops it if not started."""
        if self._model is None:
            raise InferenceUnavailable("The model is shutting down.")
        return await asyncio.wrap_future(self._model.submit(priority, fn, *args))

    # model management

    def int8_tasks(self) -> set[str]:
        """The tasks whose model runs in int8 (inference.quantize)."""
        return {t for t, lane in self._lanes.items() if lane.predictor.int8}

    def versions(self) -> dict[str, str]:
        return {t: lane.predictor.version for t, lane in self._lanes.items()}

    async def model_info(self) -> dict[str, ModelInfo]:
        return self.infos()

    def infos(self) -> dict[str, ModelInfo]:
        """Each served checkpoint's version, labels, test metrics, creation time, device."""
        device = str(self.device)
        return {t: _info(lane.predictor.ckpt, device) for t, lane in self._lanes.items()}

    # the community's agreed inputs

    async def set_agreed(self, task: str, agreed: Sequence[AgreedInput]) -> tuple[int, int]:
        """Replace the task's agreed inputs in its known-input memory; returns how many
        joined and how many left. ValueError for a task that keeps no known inputs."""
        memory = self._lane(task).predictor.memory
        if memory is None:
            raise ValueError(f"the {task} model answers no known inputs")
        joined, left = memory.set_agreed(agreed)
        if joined or left:
            log.info("%s: %d agreed inputs joined the memory, %d left (%d agreed)",
                     task, joined, left, len(memory.agreed))
        return joined, left

    def queue_depth(self, task: str) -> int:
        lane = self._lanes.get(task)
        return len(lane.pending) if lane else 0

    async def reload(self, task: str, version: str | None = None) -> str:
        """Load the current checkpoint (or promoted `version`, made CURRENT) and swap it in.

        The new model is fully built in a side thread first; a CheckpointError leaves the
        current model serving and is re-raised.
        """
        lane = self._lane(task)
        async with lane.reload_lock:
            offered = version or CURRENT
            try:
                path, stamp = await off_loop(self._offered, task, lane.pinned, version,
                                             timeout_s=self.load_timeout_s,
                                             what=f"finding the {task} model")
                offered = path.name
                predictor = await self._load_off_loop(task, path)
            except CheckpointError as exc:
                lane.refusal = _refusal(offered, exc)
                self.reloads.labels(task, "refused").inc()
                log.error("%s: refused checkpoint %s, still serving %s: %s",
                          task, offered, lane.predictor.version, exc)
                raise
            if version is not None:
                set_current(self.model_dir, task, version)  # type: ignore[arg-type]
                lane.pinned = None
            old = lane.predictor.version
            if predictor.memory is not None and lane.predictor.memory is not None:
                predictor.memory.set_agreed(lane.predictor.memory.agreed)
            lane.predictor, lane.stamp, lane.refused, lane.refusal = predictor, stamp, None, None
            self.reloads.labels(task, "ok").inc()
            log.info("%s: now serving %s (was %s) from %s", task, predictor.version, old, path)
            return predictor.version

    async def rollback(self, task: str) -> str:
        """Serve the version promoted before the current one and point CURRENT at it."""
        self._lane(task)
        if self.model_dir is None:
            raise CheckpointError("no model directory set, so there is nothing to roll back to")
        previous = previous_version(self.model_dir, task)
        if previous is None:
            raise CheckpointError(f"no earlier {task} version to roll back to")
        return await self.reload(task, previous)

    def refusals(self) -> dict[str, dict[str, str]]:
        """Per task whose last offered checkpoint was refused: which, why and when."""
        return {t: lane.refusal for t, lane in self._lanes.items() if lane.refusal}

    # internals

    def _source(self, task: str, pinned: Path | None) -> Path:
        return pinned if pinned is not None else resolve_checkpoint(task, self.model_dir)

    def _offered(self, task: str, pinned: Path | None,
                 version: str | None) -> tuple[Path, Stamp | None]:
        """The file a reload would load, and its stamp (reads files: run off the loop)."""
        path = (version_path(self.model_dir, task, version) if version is not None
                else self._source(task, pinned))
        return path, file_stamp(path)

    async def _load_off_loop(self, task: str, path: Path) -> Predictor:
        return await off_loop(self._load, task, path, timeout_s=self.load_timeout_s,
                              what=f"loading {path.name}")

    def _load(self, task: str, path: Path) -> Predictor:
        """Load, build and probe (Predictor.self_test) a checkpoint."""
        ckpt = load_checkpoint(path, task)
        known = task_spec(task).memory
        memory = known.memory(ckpt.known_inputs) if known and self.memory else None
        predictor = Predictor(ckpt, self.device, memory, int8=self.int8)
        predictor.self_test()
        return predictor

    def _lane(self, task: str) -> _Lane:
        task_spec(task)  # UnknownTask, a ValueError
        if not self._running or task not in self._lanes:
            raise InferenceUnavailable(f"The {task} model is not running.")
        return self._lanes[task]

    @staticmethod
    def _top_k(task: str, top_k: int | None) -> int:
        """At least 1; a k beyond the label count is clamped by the predictor (all labels)."""
        k = task_spec(task).top_k if top_k is None else top_k
        if k < 1:
            raise ValueError("top_k must be at least 1")
        return k

    def _enqueue(
        self, lane: _Lane, items: list[Prepared], top_k: int
    ) -> list[asyncio.Future[Prediction]]:
        if len(lane.pending) + len(items) > self.max_queue:
            self.requests.labels(lane.task, "busy").inc(len(items))
            raise InferenceBusy(f"The {lane.task} model is busy; try again in a moment.")
        loop = asyncio.get_running_loop()
        now, was_empty = loop.time(), not lane.pending
        futures = []
        for item in items:
            future = loop.create_future()
            lane.pending.append(_Request(item, lane.predictor, top_k, future, now))
            futures.append(future)
        lane.arrivals += len(items)
        if items and was_empty:
            lane.wake.set()
        return futures

    async def _batch_loop(self, lane: _Lane) -> None:
        """Flush at max_batch, once arrivals pause, or when the oldest has waited max_wait.

        Requests already on their way (scheduled in the same turn of the event loop) join
        the batch; idling longer only adds latency, since requests arriving while a batch
        runs form the next one anyway. A steady stream is cut off after max_wait.
        """
        loop = asyncio.get_running_loop()
        while True:
            if not lane.pending:
                lane.wake.clear()
                await lane.wake.wait()
                continue
            deadline = lane.pending[0].enqueued + self.max_wait
            while len(lane.pending) < self.max_batch and loop.time() < deadline:
                arrived = lane.arrivals
                await asyncio.sleep(0)
                if lane.arrivals == arrived:
                    break
            batch = self._take_batch(lane)
            if batch:
                await self._run_batch(lane, batch)

    def _take_batch(self, lane: _Lane) -> list[_Request]:
        """Up to max_batch live requests, re-encoded if a reload changed the vocabulary."""
        batch: list[_Request] = []
        while lane.pending and len(batch) < self.max_batch:
            req = lane.pending.popleft()
            if req.future.done():  # cancelled or timed out by its caller
                self.requests.labels(lane.task, "cancelled").inc()
                continue
            if req.predictor is not lane.predictor:
                try:
                    req = replace(req, prepared=lane.predictor.prepare(req.prepared.input),
                                  predictor=lane.predictor)
                except InputError as exc:
                    self.requests.labels(lane.task, "invalid").inc()
                    req.future.set_exception(exc)
                    continue
            batch.append(req)
        return batch

    async def _run_batch(self, lane: _Lane, batch: list[_Request]) -> None:
        loop = asyncio.get_running_loop()
        predictor = lane.predictor
        lane.running = batch
        try:
            predictions = await self._on_model(
                PREDICT, predictor.predict_prepared, [r.prepared for r in batch],
                max(r.top_k for r in batch))
        except Exception as exc:
            lane.running = []
            log.exception("%s: a batch of %d failed on %s", lane.task, len(batch),
                          predictor.version)
            for req in batch:
                if not req.future.done():
                    self.requests.labels(lane.task, "error").inc()
                    req.future.set_exception(InferenceUnavailable(f"The model failed: {exc}"))
            return
        lane.running = []
        self.batch_sizes.labels(lane.task).observe(len(batch))
        now, answered = loop.time(), 0
        latency = self.latency.labels(lane.task)  # looked up once a batch, not per request
        for req, prediction in zip(batch, predictions, strict=True):
            if req.future.done():
                self.requests.labels(lane.task, "cancelled").inc()
                continue
            if len(prediction.top) > req.top_k:
                prediction = replace(prediction, top=prediction.top[: req.top_k])
            req.future.set_result(prediction)
            answered += 1
            latency.observe(now - req.enqueued)
        self.requests.labels(lane.task, "ok").inc(answered)

    async def _watch(self, interval_s: float) -> None:
        """Reload a task whose checkpoint file (or CURRENT pointer) changed."""
        while True:
            await asyncio.sleep(interval_s)
            for task, lane in self._lanes.items():
                try:  # an unreadable CURRENT must not end the watching for good
                    _, stamp = await off_loop(self._offered, task, lane.pinned, None,
                                              timeout_s=self.load_timeout_s,
                                              what=f"finding the {task} model")
                except (CheckpointError, OSError) as exc:  # one line a poll, not a traceback
                    log.error("%s: cannot read which model is current, still serving %s: %s",
                              task, lane.predictor.version, exc)
                    continue
                if stamp is None or stamp in (lane.stamp, lane.refused):
                    continue
                try:
                    await self.reload(task)
                except Exception as exc:
                    lane.refused = stamp
                    if not isinstance(exc, CheckpointError):  # those reload() logged
                        log.exception("%s: reloading %s failed", task, stamp[0])
