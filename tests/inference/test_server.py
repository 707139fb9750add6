"""The HTTP service on a real loopback socket, and the HTTP client against it."""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import defaultdict

import aiohttp
import pytest
from aiohttp import web
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from inference.checkpoint import CheckpointError, save_checkpoint
from inference.errors import InferenceBusy, InferenceUnavailable, InputError
from inference.factory import make_client
from inference.http_client import HttpInferenceClient
from inference.predictor import Predictor
from inference.registry import set_current, task_dir
from inference.results import ModelInfo
from inference.server import SECRET_HEADER, InferenceServer, check_bind
from inference.telemetry import sample
from inference.worker import InferenceWorker
from tests.helpers import (
    ORIGIN_LABELS,
    SENTIMENT_LABELS,
    TEXTS,
    assert_same_prediction,
    free_port,
    hold_model,
    make_checkpoint,
    promote,
    write_ready_sentiment,
)

SECRET = "s3cret"
V1, V2, V3 = "origin-20260101-000001", "origin-20260102-000001", "origin-20260103-000001"
S1 = "sentiment-20260101-000001"


@pytest.fixture
def model_dir(tmp_path):
    promote(tmp_path, "origin", V1, seed=1)
    promote(tmp_path, "origin", V2, seed=2)  # CURRENT
    promote(tmp_path, "sentiment", S1, seed=3)
    return tmp_path


@pytest.fixture
def reference(model_dir):
    origin = Predictor.load("origin", task_dir(model_dir, "origin") / f"{V2}.safetensors",
                            device="cpu")
    return lambda name, k: origin.predict([name], k)[0]


@pytest.fixture
async def service(model_dir):
    async with InferenceWorker(model_dir=model_dir, device="cpu", threads=1) as worker:
        server = InferenceServer(worker, port=0, secret=SECRET, max_body_bytes=64 * 1024)
        await server.start()
        try:
            yield server
        finally:
            await server.close()


@pytest.fixture
async def http(service):
    async with aiohttp.ClientSession(service.url, headers={SECRET_HEADER: SECRET}) as session:
        yield session


async def test_predict_answers_one_result_per_input_and_item_errors_in_place(http, reference):
    inputs = ["Nakamura", "", "Smith", "x" * 65]
    async with http.post("/v1/origin", json={"inputs": inputs, "top_k": 4}) as resp:
        assert resp.status == 200
        results = (await resp.json())["results"]
    assert results[1] == {"input": "", "error": "That name has no letters I can read."}
    assert results[3]["input"] == "x" * 65 and "64" in results[3]["error"]
    for i in (0, 2):
        assert {"input", "normalized", "label", "probability", "top", "model_version",
                "truncated"} <= results[i].keys()
        assert results[i]["model_version"] == V2 and len(results[i]["top"]) == 4
        assert results[i]["label"] == results[i]["top"][0][0]
        want = reference(inputs[i], 4)
        assert dict(results[i]["top"]) == pytest.approx(dict(want.top), abs=1e-5)
    async with http.post("/v1/sentiment", json={"inputs": TEXTS}) as resp:
        results = (await resp.json())["results"]
    assert len(results) == len(TEXTS) and all(len(r["top"]) == 2 for r in results)
    assert [r["truncated"] for r in results] == [t == TEXTS[4] for t in TEXTS]


