"""INFERENCE_URL with several services: requests spread over the healthy ones, a service
that stops answering is marked down (with a backoff) and skipped, and comes back after it.
Real services on loopback; the assertions are on which service answered, not on timing."""

from __future__ import annotations

import asyncio
import time

import pytest

from inference.errors import InferenceUnavailable
from inference.http_client import HttpInferenceClient, split_urls
from inference.memory import AgreedInput
from inference.results import KNOWN
from inference.server import InferenceServer
from inference.telemetry import sample
from tests.helpers import tiny_worker
from tests.inference.test_server import free_port


def answered(server: InferenceServer) -> int:
    return int(sample(server.worker.registry, "seqbot_inference_requests_total",
                      task="origin", outcome="ok"))


@pytest.fixture
async def services(checkpoints):
    """Two services, each its own worker, on fixed loopback ports (so one can restart)."""
    async with tiny_worker(checkpoints) as one, tiny_worker(checkpoints) as two:
        servers = [InferenceServer(one, port=free_port()), InferenceServer(two, port=free_port())]
        for server in servers:
            await server.start()
        yield servers
        for server in servers:
            await server.close()


def test_the_url_list_is_split_on_commas() -> None:
    assert split_urls(" http://a:1/ ,http://b:2,, ") == ["http://a:1", "http://b:2"]
    with pytest.raises(ValueError):
        split_urls(" , ")


async def test_requests_spread_over_both_services(services) -> None:
    url = ",".join(s.url for s in services)
    async with HttpInferenceClient(url, timeout_s=5) as client:
        for _ in range(10):
            assert (await client.predict_one("origin", "Nakamura")).label
    assert [answered(s) for s in services] == [5, 5]  # in turn


async def test_a_stopped_service_is_skipped_until_its_backoff_ends(services) -> None:
    one, two = services
    async with HttpInferenceClient(f"{one.url},{two.url}", timeout_s=5, down_s=60) as client:
        await two.close()
        for _ in range(10):  # every request answered, by the service still up
            assert (await client.predict_one("origin", "Nakamura")).label
        assert answered(one) == 10 and answered(two) == 0
        down = client.endpoints[1]
        assert client.healthy() == [one.url]
        assert down.failures == 1  # tried once, then left alone while marked down
        two = InferenceServer(two.worker, port=two.port)  # back on its port
        await two.start()
        services[1] = two
        down.down_until = time.monotonic()  # its backoff over (no waiting in a test)
        for _ in range(4):
            assert (await client.predict_one("origin", "Nakamura")).label
        assert answered(two) == 2 and down.failures == 0  # back in turn, healthy again


async def test_the_backoff_doubles_with_each_failure_in_a_row(services) -> None:
    one, two = services
    await two.close()
    async with HttpInferenceClient(f"{two.url},{one.url}", timeout_s=5, down_s=1.0,
                                   max_down_s=3.0) as client:
        down = client.endpoints[0]
        windows = []
        for _ in range(4):
            down.down_until = 0.0  # due again: the next request tries it first
            client._turn = 0
            started = time.monotonic()
            assert (await client.predict_one("origin", "Nakamura")).label
            windows.append(round(down.down_until - started))
        assert windows == [1, 2, 3, 3] and down.failures == 4


async def test_a_service_that_accepts_but_never_answers_is_failed_over(services) -> None:
    writers = []

    async def silent(reader, writer):
        writers.append(writer)
        await reader.read(1 << 16)
        await asyncio.sleep(30)

    stuck = await asyncio.start_server(silent, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{stuck.sockets[0].getsockname()[1]}"
    try:
        async with HttpInferenceClient(f"{url},{services[0].url}", timeout_s=3) as client:
            assert (await client.predict_one("origin", "Nakamura")).label
            assert client.healthy() == [services[0].url]
    finally:
        for writer in writers:
            writer.close()
        stuck.close()


async def test_every_service_down_is_one_unavailable_error(services) -> None:
    for server in services:
        await server.close()
    async with HttpInferenceClient(",".join(s.url for s in services), timeout_s=2,
                                   backoff_s=0.01) as client:
        with pytest.raises(InferenceUnavailable):
            await client.predict_one("origin", "Nakamura")
        assert client.healthy() == []


async def test_the_agreed_inputs_reach_every_service(services) -> None:
    async with HttpInferenceClient(",".join(s.url for s in services), timeout_s=5) as client:
        await client.set_agreed("origin", [AgreedInput("r1", "Zzyzxq", "Japanese")])
    for server in services:  # each asked on its own
        async with HttpInferenceClient(server.url, timeout_s=5) as alone:
            answer = await alone.predict_one("origin", "Zzyzxq")
        assert (answer.source, answer.label) == (KNOWN, "Japanese")
