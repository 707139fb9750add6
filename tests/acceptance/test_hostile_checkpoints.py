"""Checkpoints that load but do not fit, and files that are no checkpoints at all (a FIFO, a
read that hangs), offered through POST /v1/reload, the watcher or at start: each is refused
(over HTTP with a 409 that names no local path) without blocking the event loop, the model
already serving keeps answering with valid JSON, and the refusal shows in the log, /healthz
and /metrics."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import math
import os
import threading
from pathlib import Path

import aiohttp
import pytest
import safetensors.torch
import torch

from inference import checkpoint, registry
from inference.checkpoint import CheckpointError, save_checkpoint
from inference.models import Ensemble
from inference.registry import set_current, task_dir
from inference.telemetry import sample
from inference.text import Vocab
from inference.worker import InferenceWorker
from tests.helpers import make_checkpoint, promote, serving

V1, BAD = "origin-20260101-000001", "origin-20260109-000001"


def fewer_labels(c):
    return dataclasses.replace(c, labels=c.labels[:-1])


def larger_vocab(c):
    return dataclasses.replace(c, vocab=Vocab((*c.vocab.itos, "ä", "ö", "ü")))


def object_labels(c):
    return dataclasses.replace(c, labels=tuple({"name": label} for label in c.labels))


def temperature(value):
    return lambda c: dataclasses.replace(c, temperature=value)


def nan_weights(c):
    state = dict(c.state_dict)
    key = next(k for k in state if k.endswith("weight"))
    state[key] = state[key].clone()
    state[key][0, 0] = math.nan
    return dataclasses.replace(c, state_dict=state)


def zero_temperature_ensemble(c):
    members = (c.config, c.config)
    state = {f"members.{i}.{k}": v for i in range(2) for k, v in c.state_dict.items()}
    state["temperatures"] = torch.zeros(2)
    Ensemble(members).load_state_dict(state)  # a model torch accepts
    return dataclasses.replace(c, config=members, state_dict=state)


BROKEN = {
    "fewer labels": (fewer_labels, "labels for an output layer"),
    "larger vocabulary": (larger_vocab, "for an embedding of"),
    "labels that are objects": (object_labels, "labels must be a list of strings"),
    "temperature 0": (temperature(0.0), "finite and positive"),
    "temperature NaN": (temperature(math.nan), "finite and positive"),
    "negative temperature": (temperature(-1.5), "finite and positive"),
    "NaN weights": (nan_weights, "not finite"),
    "an ensemble whose members have temperature 0": (zero_temperature_ensemble,
                                                      "temperatures that are not positive"),
    # finite and positive, so it fits, but every logit divided by it overflows to infinity
    # and the answer is NaN: only scoring the probe finds it
    "a temperature that overflows": (temperature(1e-45), "probe 'Nakamura'"),
}


@pytest.fixture
async def service(tmp_path):
    promote(tmp_path, "origin", V1, seed=1)
    promote(tmp_path, "sentiment", "sentiment-20260101-000001", seed=2)
    async with InferenceWorker(model_dir=tmp_path, device="cpu", threads=1,
                               watch_interval_s=0.02) as worker, serving(worker) as server:
        yield server


async def call(http, url, path, body=None):
    method = http.get if body is None else http.post
    async with method(url + path, json=body) as response:
        return response.status, await response.text()


@pytest.mark.parametrize("case", BROKEN)
async def test_a_checkpoint_that_does_not_fit_is_refused_over_http(service, tmp_path, case,
                                                                   caplog):
    breaks, reason = BROKEN[case]
    save_checkpoint(breaks(make_checkpoint("origin", BAD, seed=3)),
                    task_dir(tmp_path, "origin") / f"{BAD}.safetensors")
    async with aiohttp.ClientSession() as http:
        with caplog.at_level(logging.ERROR, logger="seqbot.inference"):
            status, body = await call(http, service.url, "/v1/reload",
                                      {"task": "origin", "version": BAD})
        assert status == 409, body
        assert reason in json.loads(body)["error"]
        assert str(tmp_path) not in body and "/tmp" not in body
        assert f"refused checkpoint {BAD}" in caplog.text
        status, body = await call(http, service.url, "/v1/origin", {"inputs": ["Nakamura"]})
        assert status == 200
        [answer] = json.loads(body, parse_constant=pytest.fail)["results"]  # no NaN
        assert answer["model_version"] == V1
        assert 0 < answer["probability"] <= 1 and isinstance(answer["label"], str)
        status, body = await call(http, service.url, "/healthz")
        refused = json.loads(body)["refused"]["origin"]
        assert refused["checkpoint"] == f"{BAD}.safetensors" and reason in refused["reason"]
    registry = service.worker.registry
    assert sample(registry, "seqbot_model_refused", task="origin") == 1
    assert sample(registry, "seqbot_model_reloads_total", task="origin", outcome="refused") == 1


async def test_the_watcher_refuses_one_too_and_a_good_reload_clears_it(service, tmp_path):
    worker = service.worker
    save_checkpoint(temperature(-1.0)(make_checkpoint("origin", BAD, seed=3)),
                    task_dir(tmp_path, "origin") / f"{BAD}.safetensors")
    set_current(tmp_path, "origin", BAD)
    for _ in range(200):
        if worker.refusals():
            break
        await asyncio.sleep(0.01)
    assert worker.refusals()["origin"]["checkpoint"] == f"{BAD}.safetensors"
    assert worker.versions()["origin"] == V1
    assert await worker.reload("origin", V1) == V1
    assert worker.refusals() == {}
    assert sample(worker.registry, "seqbot_model_refused", task="origin") == 0


class Heartbeat:
    """Counts event-loop turns of 10 ms: stops counting while anything blocks the loop."""

    def __init__(self) -> None:
        self.beats = 0
        self.longest_gap = 0.0

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            await asyncio.sleep(0.01)
            now = loop.time()
            self.beats, self.longest_gap = self.beats + 1, max(self.longest_gap, now - last)
            last = now


@contextlib.asynccontextmanager
async def heartbeat():
    beat = Heartbeat()
    task = asyncio.create_task(beat.run())
    try:
        yield beat
    finally:
        task.cancel()


@pytest.mark.parametrize("what", ["checkpoint", "CURRENT"])
async def test_a_fifo_is_refused_at_once_and_never_blocks(service, tmp_path, what):
    folder = task_dir(tmp_path, "origin")
    if what == "checkpoint":
        os.mkfifo(folder / f"{BAD}.safetensors")
        body = {"task": "origin", "version": BAD}
    else:
        (folder / "CURRENT").unlink()
        os.mkfifo(folder / "CURRENT")
        body = {"task": "origin"}
    async with heartbeat() as beat, aiohttp.ClientSession() as http:
        status, answer = await call(http, service.url, "/v1/reload", body)
        await asyncio.sleep(0.1)  # the watcher polls it too, every 20 ms
        assert status == 409 and "not a regular file" in answer
        status, _ = await call(http, service.url, "/v1/origin", {"inputs": ["Nakamura"]})
        assert status == 200
        while beat.beats < 5:  # the loop keeps turning (a blocked one would never get here)
            await asyncio.sleep(0.01)
    assert service.worker.versions()["origin"] == V1
    assert beat.longest_gap < 1.0


async def test_a_fifo_as_the_current_model_at_start_gives_way_to_a_valid_one(tmp_path):
    promote(tmp_path, "origin", V1, seed=1)
    os.mkfifo(task_dir(tmp_path, "origin") / f"{BAD}.safetensors")
    set_current(tmp_path, "origin", BAD)
    async with InferenceWorker(tasks=("origin",), model_dir=tmp_path, device="cpu",
                               threads=1) as worker:
        assert worker.versions()["origin"] == V1
        assert "not a regular file" in worker.refusals()["origin"]["reason"]


async def test_a_read_that_hangs_is_given_up_after_the_time_limit(tmp_path, monkeypatch):
    """A checkpoint on a hung network share: its read never returns."""
    promote(tmp_path, "origin", V1, seed=1)
    promote(tmp_path, "origin", BAD, seed=3)
    set_current(tmp_path, "origin", V1)
    hung = threading.Event()
    read = registry.read_regular

    def hanging(path, limit=None):
        if Path(path).name == f"{BAD}.safetensors":
            hung.wait(30)
        return read(path, limit)

    monkeypatch.setattr(checkpoint, "read_regular", hanging)
    async with InferenceWorker(tasks=("origin",), model_dir=tmp_path, device="cpu", threads=1,
                               load_timeout_s=0.3) as worker, heartbeat() as beat:
        with pytest.raises(CheckpointError, match=r"took longer than 0\.3 s"):
            await worker.reload("origin", BAD)
        assert (await worker.predict_one("origin", "Nakamura")).model_version == V1
        assert worker.refusals()["origin"]["checkpoint"] == f"{BAD}.safetensors"
    hung.set()
    assert beat.beats >= 3 and beat.longest_gap < 1.0  # the loop turned during the hang


def write_raw(path: Path, **changed: str) -> None:
    """A checkpoint whose metadata fields are replaced by raw text, as a forger would."""
    good = make_checkpoint("origin", BAD, seed=3)
    save_checkpoint(good, path)
    data = path.read_bytes()
    meta = checkpoint.header_metadata(data)
    tensors = safetensors.torch.load(data)
    safetensors.torch.save_file(tensors, str(path), metadata={**meta, **changed})


@pytest.mark.parametrize("field", ["metrics", "config", "labels", "known_inputs", "verdicts"])
async def test_metadata_nested_too_deeply_is_a_409_not_a_500(service, tmp_path, field):
    write_raw(task_dir(tmp_path, "origin") / f"{BAD}.safetensors",
              **{field: "[" * 100_000 + "]" * 100_000})
    async with aiohttp.ClientSession() as http:
        status, body = await call(http, service.url, "/v1/reload",
                                  {"task": "origin", "version": BAD})
    assert status == 409, body
    assert "unreadable checkpoint" in body and str(tmp_path) not in body


@pytest.mark.parametrize("case", ["no such version", "listed, then gone", "corrupt"])
async def test_409_answers_name_no_local_path(service, tmp_path, case):
    bad = task_dir(tmp_path, "origin") / f"{BAD}.safetensors"
    body = {"task": "origin", "version": BAD}
    if case == "no such version":
        body["version"] = "origin-nope"
    elif case == "listed, then gone":
        bad.symlink_to(task_dir(tmp_path, "origin") / "deleted.safetensors")
    else:  # CURRENT names a file that is no checkpoint
        bad.write_bytes(b"\0" * 64)
        set_current(tmp_path, "origin", BAD)
        body = {"task": "origin"}
    async with aiohttp.ClientSession() as http:
        status, answer = await call(http, service.url, "/v1/reload", body)
    assert status == 409, answer
    assert str(tmp_path) not in answer and str(tmp_path.resolve()) not in answer
    assert "/tmp" not in answer


async def test_links_that_leave_the_model_dir_are_refused(tmp_path):
    models, outside = tmp_path / "models", tmp_path / "outside"
    promote(models, "origin", V1, seed=1)
    foreign = outside / f"{BAD}.safetensors"
    save_checkpoint(make_checkpoint("origin", BAD, seed=3), foreign)
    folder = task_dir(models, "origin")
    (folder / f"{BAD}.safetensors").symlink_to(foreign)
    (folder / "origin-20260102-000001.safetensors").symlink_to(folder / f"{V1}.safetensors")
    async with InferenceWorker(tasks=("origin",), model_dir=models, device="cpu", threads=1,
                               watch_interval_s=0.02) as worker:
        assert worker.versions()["origin"] == V1  # the newest promoted file leaves: not one
        async with serving(worker) as server:
            async with aiohttp.ClientSession() as http:
                status, body = await call(http, server.url, "/v1/reload",
                                          {"task": "origin", "version": BAD})
            assert status == 409 and "no promoted origin version" in body
            (folder / "CURRENT").write_text(BAD + "\n")
            await asyncio.sleep(0.1)  # the watcher polls: CURRENT names no promoted version
            assert worker.versions()["origin"] == V1
            # a link that stays inside the model dir is a version like any other
            assert await worker.reload("origin", "origin-20260102-000001")