@pytest.mark.parametrize(("method", "path", "body", "status"), [
    ("POST", "/v1/origin", b"{not json", 400),
    ("POST", "/v1/origin", b"[1, 2]", 400),
    ("POST", "/v1/origin", b'{"inputs": "Nakamura"}', 400),
    ("POST", "/v1/origin", b'{"inputs": [1]}', 400),
    ("POST", "/v1/origin", b'{"inputs": ["Abe"], "top_k": "3"}', 400),
    ("POST", "/v1/origin", b'{"inputs": ["Abe"], "top_k": 0}', 400),
    ("POST", "/v1/origin", b'{"inputs": ["Abe"], "top_k": true}', 400),
    ("POST", "/v1/origin", json.dumps({"inputs": ["Abe"] * 257}).encode(), 400),
    ("POST", "/v1/reload", b'{"task": "weather"}', 400),
    ("POST", "/v1/reload", b'{"task": "origin", "version": 3}', 400),
    ("POST", "/v1/reload", b'{"task": "origin", "version": "origin-nope"}', 409),
    ("GET", "/v1/origin", b"", 405),
    ("GET", "/v2/nothing", b"", 404),
])
async def test_malformed_requests_get_a_json_error(http, method, path, body, status):
    async with http.request(method, path, data=body) as resp:
        assert resp.status == status
        assert isinstance((await resp.json())["error"], str)


@pytest.mark.parametrize("path", ["/v1/reload", "/v1/rollback"])
@pytest.mark.parametrize("body", [None, b"", b"{}", b'{"task": ""}'])
async def test_reload_and_rollback_without_a_task_say_the_body_they_need(http, path, body):
    async with http.post(path, data=body) as resp:
        assert resp.status == 400
        error = (await resp.json())["error"]
    assert error.startswith(f'{path} needs a JSON body {{"task": "origin" or "sentiment"')


async def test_oversize_bodies_are_refused(http):
    body = b'{"inputs": ["' + b"a" * 70_000 + b'"]}'
    async with http.post("/v1/sentiment", data=body) as resp:
        assert resp.status == 413

    async def chunked():  # no Content-Length: the limit must hold while reading
        for _ in range(10):
            yield b" " * 10_000

    async with http.post("/v1/sentiment", data=chunked()) as resp:
        assert resp.status == 413


async def test_the_shared_secret_is_required_except_for_healthz(service):
    async with aiohttp.ClientSession(service.url) as anonymous:
        for headers in ({}, {SECRET_HEADER: "wrong"}):
            for method, path in [("POST", "/v1/origin"), ("POST", "/v1/reload"),
                                 ("POST", "/v1/rollback"), ("GET", "/metrics")]:
                async with anonymous.request(method, path, json={"inputs": ["Abe"]},
                                             headers=headers) as resp:
                    assert resp.status == 401
        async with anonymous.get("/healthz") as resp:
            assert resp.status == 200
            health = await resp.json()
    assert health["models"] == {"origin": V2, "sentiment": S1}
    assert health["device"] == "cpu" and health["status"] == "ok"
    assert health["model_info"]["origin"]["version"] == V2  # model information is open too


async def test_healthz_carries_each_models_info_from_its_checkpoint(model_dir):
    metrics = {"test_accuracy": 0.8125, "test_macro_f1": 0.75, "test_ece": 0.03, "test_n": 400,
               "val_accuracy": 0.81}
    ckpt = make_checkpoint("origin", V3, seed=4)
    ckpt.metrics = metrics
    save_checkpoint(ckpt, task_dir(model_dir, "origin") / f"{V3}.safetensors")
    set_current(model_dir, "origin", V3)
    async with InferenceWorker(model_dir=model_dir, device="cpu", threads=1) as worker:
        server = InferenceServer(worker, port=0, secret=SECRET)
        await server.start()
        try:
            async with aiohttp.ClientSession(server.url) as session, \
                    session.get("/healthz") as resp:
                assert resp.status == 200
                health = json.loads(await resp.text())  # strict JSON: no NaN sneaks in
            async with HttpInferenceClient(server.url, SECRET, timeout_s=5) as client:
                infos = await client.model_info()
        finally:
            await server.close()
    assert health["model_info"] == {
        "origin": {"version": V3, "labels": list(ORIGIN_LABELS), "created": ckpt.created,
                   "device": "cpu", "test_accuracy": 0.8125, "test_macro_f1": 0.75,
                   "test_ece": 0.03, "test_n": 400},
        "sentiment": {"version": S1, "labels": list(SENTIMENT_LABELS),
                      "created": health["model_info"]["sentiment"]["created"], "device": "cpu",
                      "test_accuracy": None, "test_macro_f1": None, "test_ece": None,
                      "test_n": None},
    }
    assert infos == worker.infos()
    assert infos["origin"] == ModelInfo(V3, ORIGIN_LABELS, ckpt.created, "cpu", 0.8125, 0.75,
                                        0.03, 400)


