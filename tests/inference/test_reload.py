"""Hot swap: a promoted model is served without restart, a bad one never is."""

from __future__ import annotations

import asyncio
import logging

import pytest
import torch

from inference.checkpoint import CheckpointError
from inference.predictor import Predictor
from inference.registry import CURRENT, set_current, task_dir
from inference.worker import InferenceWorker
from tests.helpers import (
    NAMES,
    assert_same_prediction,
    hold_model,
    promote,
    write_checkpoint,
)

V1, V2, V3 = "origin-20260101-000001", "origin-20260102-000001", "origin-20260103-000001"


@pytest.fixture
def model_dir(tmp_path):
    """origin V1 promoted and CURRENT; V2 has a differently ordered vocabulary."""
    promote(tmp_path, "origin", V2, seed=2, reverse_vocab=True)
    promote(tmp_path, "origin", V1, seed=1)
    promote(tmp_path, "sentiment", "sentiment-20260101-000001", seed=3)
    return tmp_path


def path_of(model_dir, version):
    return task_dir(model_dir, "origin") / f"{version}.safetensors"


def current(model_dir) -> str:
    return (task_dir(model_dir, "origin") / CURRENT).read_text().strip()


@pytest.fixture
def reference(model_dir):
    predictors = {v: Predictor.load("origin", path_of(model_dir, v), device="cpu")
                  for v in (V1, V2)}
    cache = {}

    def predict(version, name):
        if (version, name) not in cache:
            cache[version, name] = predictors[version].predict([name], top_k=18)[0]
        return cache[version, name]

    return predict


@pytest.mark.parametrize("device", [
    "cpu",
    pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(),
                                                  reason="needs a CUDA GPU"))])
async def test_hot_swap_under_load(model_dir, reference, device):
    async with InferenceWorker(model_dir=model_dir, device=device, threads=1,
                               max_wait_ms=1) as w:
        assert w.versions()["origin"] == V1

        async def caller(i):
            return [await w.predict_one("origin", NAMES[(i + j) % len(NAMES)], top_k=18)
                    for j in range(25)]

        load = [asyncio.create_task(caller(i)) for i in range(24)]
        await asyncio.sleep(0.01)
        set_current(model_dir, "origin", V2)
        assert await w.reload("origin") == V2
        results = [r for rs in await asyncio.gather(*load) for r in rs]  # none failed
        after = await asyncio.gather(*(w.predict_one("origin", n, top_k=18) for n in NAMES))
    assert {r.model_version for r in results} == {V1, V2}
    assert {r.model_version for r in after} == {V2}
    for result in results + after:
        assert_same_prediction(result, reference(result.model_version, result.input))


async def test_requests_queued_across_a_swap_are_encoded_for_the_new_model(
        model_dir, reference, monkeypatch):
    gate = hold_model(monkeypatch)
    async with InferenceWorker(model_dir=model_dir, device="cpu", threads=1,
                               max_batch=4, max_wait_ms=0) as w:
        first = [asyncio.create_task(w.predict_one("origin", n, top_k=18)) for n in NAMES[:4]]
        await asyncio.sleep(0.05)  # that batch holds the model thread
        queued = [asyncio.create_task(w.predict_one("origin", n, top_k=18)) for n in NAMES[4:]]
        await asyncio.sleep(0)
        assert w.queue_depth("origin") == len(NAMES) - 4  # encoded with V1's vocabulary
        assert await w.reload("origin", V2) == V2  # V2 numbers the characters differently
        gate.set()
        results = await asyncio.gather(*first, *queued)
    assert [r.model_version for r in results] == [V1] * 4 + [V2] * (len(NAMES) - 4)
    for result in results:
        assert_same_prediction(result, reference(result.model_version, result.input))


async def test_corrupt_checkpoint_is_refused_and_the_old_model_keeps_serving(
        model_dir, reference, caplog):
    async with InferenceWorker(model_dir=model_dir, device="cpu", threads=1) as w:
        for write_bad in (lambda p: p.write_bytes(b"\x00not a safetensors file"),
                          lambda p: write_checkpoint(p, "sentiment", V3)):  # the wrong task
            write_bad(path_of(model_dir, V3))
            set_current(model_dir, "origin", V3)
            caplog.clear()
            with caplog.at_level(logging.ERROR, logger="seqbot.inference"), \
                    pytest.raises(CheckpointError):
                await w.reload("origin")
            assert "refused" in caplog.text and V1 in caplog.text
            assert w.versions()["origin"] == V1
            assert_same_prediction(await w.predict_one("origin", "Nakamura", top_k=18),
                                   reference(V1, "Nakamura"))
        for bad in ("origin-nope", "../origin/" + V1, ""):
            with pytest.raises(CheckpointError):
                await w.reload("origin", bad)
        assert w.versions()["origin"] == V1


