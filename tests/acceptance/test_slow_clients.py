"""Slow and many clients against the HTTP service (issue: 2,000 connections that never
finished their headers stayed open for 120 s; with fewer file descriptors, real requests
timed out and asyncio's accept error filled the log). A connection gets `header_timeout_s`
for its first headers and `idle_timeout_s` between requests, at most `max_connections` are
open, and a failed accept is logged as one line at most once a minute."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from inference.server import InferenceServer
from inference.telemetry import sample
from tests.helpers import free_port, promote_both

ROOT = Path(__file__).resolve().parents[2]
PARTIAL = b"POST /v1/origin HTTP/1.1\r\nHost: seqbot\r\nContent-Type: application/json\r\n"
REQUEST = (b'POST /v1/origin HTTP/1.1\r\nHost: seqbot\r\nContent-Type: application/json\r\n'
           b'Content-Length: 24\r\n\r\n{"inputs": ["Nakamura"]}')


@pytest.fixture
async def service(worker):
    server = InferenceServer(worker, port=0, header_timeout_s=0.3, idle_timeout_s=0.5,
                             max_connections=4)
    await server.start()
    try:
        yield server
    finally:
        await server.close()


async def closed_by_server(reader: asyncio.StreamReader, within_s: float = 10) -> bytes:
    """What the server sent before it closed the connection (TimeoutError if it never)."""
    return await asyncio.wait_for(reader.read(), within_s)


async def test_headers_that_never_end_are_cut_off(service):
    reader, writer = await asyncio.open_connection("127.0.0.1", service.port)
    writer.write(PARTIAL)  # and never the blank line
    await writer.drain()
    assert await closed_by_server(reader) == b""
    writer.close()
    assert sample(service.registry, "seqbot_http_connections_closed_total",
                  reason="header_timeout") == 1


async def test_an_idle_connection_is_closed_after_the_idle_timeout(service):
    reader, writer = await asyncio.open_connection("127.0.0.1", service.port)
    writer.write(REQUEST)
    await writer.drain()
    answer = await closed_by_server(reader)  # keep-alive, then closed as idle
    assert answer.startswith(b"HTTP/1.1 200 OK") and b'"Nakamura"' in answer
    writer.close()
    for _ in range(100):  # the server's side has gone
        if not sample(service.registry, "seqbot_http_connections"):
            break
        await asyncio.sleep(0.01)
    assert sample(service.registry, "seqbot_http_connections") == 0


async def test_connections_beyond_the_cap_are_answered_busy(service):
    held = [await asyncio.open_connection("127.0.0.1", service.port) for _ in range(4)]
    for _, writer in held:
        writer.write(PARTIAL)
    await asyncio.sleep(0.05)
    reader, writer = await asyncio.open_connection("127.0.0.1", service.port)
    refused = await closed_by_server(reader)
    assert refused.startswith(b"HTTP/1.1 503") and b'"code": "busy"' in refused
    writer.close()
    assert sample(service.registry, "seqbot_http_connections_closed_total",
                  reason="too_many") == 1
    for reader, writer in held:  # the header timeout frees them
        assert await closed_by_server(reader) == b""
        writer.close()
    reader, writer = await asyncio.open_connection("127.0.0.1", service.port)
    writer.write(REQUEST)
    assert (await reader.readline()).startswith(b"HTTP/1.1 200")
    writer.close()


def low_fd_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))


def post_nakamura(port: int) -> dict | None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/origin", data=b'{"inputs": ["Nakamura"]}',
        headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            return json.load(resp)["results"][0]
    except OSError:
        return None


async def flood(port: int, n: int) -> list[asyncio.StreamWriter]:
    """n connections that send half their headers and then nothing."""
    async def one() -> asyncio.StreamWriter | None:
        with contextlib.suppress(OSError, asyncio.TimeoutError):
            _, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 3)
            writer.write(PARTIAL)
            return writer
        return None
    return [w for w in await asyncio.gather(*(one() for _ in range(n))) if w is not None]


def test_serve_under_a_flood_with_few_descriptors_logs_one_line_and_recovers(tmp_path):
    promote_both(tmp_path)
    port = free_port()
    env = {**os.environ, "SEQBOT_DEVICE": "cpu", "SEQBOT_MODEL_DIR": str(tmp_path)}
    env.pop("INFERENCE_SECRET", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "inference", "serve", "--port", str(port),
         "--max-connections", "5000", "--header-timeout-s", "2"],
        cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True, preexec_fn=low_fd_limit)
    try:
        for _ in range(600):
            if post_nakamura(port) is not None:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the service did not start")

        async def attack() -> None:
            writers = await flood(port, 600)  # far more than 256 descriptors
            await asyncio.sleep(4)  # accepts fail for a while; then the header timeout frees
            for writer in writers:
                writer.close()

        asyncio.run(attack())
        answer = None
        for _ in range(100):
            if (answer := post_nakamura(port)) is not None:
                break
            time.sleep(0.1)
        assert answer and answer["model_version"] == "origin-20260101-000001"
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    failed = [line for line in stderr.splitlines() if "out of system resource" in line]
    assert len(failed) == 1, stderr[-3000:]
    assert "Traceback" not in stderr and "Too many open files" in failed[0]
