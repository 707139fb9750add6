"""The inference service slow, down, and back: friendly replies within Discord's deadline,
and answers again as soon as the service returns, without restarting the bot."""

from __future__ import annotations

import asyncio

from inference.http_client import HttpInferenceClient
from inference.server import InferenceServer
from tests.helpers import (
    ModelGate,
    bot_settings,
    running_bot,
)

DEADLINE_S = 1.5  # the fake's acknowledgement deadline: Discord's 3 s, shortened for speed
UNAVAILABLE = "My models are not available at the moment. Please try again later."


async def test_a_stuck_service_gets_a_friendly_reply_in_time(fake, worker, tmp_path,
                                                             monkeypatch):
    gate = ModelGate(monkeypatch, hold_s=5.0)  # the service accepts, then never answers
    server = InferenceServer(worker, port=0)
    await server.start()
    try:
        settings = bot_settings(tmp_path, inference_url=server.url, defer_after_s=0.3)
        client = HttpInferenceClient(server.url, timeout_s=1.0)
        async with running_bot(fake, settings, client):
            alice = fake.member(fake.guild, "alice")
            record = await fake.slash(alice, "origin", name="Nakamura")
            await record.acknowledged(timeout=DEADLINE_S)
            assert record.response_type == 5 and record.ack_latency < DEADLINE_S
            reply = await record.final(timeout=3)
            assert reply["content"] == UNAVAILABLE and not reply["embeds"]
            gate.open()
            assert (await (await fake.slash(alice, "origin", name="Rossi")).final())["components"]
    finally:
        await server.close()


async def test_the_bot_answers_again_once_the_service_is_back(fake, worker, tmp_path):
    server = InferenceServer(worker, port=0)
    await server.start()
    port = server.port
    settings = bot_settings(tmp_path, inference_url=server.url)
    try:
        async with running_bot(fake, settings, HttpInferenceClient(server.url, timeout_s=1.0)):
            alice = fake.member(fake.guild, "alice")
            assert (await (await fake.slash(alice, "origin", name="Abe")).final())["components"]
            await server.close()  # the service goes down; the bot's pooled connection dies
            for name in ("Kim", "Ng"):
                down = await fake.slash(alice, "origin", name=name)
                reply = await down.final()
                assert down.ack_latency < DEADLINE_S and reply["flags"] & 64
                assert reply["content"] == UNAVAILABLE
            server = InferenceServer(worker, port=port)  # back, at the same address
            await server.start()
            back = await asyncio.gather(*(fake.slash(alice, "origin", name=n)
                                          for n in ("Silva", "Smith", "Rossi")))
            for record in back:
                assert (await record.final())["components"]
            assert not [c for r in back for c in r.calls if c.status >= 400]
    finally:
        await server.close()