def scrape(text: str) -> dict[str, Metric]:
    """The families of a /metrics text, parsed by prometheus_client; each has help and a type."""
    families = {f.name: f for f in text_string_to_metric_families(text)}
    for family in families.values():
        assert family.documentation and family.type in ("counter", "gauge", "histogram")
    return families


def value(families: dict[str, Metric], name: str, **labels: str) -> float | None:
    """The sample of that name and exactly those labels, None if there is none."""
    found = [s.value for f in families.values() for s in f.samples
             if s.name == name and s.labels == labels]
    assert len(found) <= 1, (name, labels)
    return found[0] if found else None


def assert_histogram(family: Metric) -> None:
    """Per series: cumulative buckets ending at +Inf, whose last one is the count."""
    series = defaultdict(list)
    for s in family.samples:
        if s.name.endswith("_bucket"):
            rest = {k: v for k, v in s.labels.items() if k != "le"}
            series[tuple(sorted(rest.items()))].append((float(s.labels["le"]), s.value))
    assert series, family.name
    for labels, points in series.items():
        bounds, counts = zip(*sorted(points), strict=True)
        assert list(counts) == sorted(counts) and bounds[-1] == math.inf
        assert counts[-1] == value({family.name: family}, family.name + "_count", **dict(labels))


async def test_metrics_scraped_from_a_running_server_parse_as_prometheus(http):
    await (await http.post("/v1/origin", json={"inputs": ["Abe", "Kim", ""]})).read()
    await (await http.post("/v1/origin", data=b"nope")).read()
    await (await http.post("/v1/explain/sentiment", json={"inputs": ["fine"]})).read()
    async with http.post("/v1/rollback", json={"task": "origin"}) as resp:
        assert (await resp.json())["version"] == V1
    async with http.get("/metrics") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        families = scrape(await resp.text())
    types = {name: f.type for name, f in families.items() if not name.endswith("_created")}
    assert types == {
        "seqbot_inference_requests": "counter", "seqbot_inference_batch_size": "histogram",
        "seqbot_inference_latency_seconds": "histogram", "seqbot_explanations": "counter",
        "seqbot_explain_seconds": "histogram", "seqbot_model_reloads": "counter",
        "seqbot_inference_queue_depth": "gauge", "seqbot_model_info": "gauge",
        "seqbot_model_refused": "gauge", "seqbot_http_connections": "gauge",
        "seqbot_http_connections_closed": "counter",
        "seqbot_http_requests": "counter", "seqbot_http_request_duration_seconds": "histogram"}
    # prometheus_client's creation timestamps: one per counter and histogram, nothing else
    assert {n for n in families if n.endswith("_created")} == {
        f"{n}_created" for n, kind in types.items() if kind != "gauge"}
    requests = "seqbot_inference_requests_total"
    assert value(families, requests, task="origin", outcome="ok") == 2
    assert value(families, requests, task="origin", outcome="invalid") == 1
    # two valid inputs, scored in one or more forward passes, each timed
    assert value(families, "seqbot_inference_batch_size_sum", task="origin") == 2
    assert 1 <= value(families, "seqbot_inference_batch_size_count", task="origin") <= 2
    assert value(families, "seqbot_inference_latency_seconds_count", task="origin") == 2
    assert value(families, "seqbot_explanations_total", task="sentiment", outcome="ok") == 1
    assert value(families, "seqbot_explain_seconds_count", task="sentiment") == 1
    assert value(families, "seqbot_model_reloads_total", task="origin", outcome="ok") == 1
    assert value(families, "seqbot_inference_queue_depth", task="origin") == 0
    assert value(families, "seqbot_inference_queue_depth", task="sentiment") == 0
    info = {(s.labels["task"], s.labels["version"], s.labels["device"]): s.value
            for s in families["seqbot_model_info"].samples}
    assert info == {("origin", V1, "cpu"): 1, ("sentiment", S1, "cpu"): 1}  # after rollback
    http_requests = "seqbot_http_requests_total"
    assert value(families, http_requests, route="/v1/origin", status="200") == 1
    assert value(families, http_requests, route="/v1/origin", status="400") == 1
    assert value(families, http_requests, route="/v1/rollback", status="200") == 1
    assert value(families, "seqbot_http_request_duration_seconds_count", route="/v1/origin") == 2
    for family in families.values():
        if family.type == "histogram":
            assert_histogram(family)


