"""One explain request must not stall predictions (issue: 16 texts of 4,000 characters held
every prediction for 40 s). Over HTTP: a prediction that arrives while an explanation runs
is scored before the explanation's remaining steps; a client that disconnects stops its
explanation's work; and a request holds at most MAX_EXPLAIN_UNITS units, which still admits
eight texts of 2,000 characters. Mechanism, not wall-clock: the order of the forward passes
on the model thread, and how many ran."""

from __future__ import annotations

import asyncio
import threading

import aiohttp
import pytest

from inference import worker as worker_module
from inference.predictor import Predictor
from inference.server import MAX_EXPLAIN_INPUTS, MAX_EXPLAIN_UNITS
from inference.telemetry import sample
from inference.text import MAX_TOKENS
from inference.worker import InferenceWorker
from tests.helpers import serving

PROBE = "I loved it!"
LONG = " ".join(["the movie was good and the plot was not bad"] * 45)[:2000]  # 2,000 chars


class ModelCalls:
    """Records each forward pass on the model thread ("probe" or "explain"); the first one
    waits for `release`, so the test can line work up behind it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[str] = []
        self.entered, self.release = threading.Event(), threading.Event()
        probabilities = Predictor.probabilities

        def recorded(predictor: Predictor, items: list) -> object:
            self.calls.append("probe" if any(i.input == PROBE for i in items) else "explain")
            if len(self.calls) == 1:
                self.entered.set()
                self.release.wait(10)
            return probabilities(predictor, items)

        monkeypatch.setattr(Predictor, "probabilities", recorded)

    async def wait_entered(self) -> None:
        assert await asyncio.to_thread(self.entered.wait, 10)


@pytest.fixture
async def service(checkpoints, monkeypatch):
    monkeypatch.setattr(worker_module, "EXPLAIN_STEP_UNITS", 256)  # many steps, tiny model
    worker = InferenceWorker(checkpoints=checkpoints, device="cpu", threads=1, max_wait_ms=1,
                             max_explanations=MAX_EXPLAIN_INPUTS)
    async with worker, serving(worker) as server:
        yield server


async def post(url: str, body: dict, timeout: float = 60) -> tuple[int, dict]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http, \
            http.post(url, json=body) as response:
        return response.status, await response.json()


async def test_a_prediction_runs_before_the_rest_of_an_explanation(service, monkeypatch):
    model = ModelCalls(monkeypatch)
    explain = asyncio.create_task(post(f"{service.url}/v1/explain/sentiment",
                                       {"inputs": [LONG] * 8}))
    await model.wait_entered()  # the explanation holds the model thread
    probe = asyncio.create_task(post(f"{service.url}/v1/sentiment", {"inputs": [PROBE]}))
    for _ in range(1000):  # the probe's batch is handed to the model thread
        if service.worker._lanes["sentiment"].running:
            break
        await asyncio.sleep(0.01)
    model.release.set()
    status, answer = await probe
    assert status == 200 and answer["results"][0]["input"] == PROBE
    assert not explain.done()  # answered while the explanation still runs
    status, explained = await explain
    assert status == 200 and len(explained["results"]) == 8
    first = model.calls.index("probe")
    assert first <= 2 and model.calls[first + 1:].count("explain") > 8, model.calls


async def test_a_client_that_disconnects_stops_its_explanation(service, monkeypatch):
    model = ModelCalls(monkeypatch)
    explain = asyncio.create_task(post(f"{service.url}/v1/explain/sentiment",
                                       {"inputs": [LONG] * 8}))
    await model.wait_entered()
    explain.cancel()  # the client gives up: its connection closes
    registry = service.worker.registry
    for _ in range(500):
        if sample(registry, "seqbot_explanations_total", task="sentiment", outcome="cancelled"):
            break
        await asyncio.sleep(0.01)
    assert sample(registry, "seqbot_explanations_total", task="sentiment",
                  outcome="cancelled") == 8
    model.release.set()
    status, _ = await post(f"{service.url}/v1/sentiment", {"inputs": [PROBE]})
    assert status == 200
    # the step under way finished; none of the hundreds of steps left was run
    assert model.calls.count("explain") <= 2 * 8, model.calls
    assert sample(registry, "seqbot_explanations_total", task="sentiment", outcome="ok") == 0


async def test_explain_requests_are_capped_in_units_and_admit_eight_long_texts(service):
    assert MAX_EXPLAIN_UNITS >= 8 * MAX_TOKENS
    status, answer = await post(f"{service.url}/v1/explain/sentiment", {"inputs": [LONG] * 8})
    assert status == 200 and len(answer["results"]) == 8
    attack = " ".join(["the movie was good and the plot was not bad"] * 90)[:4000]
    for inputs in ([attack] * 16, [LONG] * 9):  # the attack; one long text too many
        status, answer = await post(f"{service.url}/v1/explain/sentiment", {"inputs": inputs})
        assert status == 400 and answer["code"] == "too_much_work"
        assert str(MAX_EXPLAIN_UNITS) in answer["error"]
    registry = service.worker.registry
    assert sample(registry, "seqbot_explanations_total", task="sentiment",
                  outcome="too_much") == 16 + 9
