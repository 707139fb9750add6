"""The batching worker: same answers as unbatched, bounded, cancellation-safe."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

from inference.checkpoint import save_checkpoint
from inference.cli import _format
from inference.errors import InferenceBusy, InferenceUnavailable, InputError
from inference.predictor import Predictor
from inference.results import ModelInfo
from inference.telemetry import sample
from inference.worker import InferenceWorker
from tests.helpers import (
    NAMES,
    ORIGIN_LABELS,
    SENTIMENT_LABELS,
    TEXTS,
    assert_same_prediction,
    hold_model,
    make_checkpoint,
    write_ready_origin,
    write_ready_sentiment,
)

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = "seqbot_inference_requests_total"


@pytest.fixture(scope="module")
def reference(checkpoints):
    """Unbatched predictions straight from a Predictor: the ground truth."""
    predictors = {t: Predictor.load(t, p, device="cpu") for t, p in checkpoints.items()}

    def predict(task, raw, top_k):
        return predictors[task].predict([raw], top_k)[0]

    return predict


@pytest.fixture
async def worker(checkpoints):
    async with InferenceWorker(checkpoints=checkpoints, device="cpu", threads=1) as w:
        yield w


def batch_sizes(worker: InferenceWorker, task: str) -> tuple[int, int]:
    """(forward passes, requests scored) from the batch-size histogram."""
    return (int(sample(worker.registry, "seqbot_inference_batch_size_count", task=task)),
            int(sample(worker.registry, "seqbot_inference_batch_size_sum", task=task)))


@pytest.mark.parametrize(("task", "inputs", "k"), [("origin", NAMES, 18),
                                                  ("sentiment", TEXTS, 2)])
async def test_batched_equals_unbatched(checkpoints, reference, task, inputs, k):
    inputs = inputs * 6
    async with InferenceWorker(checkpoints=checkpoints, device="cpu", threads=1,
                               max_batch=64, max_wait_ms=20) as batched:
        together = await asyncio.gather(*(batched.predict_one(task, x, k) for x in inputs))
        passes, scored = batch_sizes(batched, task)
    assert scored == len(inputs) and passes < len(inputs) / 4  # batching really happened
    async with InferenceWorker(checkpoints=checkpoints, device="cpu", threads=1,
                               max_batch=1) as single:
        alone = await asyncio.gather(*(single.predict_one(task, x, k) for x in inputs))
        assert batch_sizes(single, task) == (len(inputs), len(inputs))
    for raw, a, b in zip(inputs, together, alone, strict=True):
        assert_same_prediction(a, b)
        assert_same_prediction(a, reference(task, raw, k))


async def test_many_simultaneous_callers_each_get_their_own_answer(checkpoints, reference):
    names = [f"{a}{b}son" for a in "BCDFGHKLMN" for b in "aeiouyrstl"] * 5  # 500 callers
    async with InferenceWorker(checkpoints=checkpoints, device="cpu", threads=1,
                               max_batch=16) as w:
        results = await asyncio.gather(*(w.predict_one("origin", n, top_k=3) for n in names))
    for name, result in zip(names, results, strict=True):
        assert result.input == name
        assert_same_prediction(result, reference("origin", name, 3))
    assert batch_sizes(w, "origin") == (500 // 16 + 1, 500)  # full batches, then the rest


async def test_predict_many_keeps_order_and_reports_invalid_inputs_in_place(worker, reference):
    inputs = ["Nakamura", "", "Smith", "x" * 65, "🙂", "Rossi"]
    results = await worker.predict("origin", inputs, top_k=2)
    assert [isinstance(r, InputError) for r in results] == [False, True, False, True, True,
                                                            False]
    for raw, result in zip(inputs, results, strict=True):
        if not isinstance(result, InputError):
            assert_same_prediction(result, reference("origin", raw, 2))


async def test_invalid_input_raises_before_anything_is_queued(checkpoints):
    async with InferenceWorker(checkpoints=checkpoints, device="cpu", threads=1,
                               max_wait_ms=60_000) as w:
        for task, raw in [("origin", ""), ("origin", "N" * 65), ("origin", "🙂🙂"),
                          ("origin", "1234"), ("sentiment", ""), ("sentiment", "!!! ???")]:
            with pytest.raises(InputError):
                await asyncio.wait_for(w.predict_one(task, raw), 1)
            assert w.queue_depth(task) == 0


async def test_long_review_is_truncated_and_flagged(worker):
    result = await worker.predict_one("sentiment", TEXTS[4])
    assert result.truncated and result.label in ("negative", "positive")
    # far over the char limit
    assert (await worker.predict_one("sentiment", "good film " * 5000)).truncated
    assert not (await worker.predict_one("sentiment", "great")).truncated


async def test_top_k_is_per_request_even_inside_one_batch(worker):
    one, five, many = await asyncio.gather(worker.predict_one("origin", "Abe", top_k=1),
                                           worker.predict_one("origin", "Kim", top_k=5),
                                           worker.predict_one("origin", "Ng", top_k=50))
    assert (len(one.top), len(five.top), len(many.top)) == (1, 5, 18)
    assert one.label == one.top[0][0] and one.probability == one.top[0][1]
    with pytest.raises(ValueError):
        await worker.predict_one("origin", "Abe", top_k=0)


async def test_cancelled_and_timed_out_requests_do_not_hold_up_their_batch(
        worker, reference, monkeypatch):
    gate = hold_model(monkeypatch)
    ahead = asyncio.create_task(worker.predict_one("origin", "Abe"))
    await asyncio.sleep(0.02)  # that request holds the model thread; the next ones queue
    tasks = [asyncio.create_task(worker.predict_one("origin", n)) for n in NAMES]
    timed_out = asyncio.create_task(asyncio.wait_for(worker.predict_one("origin", "Timeout"), 0.05))
    await asyncio.sleep(0.005)
    assert worker.queue_depth("origin") == len(NAMES) + 1
    tasks[2].cancel()
    tasks[5].cancel()
    with pytest.raises(asyncio.TimeoutError):
        await timed_out
    gate.set()
    started = time.perf_counter()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert time.perf_counter() - started < 1.0
    assert_same_prediction(await ahead, reference("origin", "Abe", 3))
    for i, (name, result) in enumerate(zip(NAMES, results, strict=True)):
        if i in (2, 5):
            assert isinstance(result, asyncio.CancelledError)
        else:
            assert_same_prediction(result, reference("origin", name, 3))
    assert sample(worker.registry, REQUESTS, task="origin", outcome="cancelled") == 3
    assert_same_prediction(await worker.predict_one("origin", "Kim"), reference("origin", "Kim", 3))


async def test_request_cancelled_while_its_batch_runs(worker, reference, monkeypatch, caplog):
    gate = hold_model(monkeypatch)
    tasks = [asyncio.create_task(worker.predict_one("origin", n)) for n in NAMES[:6]]
    await asyncio.sleep(0.05)  # the batch is in the model thread, waiting on the gate
    tasks[1].cancel()
    gate.set()
    with caplog.at_level(logging.ERROR):
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert_same_prediction(await worker.predict_one("origin", "Kim"),
                               reference("origin", "Kim", 3))
    assert isinstance(results[1], asyncio.CancelledError)
    for name, result in zip(NAMES[:6], results, strict=True):
        if result is not results[1]:
            assert_same_prediction(result, reference("origin", name, 3))
    assert not caplog.records


async def test_full_queue_answers_busy_at_once_and_close_fails_waiting_requests(
        checkpoints, monkeypatch):
    gate = hold_model(monkeypatch)
    w = InferenceWorker(checkpoints=checkpoints, device="cpu", threads=1, max_queue=4)
    await w.start()
    running = asyncio.create_task(w.predict_one("origin", "Abe"))
    await asyncio.sleep(0.02)
    waiting = [asyncio.create_task(w.predict_one("origin", n)) for n in NAMES[:4]]
    await asyncio.sleep(0)
    assert w.queue_depth("origin") == 4
    with pytest.raises(InferenceBusy):
        await asyncio.wait_for(w.predict_one("origin", "Abe"), 1)
    with pytest.raises(InferenceBusy):
        await w.predict("origin", ["Abe", "Kim"])
    assert sample(w.registry, REQUESTS, task="origin", outcome="busy") == 3
    gate.set()
    await w.close()
    for task in [running, *waiting]:
        with pytest.raises(InferenceUnavailable):
            await task
    with pytest.raises(InferenceUnavailable):
        await w.predict_one("origin", "Abe")


async def test_model_runs_in_one_dedicated_thread_with_configured_threads(worker, monkeypatch):
    seen = set()
    predict_prepared = Predictor.predict_prepared

    def spy(self, items, top_k=3):
        seen.add((threading.current_thread().name, torch.get_num_threads()))
        return predict_prepared(self, items, top_k)

    monkeypatch.setattr(Predictor, "predict_prepared", spy)
    await asyncio.gather(*(worker.predict_one("origin", n) for n in NAMES),
                         *(worker.predict_one("sentiment", t) for t in TEXTS))
    [(thread, threads)] = seen
    assert thread.startswith("seqbot-model") and threads == 1


async def test_worker_serves_only_the_tasks_it_loaded(checkpoints):
    async with InferenceWorker(tasks=("origin",), checkpoints={"origin": checkpoints["origin"]},
                               device="cpu", threads=1) as w:
        assert await w.model_versions() == {"origin": "origin-tiny"}
        with pytest.raises(InferenceUnavailable):
            await w.predict_one("sentiment", "great")
        with pytest.raises(ValueError):
            await w.predict_one("weather", "sunny")
    with pytest.raises(InferenceUnavailable):
        await InferenceWorker(checkpoints=checkpoints, device="cpu").predict_one(
            "origin", "Abe")  # not started
    with pytest.raises(ValueError):
        InferenceWorker(checkpoints=checkpoints, max_batch=0)


METRICS = {"test_accuracy": 0.8125, "test_macro_f1": 0.75, "test_ece": 0.031, "test_n": 2000,
           "val_accuracy": 0.8, "epochs": 7}


def write_with_metrics(path, task: str, version: str, metrics: dict, seed: int = 0):
    ckpt = make_checkpoint(task, version, seed)
    ckpt.metrics = metrics
    save_checkpoint(ckpt, path)
    return ckpt


async def test_model_info_reports_each_checkpoints_labels_metrics_and_device(checkpoints, tmp_path):
    origin = write_with_metrics(tmp_path / "origin.safetensors", "origin", "origin-m", METRICS)
    async with InferenceWorker(checkpoints={"origin": tmp_path / "origin.safetensors",
                                            "sentiment": checkpoints["sentiment"]},
                               device="cpu", threads=1) as w:
        infos = await w.model_info()
        assert infos == w.infos() and set(infos) == {"origin", "sentiment"}
        assert infos["origin"] == ModelInfo(
            version="origin-m", labels=ORIGIN_LABELS, created=origin.created, device="cpu",
            test_accuracy=0.8125, test_macro_f1=0.75, test_ece=0.031, test_n=2000)
        sentiment = infos["sentiment"]  # a tiny checkpoint that recorded no metrics
        assert (sentiment.version, sentiment.labels) == ("sentiment-tiny", SENTIMENT_LABELS)
        assert (sentiment.test_accuracy, sentiment.test_macro_f1, sentiment.test_ece,
                sentiment.test_n) == (None, None, None, None)
        # top_k beyond the label count lists every label, as the client contract says
        assert len((await w.predict_one("origin", "Abe", top_k=100)).top) == \
            len(infos["origin"].labels)
        assert len((await w.predict_one("sentiment", "great", top_k=100)).top) == 2

        write_with_metrics(tmp_path / "origin.safetensors", "origin", "origin-n", {}, seed=3)
        assert await w.reload("origin") == "origin-n"
        after = (await w.model_info())["origin"]
        assert after.version == "origin-n" and after.test_accuracy is None


def test_model_info_json_round_trip_and_odd_metrics():
    info = ModelInfo.from_metadata("v1", ["a", "b"], "2026-01-01T00:00:00+00:00", "cuda:0",
                                   METRICS)
    assert info.labels == ("a", "b") and info.test_n == 2000
    assert ModelInfo.from_json(json.loads(json.dumps(info.to_json()))) == info
    odd = ModelInfo.from_metadata("v1", ("a",), "", "cpu", {
        "test_accuracy": "0.9", "test_macro_f1": float("nan"), "test_ece": True,
        "test_n": None})
    assert (odd.test_accuracy, odd.test_macro_f1, odd.test_ece, odd.test_n) == (
        None, None, None, None)
    with pytest.raises(KeyError):
        ModelInfo.from_json({"version": "v1", "labels": ["a"], "device": "cpu"})
    with pytest.raises(TypeError):
        ModelInfo.from_json({"version": "v1", "labels": "ab", "created": "", "device": "cpu"})


def test_errors_and_the_client_contract_load_without_torch():
    import inference.checkpoint
    import inference.errors

    assert inference.checkpoint.CheckpointError is inference.errors.CheckpointError
    code = ("import sys, inference.client, inference.errors; "
            "assert 'torch' not in sys.modules, 'torch was imported'")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr


BULK_INPUTS = {
    "origin": [*NAMES, "", "x" * 70, "🙂", "김", "Дмитриев", "山田", "  Smith ", "Nakamura"],
    "sentiment": [*TEXTS, "", "Отличный фильм", "とても良い映画", "great film"],
}


@pytest.mark.parametrize("int8", [False, True])
@pytest.mark.parametrize("task", ["origin", "sentiment"])
async def test_predict_bulk_answers_as_predict_does_line_for_line(tmp_path, task, int8):
    """predict --file's path (predict_bulk) prints exactly what the queued path prints, in
    plain text and JSON: valid, invalid, known, not-sure and other-script inputs, over
    several batches (max_batch 4) and both int8 and fp32."""
    write = write_ready_origin if task == "origin" else write_ready_sentiment
    ckpt = write(tmp_path / f"{task}.safetensors")
    inputs = BULK_INPUTS[task] * 2
    async with InferenceWorker(checkpoints={task: ckpt}, device="cpu", threads=1,
                               max_batch=4, int8=int8) as w:
        runs = [(await w.predict(task, inputs, k), await w.predict_bulk(task, inputs, k))
                for k in (None, 1)]
    bulk = runs[0][1]
    assert any(isinstance(r, InputError) for r in bulk)
    if task == "origin":
        assert {r.source for r in bulk if not isinstance(r, InputError)} == {"model",
                                                                              "known_name"}
    for queued, bulk in runs:
        for as_json in (False, True):
            assert ([_format(raw, r, as_json) for raw, r in zip(inputs, bulk, strict=True)]
                    == [_format(raw, r, as_json) for raw, r in zip(inputs, queued, strict=True)])