async def test_each_server_and_worker_counts_only_its_own_requests(model_dir):
    async with InferenceWorker(model_dir=model_dir, device="cpu", threads=1) as first, \
            InferenceWorker(model_dir=model_dir, device="cpu", threads=1) as second:
        servers = [InferenceServer(w, port=0) for w in (first, second)]
        await first.predict_one("origin", "Abe")
        for server in servers:
            await server.start()
        try:
            async with aiohttp.ClientSession() as session:
                texts = [await (await session.get(s.url + "/metrics")).text() for s in servers]
        finally:
            for server in servers:
                await server.close()
    ok = {"task": "origin", "outcome": "ok"}
    assert [value(scrape(t), "seqbot_inference_requests_total", **ok) for t in texts] == [1, None]


async def test_reload_and_rollback_over_http(http):
    async with http.post("/v1/rollback", json={"task": "origin"}) as resp:
        assert resp.status == 200 and await resp.json() == {"task": "origin", "version": V1}
    async with http.post("/v1/rollback", json={"task": "origin"}) as resp:
        assert resp.status == 409 and (await resp.json())["code"] == "checkpoint"
    async with http.post("/v1/reload", json={"task": "origin", "version": V2}) as resp:
        assert (await resp.json())["version"] == V2
    async with http.post("/v1/reload", json={"task": "sentiment"}) as resp:
        assert (await resp.json())["version"] == S1


async def test_http_client_gives_the_workers_answers(service):
    async with HttpInferenceClient(service.url, SECRET, timeout_s=5) as client:
        remote = await client.predict_one("origin", "Nakamura", 5)
        local = await service.worker.predict_one("origin", "Nakamura", 5)
        assert_same_prediction(remote, local)
        assert remote.task == "origin" and len(remote.top) == 5
        assert_same_prediction(await client.predict_one("sentiment", TEXTS[4]),
                               await service.worker.predict_one("sentiment", TEXTS[4]))
        with pytest.raises(InputError, match="letters"):
            await client.predict_one("origin", "")
        mixed = await client.predict("origin", ["Abe", "🙂", "Kim"])
        assert [type(r).__name__ for r in mixed] == ["Prediction", "InputError", "Prediction"]
        assert await client.model_versions() == {"origin": V2, "sentiment": S1}
        assert await client.model_info() == service.worker.infos()
        assert await client.rollback("origin") == V1
        assert (await client.model_info())["origin"].version == V1
        assert await client.reload("origin", V2) == V2
        with pytest.raises(CheckpointError):
            await client.reload("origin", "origin-nope")
    async with HttpInferenceClient(service.url, "wrong", timeout_s=5) as client:
        with pytest.raises(InferenceUnavailable, match="401"):
            await client.predict_one("origin", "Abe")


