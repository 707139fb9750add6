"""Following the model registry: each task's production checkpoint, fetched from the database
into a model folder (`<dir>/<task>/<version>.safetensors` and the `CURRENT` pointer).

The database is the one source of truth (model_versions' production rows, model_blobs'
bytes); the folder is a cache of it that the inference worker already knows how to serve.
Loading stays inference's business: the worker's folder watcher, or an in-process reload
(`on_change`), loads what this writes with every check it applies to any checkpoint
(labels and vocabulary against the weights, a finite positive temperature, a probe before
the swap, regular files only, a time limit), and a checkpoint that fails them leaves the
model before it serving. db never imports inference, so the layout is written here by
name: the two sides share only the file names.

A promotion or rollback is announced on PostgreSQL (NOTIFY, db.store.MODELS_CHANNEL) and
acted on at once; on SQLite, and as a fallback if the announcing connection is lost, the
production rows are read every `interval_s`. A change is applied once: a process's own
later swap (`/v1/rollback` on one service) stands until the registry moves again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import re
import stat
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from db.errors import StoreError
from db.postgres import DRIVER_ERRORS, Listener
from db.records import ModelVersion
from db.store import FeedbackStore

log = logging.getLogger("seqbot.registry")

SUFFIX = ".safetensors"  # inference.registry's layout, by name
POINTER = "CURRENT"
VERSION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")  # never a path
MAX_POINTER_BYTES = 256

OnChange = Callable[[str, str], Awaitable[object]]


class RegistryError(StoreError):
    """A production version that cannot be written to the folder: no bytes for it, bytes
    whose sha256 is not the registered one, a file of its name that differs or is no
    regular file, or a version name that is not one."""


class ModelSync:
    """Writes each task's production version into `model_dir` and reports what moved."""

    def __init__(self, store: FeedbackStore, model_dir: str | os.PathLike[str], *,
                 interval_s: float = 5.0, on_change: OnChange | None = None) -> None:
        self.store = store
        self.model_dir = Path(model_dir)
        self.interval_s = interval_s
        self.on_change = on_change
        self._applied: dict[str, tuple[str, str]] = {}  # per task: (version, sha256) applied
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def sync(self) -> list[ModelVersion]:
        """Write every production version not applied yet; returns those that changed
        (CURRENT moved, or the registry moved since the last pass). A version the registry
        cannot vouch for (RegistryError) is logged and not retried until the registry moves
        again; a failing disk is retried at each poll. Either way the folder keeps serving
        what it had."""
        changed = []
        for model in await self.store.production_models():
            key, before = (model.version, model.checksum), self._applied.get(model.task)
            if before == key:
                continue
            try:
                # on one machine finetune points CURRENT itself: the move still counts
                moved = await self._apply(model) or (before is not None
                                                     and before[0] != model.version)
            except (RegistryError, OSError) as exc:
                log.error("%s: registry version %s not taken, still serving the one before: "
                          "%s", model.task, model.version[:100], exc)
                if not isinstance(exc, RegistryError):
                    continue  # the disk full or away a moment: try again at the next poll
                moved = False
            self._applied[model.task] = key
            if moved:
                log.info("%s: the registry's production version is now %s", model.task,
                         model.version)
                changed.append(model)
        return changed

    async def start(self) -> None:
        """Follow the registry in the background until close()."""
        if self._task is None:
            self._task = asyncio.create_task(self.follow(), name="model-registry-sync")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def follow(self) -> None:
        """Sync now, then whenever the registry announces a move or `interval_s` passes.
        A lost listening connection wakes the loop, which listens again and syncs whatever
        it may have missed meanwhile."""
        listener: Listener | None = None
        try:
            while True:
                self._wake.clear()
                if listener is None or not listener.alive:
                    listener = await self._listen(listener)
                await self._sync_and_announce()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.interval_s)
        finally:
            if listener is not None:
                await listener.close()

    async def _listen(self, old: Listener | None) -> Listener | None:
        if old is not None:
            await old.close()
            log.warning("lost the connection announcing model changes; listening again")
        try:
            return await self.store.listen_models(lambda _task: self._wake.set())
        except (StoreError, OSError, *DRIVER_ERRORS) as exc:
            log.warning("cannot listen for model announcements (%s); polling every %gs",
                        exc, self.interval_s)
            return None

    async def _sync_and_announce(self) -> None:
        try:
            changed = await self.sync()
        except (StoreError, OSError, *DRIVER_ERRORS) as exc:  # the database away a moment
            log.warning("cannot read the model registry: %s", exc)
            return
        for model in changed:
            if self.on_change is None:
                continue
            try:
                await self.on_change(model.task, model.version)
            except Exception as exc:  # the loader refused it and logged why; keep following
                log.error("%s: %s was written but not swapped in: %s", model.task,
                          model.version, exc)

    async def _apply(self, model: ModelVersion) -> bool:
        """Make the version's file present and CURRENT name it; whether CURRENT moved."""
        if not VERSION_NAME.fullmatch(model.version):
            raise RegistryError(f"{model.version[:100]!r} is not a version name")
        folder = self.model_dir / model.task
        target = folder / f"{model.version}{SUFFIX}"
        if await asyncio.to_thread(_matching_file, target, model.checksum) is None:
            weights = await self.store.model_weights(model.checksum)
            if weights is None:
                raise RegistryError(f"the registry holds no bytes for {model.version} and "
                                    f"{target.name} is not in the model folder")
            if hashlib.sha256(weights).hexdigest() != model.checksum:
                raise RegistryError(f"the registry's bytes for {model.version} do not have "
                                    f"the registered sha256")
            await asyncio.to_thread(_write_new, target, weights)
        return await asyncio.to_thread(_point, folder, model.version)


def _read_regular(path: Path, limit: int | None = None) -> bytes:
    """A regular file's bytes; opened without blocking, so a FIFO is refused at once."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise RegistryError(f"{path.name} is not a regular file")
        return fh.read() if limit is None else fh.read(limit)


def _matching_file(path: Path, sha256: str) -> Path | None:
    """`path` where it is already the registered checkpoint; None where it is absent;
    RegistryError where something else (a link, a FIFO, other bytes) has its name."""
    if not os.path.lexists(path):
        return None
    try:
        data = _read_regular(path)
    except OSError as exc:  # O_NOFOLLOW: a link
        raise RegistryError(f"{path.name} cannot be read as a regular file ({exc})") from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise RegistryError(f"{path.name} in the model folder differs from the registry's")
    return path


def _write_new(path: Path, data: bytes) -> None:
    """Write a file whole (temp file, fsync, rename) so no reader sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".registry.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _point(folder: Path, version: str) -> bool:
    """Point CURRENT at `version` (temp file + rename); False where it already does."""
    pointer = folder / POINTER
    with contextlib.suppress(OSError, RegistryError, UnicodeDecodeError):
        if _read_regular(pointer, MAX_POINTER_BYTES).decode().strip() == version:
            return False
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".CURRENT.")
    with os.fdopen(fd, "w") as fh:
        fh.write(version + "\n")
    os.replace(tmp, pointer)
    return True