async def test_start_falls_back_to_the_newest_version_that_can_be_served(model_dir, caplog):
    data = path_of(model_dir, V2).read_bytes()
    path_of(model_dir, V3).write_bytes(data[: len(data) // 2])  # truncated
    set_current(model_dir, "origin", V3)
    with caplog.at_level(logging.WARNING, logger="seqbot.inference"):
        async with InferenceWorker(model_dir=model_dir, device="cpu", threads=1) as w:
            assert w.versions()["origin"] == V2
            assert w.refusals()["origin"]["checkpoint"] == f"{V3}.safetensors"
    assert f"origin: starting on {V2}, the newest version that can be served" in caplog.text
    assert current(model_dir) == V3  # saying so, not rewriting what the operator chose


@pytest.mark.parametrize("pointer", [b"\xff\xfe not text", b"origin-nope\n", b""])
async def test_start_on_an_unreadable_pointer_takes_the_newest_valid_version(model_dir, pointer,
                                                                             caplog):
    (task_dir(model_dir, "origin") / CURRENT).write_bytes(pointer)
    with caplog.at_level(logging.WARNING, logger="seqbot.inference"):
        async with InferenceWorker(model_dir=model_dir, device="cpu", threads=1) as w:
            assert w.versions()["origin"] == V2
    assert "CURRENT" in caplog.text and "starting on" in caplog.text


async def test_start_refuses_when_no_version_can_be_served(model_dir):
    for version in (V1, V2):
        path_of(model_dir, version).write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="no promoted origin version can be served"):
        await InferenceWorker(model_dir=model_dir, device="cpu", threads=1).start()


async def test_a_garbage_pointer_after_a_rollback_keeps_what_is_serving(model_dir, caplog):
    async with InferenceWorker(model_dir=model_dir, device="cpu", threads=1,
                               watch_interval_s=0.02) as w:
        assert await w.reload("origin", V2) == V2
        assert await w.rollback("origin") == V1
        with caplog.at_level(logging.ERROR, logger="seqbot.inference"):
            (task_dir(model_dir, "origin") / CURRENT).write_text("garbage\n")
            await asyncio.sleep(0.2)  # ~10 polls of the watcher
            with pytest.raises(CheckpointError, match="not a promoted origin version"):
                await w.reload("origin")
        assert w.versions()["origin"] == V1  # the rollback stands
        assert "still serving " + V1 in caplog.text


async def test_reload_of_a_named_version_makes_it_current_and_rollback_returns(model_dir):
    async with InferenceWorker(model_dir=model_dir, device="cpu", threads=1) as w:
        assert await w.reload("origin", V2) == V2
        assert current(model_dir) == V2 and w.versions()["origin"] == V2
        assert await w.rollback("origin") == V1
        assert current(model_dir) == V1 and w.versions()["origin"] == V1
        assert (await w.predict_one("origin", "Abe")).model_version == V1
        with pytest.raises(CheckpointError, match="no earlier"):
            await w.rollback("origin")


async def test_watcher_outlives_an_unreadable_current_pointer(model_dir, caplog):
    async with InferenceWorker(model_dir=model_dir, device="cpu", threads=1,
                               watch_interval_s=0.02) as w:
        pointer = task_dir(model_dir, "origin") / CURRENT
        with caplog.at_level(logging.ERROR, logger="seqbot.inference"):
            pointer.write_bytes(b"\xff\xfe not text")  # a half-written or foreign file
            await asyncio.sleep(0.1)
        assert "cannot read which model is current" in caplog.text
        assert w.versions()["origin"] == V1
        set_current(model_dir, "origin", V2)  # fixed: the watcher is still there
        for _ in range(200):
            if w.versions()["origin"] == V2:
                break
            await asyncio.sleep(0.01)
        assert w.versions()["origin"] == V2


async def test_watcher_picks_up_a_promotion_and_skips_a_broken_one(model_dir, caplog):
    async with InferenceWorker(model_dir=model_dir, device="cpu", threads=1,
                               watch_interval_s=0.02) as w:
        set_current(model_dir, "origin", V2)
        for _ in range(200):
            if w.versions()["origin"] == V2:
                break
            await asyncio.sleep(0.01)
        assert w.versions()["origin"] == V2
        assert (await w.predict_one("origin", "Abe")).model_version == V2
        path_of(model_dir, V3).write_bytes(b"garbage")
        set_current(model_dir, "origin", V3)
        with caplog.at_level(logging.ERROR, logger="seqbot.inference"):
            await asyncio.sleep(0.2)  # ~10 polls
        assert len([r for r in caplog.records if "refused" in r.message]) == 1
        assert w.versions()["origin"] == V2