async def test_a_full_queue_is_503_busy_for_http_and_the_client(model_dir, monkeypatch):
    gate = hold_model(monkeypatch)
    async with InferenceWorker(model_dir=model_dir, device="cpu", threads=1,
                               max_queue=3) as worker:
        server = InferenceServer(worker, port=0)
        await server.start()
        try:
            async with aiohttp.ClientSession() as session, \
                    HttpInferenceClient(server.url) as client:
                # held in the model
                running = asyncio.create_task(client.predict_one("origin", "Abe"))
                while not worker._lanes["origin"].running:
                    await asyncio.sleep(0.01)
                waiting = asyncio.create_task(client.predict("origin", ["Kim", "Ng"]))
                while worker.queue_depth("origin") < 2:
                    await asyncio.sleep(0.01)
                async with session.post(server.url + "/v1/origin",
                                        json={"inputs": ["Li", "Wu"]}) as resp:
                    assert resp.status == 503 and resp.headers["Retry-After"] == "1"
                    assert (await resp.json())["code"] == "busy"
                with pytest.raises(InferenceBusy):
                    await client.predict("origin", ["Li", "Wu"])
                gate.set()
                assert (await running).model_version == V2
                assert len(await waiting) == 2
        finally:
            await server.close()


async def test_a_request_larger_than_the_worker_admits_is_400_not_busy(model_dir):
    # Busy means "try again": a request that could never fit must say its limit instead.
    async with InferenceWorker(model_dir=model_dir, device="cpu", threads=1, max_queue=5,
                               max_explanations=3) as worker:
        server = InferenceServer(worker, port=0)
        await server.start()
        try:
            async with aiohttp.ClientSession(server.url) as session:
                for path, limit in (("/v1/origin", 5), ("/v1/explain/origin", 3)):
                    async with session.post(path, json={"inputs": ["Abe"] * limit}) as resp:
                        assert resp.status == 200
                    async with session.post(path, json={"inputs": ["Abe"] * (limit + 1)}) as r:
                        assert r.status == 400
                        assert await r.json() == {"error": f"at most {limit} inputs per request",
                                                  "code": "too_many_inputs"}
        finally:
            await server.close()


async def test_odd_bytes_and_deep_nesting_are_client_errors_and_counted(http, service):
    nested = b'{"inputs": ' + b"[" * 20_000 + b"]" * 20_000 + b"}"  # too deep to parse
    async with http.post("/v1/origin", data=nested) as resp:
        assert resp.status == 400 and (await resp.json())["code"] == "bad_json"
    # a secret header that is not UTF-8 (raw bytes on the wire) is just a wrong secret
    reader, writer = await asyncio.open_connection(service.host, service.port)
    writer.write(b"POST /v1/origin HTTP/1.1\r\nHost: x\r\nX-Seqbot-Secret: s3\xffret\r\n"
                 b"Content-Length: 2\r\nConnection: close\r\n\r\n{}")
    await writer.drain()
    response = await reader.read()
    writer.close()
    assert response.startswith(b"HTTP/1.1 401") and b'"unauthorized"' in response
    counted = "seqbot_http_requests_total"
    assert sample(service.registry, counted, route="/v1/origin", status="400") == 1
    assert sample(service.registry, counted, route="/v1/origin", status="401") == 1


async def test_an_unexpected_error_is_a_logged_json_500(http, service, monkeypatch, caplog):
    async def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(service.worker, "predict", broken)
    async with http.post("/v1/origin", json={"inputs": ["Abe"]}) as resp:
        assert resp.status == 500 and (await resp.json())["code"] == "internal"
    assert "POST /v1/origin failed" in caplog.text and "a bug" in caplog.text
    counted = "seqbot_http_requests_total"
    assert sample(service.registry, counted, route="/v1/origin", status="500") == 1


