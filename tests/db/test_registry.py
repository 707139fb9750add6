"""The model registry: a checkpoint published into the database reaches every process's model
folder (announced on PostgreSQL, polled on SQLite), is served after the checks every
checkpoint gets, and bytes or files that are not the registered ones are never taken."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import logging
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from db import FeedbackStore
from db.model_sync import ModelSync
from inference.checkpoint import Checkpoint, save_checkpoint
from inference.errors import CheckpointError
from inference.registry import CURRENT, task_dir
from inference.worker import InferenceWorker
from tests.helpers import HASHER, make_checkpoint, promote

V1, V2, BAD = "origin-20260101-000001", "origin-20260102-000001", "origin-20260103-000001"


async def publish(store: FeedbackStore, made: Path, version: str, seed: int = 1,
                  change: Callable[[Checkpoint], Checkpoint] = lambda c: c) -> bytes:
    """Register an origin checkpoint with its bytes and promote it, as finetune does."""
    path = made / f"{version}.safetensors"
    checksum = save_checkpoint(change(make_checkpoint("origin", version, seed)), path)
    await store.add_model_version("origin", version, path, checksum, {},
                                  weights=path.read_bytes())
    await store.set_model_status("origin", version, "production")
    return path.read_bytes()


def current(model_dir: Path) -> str:
    return (task_dir(model_dir, "origin") / CURRENT).read_text().strip()


async def served(worker: InferenceWorker, version: str) -> None:
    """Wait until `worker` serves `version` (what is awaited is the mechanism; the bound
    only keeps a broken one from hanging the suite)."""
    for _ in range(1000):
        if worker.versions()["origin"] == version:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"still serving {worker.versions()['origin']}, not {version}")


@contextlib.asynccontextmanager
async def following(store: FeedbackStore, folder: Path,
                    interval_s: float) -> AsyncIterator[InferenceWorker]:
    """A worker serving `folder` (empty: the shipped weights), reloaded by a ModelSync that
    follows `store`, once it serves the registry's V1."""
    async with InferenceWorker(model_dir=folder, tasks=["origin"], device="cpu",
                               threads=1) as worker:
        sync = ModelSync(store, folder, interval_s=interval_s,
                         on_change=lambda task, _: worker.reload(task))
        await sync.start()
        try:
            await served(worker, V1)  # the first pass, after the listener is attached
            yield worker
        finally:
            await sync.close()


async def test_an_empty_model_folder_receives_the_production_version(store, tmp_path):
    weights = await publish(store, tmp_path, V1)
    folder = tmp_path / "models"
    sync = ModelSync(store, folder)

    assert [m.version for m in await sync.sync()] == [V1]
    assert (task_dir(folder, "origin") / f"{V1}.safetensors").read_bytes() == weights
    assert current(folder) == V1
    assert await sync.sync() == []  # applied once
    async with InferenceWorker(model_dir=folder, tasks=["origin"], device="cpu",
                               threads=1) as worker:
        assert worker.versions()["origin"] == V1


async def test_another_process_follows_promotions_and_rollbacks(database, tmp_path):
    """Two stores on one database stand for two processes. On PostgreSQL the follower
    polls once an hour, so only the announcement can bring each change in time."""
    folder = tmp_path / "models"
    postgres = database.startswith("postgresql")
    async with await FeedbackStore.open(database, HASHER) as publisher, \
            await FeedbackStore.open(database, HASHER) as follower:
        await publish(publisher, tmp_path, V1)
        async with following(follower, folder, 3600 if postgres else 0.02) as worker:
            await publish(publisher, tmp_path, V2, seed=2)
            await served(worker, V2)
            assert (await publisher.rollback_model("origin")).version == V1
            await served(worker, V1)
        assert current(folder) == V1


async def test_bytes_that_are_not_the_registered_ones_are_refused(store, tmp_path, caplog):
    checksum = save_checkpoint(make_checkpoint("origin", V2, 2), tmp_path / "v2.safetensors")
    with pytest.raises(ValueError, match="sha256"):
        await store.add_model_version("origin", V2, "p", checksum, {}, weights=b"other")
    assert await store.model_versions("origin") == []

    await publish(store, tmp_path, V1)
    folder = tmp_path / "models"
    sync = ModelSync(store, folder)
    await sync.sync()
    await publish(store, tmp_path, V2, seed=2)
    checksum = (await store.production_models())[0].checksum
    await store._db.write(lambda conn: conn.execute(  # damaged in the database
        "UPDATE model_blobs SET bytes = ? WHERE sha256 = ?", (b"tampered", checksum)))
    with caplog.at_level(logging.ERROR, logger="seqbot.registry"):
        assert await sync.sync() == []
    assert "sha256" in caplog.text
    assert not (task_dir(folder, "origin") / f"{V2}.safetensors").exists()
    assert current(folder) == V1


@pytest.mark.parametrize("squatter", ["link", "other bytes"])
async def test_a_file_under_the_versions_name_that_is_not_it_is_not_taken(
        store, tmp_path, squatter):
    await publish(store, tmp_path, V1)
    folder = tmp_path / "models"
    target = task_dir(folder, "origin") / f"{V1}.safetensors"
    target.parent.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere.safetensors"
    elsewhere.write_bytes(hashlib.sha256(b"x").digest())
    if squatter == "link":
        target.symlink_to(elsewhere)
    else:
        target.write_bytes(elsewhere.read_bytes())
    assert await ModelSync(store, folder).sync() == []
    assert not (task_dir(folder, "origin") / CURRENT).exists()


