"""Explanations served: by the worker's model thread, over HTTP, and from the predict CLI."""

from __future__ import annotations

import asyncio
import json
import threading

import aiohttp
import pytest

from inference.cli import main
from inference.errors import InferenceBusy, InferenceUnavailable, InputError
from inference.explain import explain_prepared
from inference.http_client import HttpInferenceClient
from inference.predictor import Predictor
from inference.results import Explanation
from inference.server import SECRET_HEADER, InferenceServer
from inference.telemetry import sample
from inference.worker import InferenceWorker
from tests.helpers import NAMES, TEXTS

SECRET = "s3cret"
EXPLANATIONS = "seqbot_explanations_total"


@pytest.fixture
async def worker(checkpoints):
    async with InferenceWorker(checkpoints=checkpoints, device="cpu", threads=1,
                               max_explanations=2) as worker:
        yield worker


@pytest.fixture
async def server(worker):
    server = InferenceServer(worker, port=0, secret=SECRET, max_explain_inputs=4)
    await server.start()
    try:
        yield server
    finally:
        await server.close()


def same_explanation(got: Explanation, want: Explanation) -> None:
    assert got.prediction.label == want.prediction.label
    assert got.prediction.model_version == want.prediction.model_version
    assert got.units == want.units
    assert [(p.start, p.length, p.text) for p in got.parts] == \
        [(p.start, p.length, p.text) for p in want.parts]
    assert [p.without for p in got.parts] == pytest.approx([p.without for p in want.parts],
                                                           abs=1e-5)


async def test_worker_explains_with_the_served_model(worker, checkpoints):
    for task, inputs in (("origin", NAMES[:5]), ("sentiment", TEXTS[:4])):
        reference = Predictor.load(task, checkpoints[task], device="cpu")
        for raw in inputs:
            got = await worker.explain_one(task, raw)
            same_explanation(got, explain_prepared(reference, reference.prepare(raw)))
            assert len(got.prediction.top) == (3 if task == "origin" else 2)
    assert sample(worker.registry, EXPLANATIONS, task="origin", outcome="ok") == 5
    assert sample(worker.registry, "seqbot_explain_seconds_count", task="sentiment") == 4


async def test_worker_rejects_invalid_input_at_once_and_in_place(worker):
    with pytest.raises(InputError):
        await worker.explain_one("origin", "🙂")
    results = await worker.explain("origin", ["Abe", "", "Kim"])
    assert isinstance(results[1], InputError)
    assert [r.prediction.input for r in (results[0], results[2])] == ["Abe", "Kim"]
    assert sample(worker.registry, EXPLANATIONS, task="origin", outcome="invalid") == 2


async def test_worker_answers_busy_beyond_its_explanation_limit(worker, monkeypatch):
    gate, entered = threading.Event(), threading.Event()
    probabilities = Predictor.probabilities

    def held(self, items):
        entered.set()
        gate.wait(5)
        return probabilities(self, items)

    monkeypatch.setattr(Predictor, "probabilities", held)
    first = asyncio.ensure_future(worker.explain_one("origin", "Abe"))
    second = asyncio.ensure_future(worker.explain_one("sentiment", "great"))
    assert await asyncio.to_thread(entered.wait, 5)
    with pytest.raises(InferenceBusy):
        await worker.explain_one("origin", "Kim")
    predicting = asyncio.ensure_future(worker.predict_one("origin", "Kim"))  # queued behind, fine
    gate.set()
    assert (await first).prediction.input == "Abe" and (await second).units == ["great"]
    assert (await predicting).input == "Kim"
    assert sample(worker.registry, EXPLANATIONS, task="origin", outcome="busy") == 1
    assert (await worker.explain_one("origin", "Kim")).prediction.input == "Kim"  # room again


async def test_http_endpoint_and_client_match_the_worker(server, worker):
    async with aiohttp.ClientSession(server.url, headers={SECRET_HEADER: SECRET}) as http:
        async with http.post("/v1/explain/origin", json={"inputs": ["Abe", ""], "top_k": 4}) \
                as resp:
            assert resp.status == 200
            ok, bad = (await resp.json())["results"]
        assert bad == {"input": "", "error": "That name has no letters I can read."}
        assert len(ok["top"]) == 4 and ok["explanation"]["units"] == ["a", "b", "e"]
        assert {"start", "length", "text", "weight", "without"} == \
            ok["explanation"]["parts"][0].keys()
        async with http.post("/v1/explain/sentiment", json={"inputs": ["x"] * 5}) as resp:
            assert resp.status == 400 and (await resp.json())["code"] == "too_many_inputs"
        async with http.post("/v1/explain/origin", data=b'{"inputs": "Abe"}') as resp:
            assert resp.status == 400
    async with HttpInferenceClient(server.url, SECRET) as client:
        for task, raw in (("origin", "Nakamura"), ("sentiment", TEXTS[1])):
            same_explanation(await client.explain_one(task, raw),
                             await worker.explain_one(task, raw))
        with pytest.raises(InputError):
            await client.explain_one("sentiment", "...")
    async with HttpInferenceClient(server.url, "wrong") as client:
        with pytest.raises(InferenceUnavailable, match="401"):
            await client.explain_one("origin", "Abe")


def test_predict_cli_explains_as_json_and_as_text(checkpoints, capsys):
    args = ["predict", "origin", "Kowalski", "", "--explain", "--device", "cpu", "--no-int8",
            "--checkpoint", str(checkpoints["origin"])]
    assert main([*args, "--json"]) == 1  # one input was rejected
    good, bad = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert bad == {"input": "", "error": "That name has no letters I can read."}
    reference = Predictor.load("origin", checkpoints["origin"], device="cpu")
    want = explain_prepared(reference, reference.prepare("Kowalski")).to_json()
    assert good["label"] == want["label"] and good["explanation"]["units"] == list("kowalski")
    assert [p["text"] for p in good["explanation"]["parts"]] == \
        [p["text"] for p in want["explanation"]["parts"]]
    assert main(args[:3] + args[4:]) == 0
    first, *why = capsys.readouterr().out.splitlines()
    assert first.startswith(f"Kowalski: {want['label']} ")
    assert why and all(line.startswith(("  toward ", "  against ", "  no single")) for line in why)


async def test_a_failing_model_is_unavailable_and_frees_its_places(worker, monkeypatch):
    def broken(self, items):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(Predictor, "probabilities", broken)
    with pytest.raises(InferenceUnavailable, match="out of memory"):
        await worker.explain("origin", ["Abe", "Kim"])
    assert sample(worker.registry, EXPLANATIONS, task="origin", outcome="error") == 2
    monkeypatch.undo()
    assert len(await worker.explain("origin", ["Abe", "Kim"])) == 2  # both places free