async def test_http_client_never_sends_a_rollback_twice():
    # A service that reads each request, then drops the connection unanswered: it may have
    # acted, so a prediction is retried but a rollback (two would skip a version) is not.
    requests: list[bytes] = []

    async def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        requests.append(await reader.readuntil(b"\r\n"))
        writer.close()

    server = await asyncio.start_server(drop, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with HttpInferenceClient(f"http://127.0.0.1:{port}", timeout_s=10, attempts=3,
                                       backoff_s=0.01) as client:
            with pytest.raises(InferenceUnavailable):
                await client.rollback("origin")
            assert requests == [b"POST /v1/rollback HTTP/1.1\r\n"]
            with pytest.raises(InferenceUnavailable):
                await client.predict_one("origin", "Abe")
            assert requests[1:] == [b"POST /v1/origin HTTP/1.1\r\n"] * 3
    finally:
        server.close()
        await server.wait_closed()


async def test_http_client_fails_fast_on_a_closed_port():
    started = time.perf_counter()
    async with HttpInferenceClient(f"http://127.0.0.1:{free_port()}", timeout_s=5) as client:
        with pytest.raises(InferenceUnavailable, match="Cannot reach"):
            await client.predict_one("origin", "Abe")
    assert time.perf_counter() - started < 1.5


async def test_http_client_never_waits_past_its_timeout():
    writers = []

    async def silent(reader, writer):  # accepts, reads, never answers
        writers.append(writer)
        await reader.read(1 << 16)
        await asyncio.sleep(30)

    stuck = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = stuck.sockets[0].getsockname()[1]
    started = time.perf_counter()
    try:
        async with HttpInferenceClient(f"http://127.0.0.1:{port}", timeout_s=0.3) as client:
            with pytest.raises(InferenceUnavailable):
                await client.predict_one("origin", "Abe")
        assert time.perf_counter() - started < 1.0
    finally:
        for writer in writers:
            writer.close()
        stuck.close()


async def test_http_client_retries_while_the_service_comes_up(model_dir):
    port = free_port()
    async with InferenceWorker(model_dir=model_dir, device="cpu", threads=1) as worker, \
            HttpInferenceClient(f"http://127.0.0.1:{port}", timeout_s=5, attempts=6,
                                backoff_s=0.05) as client:
        server = InferenceServer(worker, port=port)
        asyncio.get_running_loop().call_later(0.15, lambda: asyncio.ensure_future(
            server.start()))
        try:
            assert (await client.predict_one("origin", "Abe")).model_version == V2
        finally:
            await server.close()


@pytest.mark.parametrize("health", [
    {"status": "ok"},
    {"status": "ok", "model_info": ["origin"]},
    {"status": "ok", "model_info": {"origin": {"version": "v1"}}},
    {"status": "ok", "model_info": {"origin": {"version": "v1", "labels": "ab", "created": "",
                                               "device": "cpu"}}},
])
async def test_http_client_model_info_refuses_a_malformed_healthz(health):
    app = web.Application()

    async def healthz(request):
        return web.json_response(health)

    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        async with HttpInferenceClient(f"http://127.0.0.1:{runner.addresses[0][1]}",
                                       timeout_s=5) as client:
            with pytest.raises(InferenceUnavailable, match="malformed model information"):
                await client.model_info()
    finally:
        await runner.cleanup()


def test_binding_beyond_loopback_needs_a_secret_or_insecure():
    for host in ("127.0.0.1", "::1", "localhost"):
        check_bind(host, None, False)
    with pytest.raises(ValueError, match="INFERENCE_SECRET"):
        check_bind("0.0.0.0", None, False)
    check_bind("0.0.0.0", SECRET, False)
    check_bind("0.0.0.0", None, True)


def test_make_client_picks_http_for_a_url_and_the_worker_otherwise(model_dir):
    assert isinstance(make_client("http://127.0.0.1:8765", secret=SECRET), HttpInferenceClient)
    worker = make_client(None, device="cpu", model_dir=model_dir, max_batch=8)
    assert isinstance(worker, InferenceWorker) and worker.max_batch == 8


async def test_answers_carry_verdict_source_script_and_evidence(http):
    resp = await http.post("/v1/origin", json={"inputs": ["김", "כהן", "Nakamura"]})
    hangul, hebrew, plain = (await resp.json())["results"]
    assert (hangul["confidence"], hangul["source"], hangul["script"]) == ("sure", "model",
                                                                          "Hangul")
    assert hangul["evidence"][0]["text"] == "written in Hangul (Korean)"
    assert hangul["label"] in ORIGIN_LABELS and isinstance(hangul["probability"], float)
    assert (hebrew["confidence"], hebrew["script"]) == ("unknown_language", "Hebrew")
    assert (plain["script"], plain["evidence"]) == ("Latin", [])
    resp = await http.post("/v1/sentiment", json={"inputs": ["great film"]})
    [text] = (await resp.json())["results"]
    assert (text["confidence"], text["source"], text["script"], text["evidence"]) == (
        "sure", "model", "", [])


async def test_agreed_names_are_set_whole_and_answered_from_memory(service, http):
    agreed = [{"reference": "zwoelf", "input": "Zwoelf", "label": "Japanese"}]
    resp = await http.put("/v1/agreed/origin", json={"agreed": agreed})
    assert resp.status == 200
    assert await resp.json() == {"task": "origin", "joined": 1, "left": 0, "agreed": 1}
    resp = await http.post("/v1/origin", json={"inputs": ["ZWOELF", "Zwoelfer"]})
    known, other = (await resp.json())["results"]
    assert (known["label"], known["source"]) == ("Japanese", "known_name")
    assert known["evidence"][0] == {"kind": "known_name", "labels": ["Japanese"],
                                    "text": "known name: Japanese agreed by the community",
                                    "feature": "agreed", "ratio": None}
    assert other["source"] == "model"
    client = HttpInferenceClient(service.url, SECRET)
    async with client:  # the HTTP client sets the whole set the same way: now empty
        assert await client.set_agreed("origin", []) == (0, 1)
        assert (await client.predict_one("origin", "Zwoelf")).source == "model"
    for body in ({"agreed": "x"}, {"agreed": [{"reference": "r", "input": "x"}]},
                 {"agreed": [{"reference": 1, "input": "x", "label": "Japanese"}]}):
        resp = await http.put("/v1/agreed/origin", json=body)
        assert resp.status == 400 and (await resp.json())["code"] == "bad_request"
    resp = await http.put("/v1/agreed/sentiment", json={"agreed": []})
    assert resp.status in (404, 405)  # a task without known inputs has no such path
    async with aiohttp.ClientSession(service.url) as stranger:
        resp = await stranger.put("/v1/agreed/origin", json={"agreed": agreed})
        assert resp.status == 401


async def test_sentiment_verdicts_over_http(tmp_path):
    """A sentiment model ready for chat: "not_sure" and "unknown_language" in the JSON,
    `label`/`probability` still the most likely label."""
    write_ready_sentiment(task_dir(tmp_path, "sentiment") / "sentiment-ready.safetensors")
    set_current(tmp_path, "sentiment", "sentiment-ready")
    async with InferenceWorker(tasks=("sentiment",), model_dir=tmp_path, device="cpu",
                               threads=1) as worker:
        server = InferenceServer(worker, port=0, secret=SECRET)
        await server.start()
        try:
            async with aiohttp.ClientSession(server.url,
                                             headers={SECRET_HEADER: SECRET}) as http:
                resp = await http.post("/v1/sentiment", json={
                    "inputs": ["great film", "Отличный фильм", "blorf zzyx quux"]})
                plain, russian, gibberish = (await resp.json())["results"]
        finally:
            await server.close()
    assert plain["confidence"] == "not_sure"
    assert russian["confidence"] == gibberish["confidence"] == "unknown_language"
    for answer in (plain, russian, gibberish):
        assert answer["label"] == answer["top"][0][0]
        assert answer["probability"] == answer["top"][0][1]