def fewer_labels(ckpt: Checkpoint) -> Checkpoint:
    return dataclasses.replace(ckpt, labels=ckpt.labels[:-1])


async def test_a_checkpoint_that_does_not_fit_is_refused_and_the_old_one_serves(
        store, tmp_path, caplog):
    """Published through the registry, a checkpoint meets the same checks as any other
    (issue 18: labels against the output layer, the probe before the swap): the bot's
    in-process reload and the folder watcher both refuse it."""
    await publish(store, tmp_path, V1)
    folder = tmp_path / "models"
    async with InferenceWorker(model_dir=folder, tasks=["origin"], device="cpu", threads=1,
                               watch_interval_s=0.02) as worker:
        sync = ModelSync(store, folder, on_change=lambda task, _: worker.reload(task))
        await sync._sync_and_announce()
        await served(worker, V1)
        await publish(store, tmp_path, BAD, change=fewer_labels)
        with caplog.at_level(logging.ERROR):
            await sync._sync_and_announce()
            await asyncio.sleep(0.1)  # a few polls of the watcher
        assert current(folder) == BAD  # written: the loader is the one that judges
        assert "labels for an output layer" in caplog.text
        assert worker.versions()["origin"] == V1
        assert worker.refusals()["origin"]["checkpoint"] == f"{BAD}.safetensors"
        assert (await worker.predict_one("origin", "Nakamura")).model_version == V1
        with pytest.raises(CheckpointError):
            await worker.reload("origin")


async def test_the_sidecar_command_feeds_a_standalone_services_watcher(database, tmp_path):
    """`python -m db models sync` beside an inference service that knows nothing of the
    database: the service's folder watcher loads what the command wrote."""
    async with await FeedbackStore.open(database, HASHER) as store:
        await publish(store, tmp_path, V1)
        await publish(store, tmp_path, V2, seed=2)
    folder = tmp_path / "models"

    def models(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "db", "models", *args, "--db", database],
                              capture_output=True, text=True, timeout=120)

    async with InferenceWorker(model_dir=folder, tasks=["origin"], device="cpu", threads=1,
                               watch_interval_s=0.02) as worker:
        done = await asyncio.to_thread(models, "sync", "--model-dir", str(folder))
        assert (done.returncode, done.stdout.strip()) == (0, f"origin: CURRENT -> {V2}")
        await served(worker, V2)
        done = await asyncio.to_thread(models, "rollback", "origin")
        assert done.returncode == 0 and f"{V1} is production again" in done.stdout
        done = await asyncio.to_thread(models, "sync", "--model-dir", str(folder))
        assert done.stdout.strip() == f"origin: CURRENT -> {V1}"
        await served(worker, V1)
        done = await asyncio.to_thread(models, "rollback", "origin")
        assert done.returncode == 1 and "no earlier origin version" in done.stderr


async def test_a_lost_announcing_connection_is_replaced(request, database, tmp_path):
    """On PostgreSQL: the listening connection killed (a server restart, a network cut),
    the follower listens again and still learns of the next promotion at once."""
    if not database.startswith("postgresql"):
        pytest.skip("SQLite announces nothing: its followers poll")
    postgres = request.getfixturevalue("postgres")
    folder = tmp_path / "models"
    async with await FeedbackStore.open(database, HASHER) as publisher, \
            await FeedbackStore.open(database, HASHER) as follower:
        await publish(publisher, tmp_path, V1)
        async with following(follower, folder, 3600) as worker:
            name = database.rsplit("/", 1)[1]
            killed = await asyncio.to_thread(postgres.psql, (
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                f" WHERE datname = '{name}' AND query LIKE 'LISTEN%'"), name)
            assert "1" in str(killed)
            await asyncio.sleep(0.2)  # the follower notices and listens again
            await publish(publisher, tmp_path, V2, seed=2)
            await served(worker, V2)


async def test_a_folder_that_cannot_be_written_is_tried_again(store, tmp_path):
    await publish(store, tmp_path, V1)
    folder = tmp_path / "models"
    folder.write_text("a file where the folder should be")
    sync = ModelSync(store, folder)
    assert await sync.sync() == []
    folder.unlink()
    assert [m.version for m in await sync.sync()] == [V1]
    assert current(folder) == V1


async def test_a_promotion_into_the_folder_being_served_is_swapped_in_at_once(store, tmp_path):
    """One machine: finetune writes the file and points CURRENT itself, then promotes; the
    follower has nothing to write, yet the registry moved, so the worker (no folder watcher
    here) reloads."""
    await publish(store, tmp_path, V1)
    folder = tmp_path / "models"
    async with following(store, folder, 0.02) as worker:
        path = promote(folder, "origin", V2, seed=2)  # the file and CURRENT first
        await store.add_model_version("origin", V2, path,
                                      hashlib.sha256(path.read_bytes()).hexdigest(), {},
                                      weights=path.read_bytes())
        await store.set_model_status("origin", V2, "production")
        await served(worker, V2)
