"""Timing, failures and lifecycle: the 3-second deadline, errors, shutdown, reconnects, shards."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import socket

from benchmarks.fakediscord import FakeDiscord, pointed_at
from bot.runner import run_bot
from bot.services import Services
from inference.factory import make_client
from inference.server import InferenceServer
from tests.helpers import (
    ModelGate,
    bot_settings,
    running_bot,
    tiny_worker,
)


async def test_slow_inference_is_deferred_within_the_deadline(
        fake, checkpoints, tmp_path, monkeypatch):
    # The model thread takes 3.2 s, past Discord's 3 s deadline (which the fake enforces):
    # the bot must acknowledge with "thinking..." in time, then put the answer in its place.
    gate = ModelGate(monkeypatch, hold_s=3.2)
    async with running_bot(fake, bot_settings(tmp_path), tiny_worker(checkpoints)):
        record = await fake.slash(fake.member(fake.guild, "alice"), "origin", name="Nakamura")
        ack = await record.acknowledged(timeout=3.0)
        assert ack.body["type"] == 5 and ack.status == 200
        assert 1.0 < record.ack_latency < 2.5
        answer = await record.final(timeout=5.0)
        assert answer["embeds"] and answer["components"]
        assert not [c for c in record.calls if c.status >= 400]
        assert gate.entered.is_set()


async def test_database_failure_still_answers_and_unexpected_errors_get_an_id(
        fake, checkpoints, tmp_path, caplog):
    async with running_bot(fake, bot_settings(tmp_path), tiny_worker(checkpoints)) as bot:
        alice = fake.member(fake.guild, "alice")
        logged = await (await fake.slash(alice, "origin", name="Abe")).final()
        await bot.services.store.close()  # the database goes away
        answer = await (await fake.slash(alice, "origin", name="Abe")).final()
        assert answer["embeds"] and answer["components"] == []  # nothing to vote on
        assert "could not log the origin prediction" in caplog.text
        click = await fake.click(alice, logged, fake.find_component(logged, "seqbot:vote:"))
        reply = await click.final()
        assert reply["flags"] & 64
        [error_id] = re.findall(r"error id `([0-9a-f]{8})`", reply["content"])
        [record] = [r for r in caplog.records if r.getMessage().startswith(f"error {error_id}")]
        assert record.levelno == logging.ERROR and record.exc_info is not None
        assert "component seqbot:vote:" in record.getMessage()


async def test_resumes_after_a_gateway_reconnect(fake, checkpoints, tmp_path):
    async with running_bot(fake, bot_settings(tmp_path), tiny_worker(checkpoints)):
        session = fake.sessions[-1].session_id
        await fake.request_reconnect()
        await fake.wait_until(lambda: any(e["t"] == "RESUMED" for e in fake.sessions[-1].sent))
        assert fake.sessions[-1].session_id == session and len(fake.sessions) == 1
        record = await fake.slash(fake.member(fake.guild, "alice"), "origin", name="Rossi")
        assert (await record.final())["embeds"]


async def test_sharded_bot_answers_on_every_shard(checkpoints, tmp_path):
    async with FakeDiscord(shards=2) as fake:
        guilds = {}
        while len(guilds) < 2:  # one guild on each shard
            guild = fake.add_guild()
            guilds.setdefault((guild.id >> 22) % 2, guild)
        settings = bot_settings(tmp_path, shard_count=2)
        async with running_bot(fake, settings, tiny_worker(checkpoints)) as bot:
            assert type(bot).__name__ == "ShardedSeqBot"
            for guild in guilds.values():
                record = await fake.slash(fake.member(guild, "alice"), "origin", name="Kim")
                assert (await record.final())["embeds"]
            assert sorted(s.shard for s in fake.sessions) == [(0, 2), (1, 2)]


async def test_sigterm_finishes_commands_in_flight_then_closes_everything(
        fake, checkpoints, tmp_path, monkeypatch):
    gate = ModelGate(monkeypatch)
    settings = bot_settings(tmp_path, token=fake.token)
    services = await Services.open(settings, client=tiny_worker(checkpoints))
    with pointed_at(fake):
        bot = asyncio.create_task(run_bot(settings, services))
        await fake.wait_identified()
        alice, bob = fake.member(fake.guild, "alice"), fake.member(fake.guild, "bob")
        in_flight = await fake.slash(alice, "origin", name="Nakamura")
        await gate.wait_entered()  # the command is running, its model call held
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.sleep(0.1)
        late = await fake.slash(bob, "origin", name="Smith")
        refused = await late.final()
        assert refused["flags"] & 64 and "restarting" in refused["content"]
        assert not bot.done()  # still waiting for alice's answer
        gate.open()
        answer = await in_flight.final(timeout=5.0)
        assert answer["embeds"] and answer["components"]
        await asyncio.wait_for(bot, 10.0)
    assert not services.client.running
    assert (await _reopen(settings)).get("predictions") == {"origin": 1, "sentiment": 0}


async def _reopen(settings):
    """Stats read from the file after shutdown: everything was committed."""
    from db import FeedbackStore, Hasher
    from inference.tasks import TASKS

    async with await FeedbackStore.open(settings.db, Hasher(settings.hash_secret)) as store:
        return await store.stats(TASKS)


async def test_models_behind_the_inference_service(fake, checkpoints, tmp_path):
    # INFERENCE_URL set: the bot talks HTTP to `python -m inference serve`.
    async with tiny_worker(checkpoints) as worker:
        server = InferenceServer(worker, port=0, secret="s3")
        await server.start()
        try:
            settings = bot_settings(tmp_path, inference_url=server.url, inference_secret="s3")
            client = make_client(settings.inference_url, secret=settings.inference_secret)
            async with running_bot(fake, settings, client) as bot:
                alice = fake.member(fake.guild, "alice")
                answer = await (await fake.slash(alice, "origin", name="Nakamura")).final()
                assert answer["embeds"] and answer["components"]
                record = await bot.services.store.get_prediction(1)
                assert len(record.top) == 18  # every label came back over HTTP too
        finally:
            await server.close()


async def test_unreachable_models_get_a_friendly_reply(fake, tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    client = make_client(url, timeout_s=1.0)
    async with running_bot(fake, bot_settings(tmp_path, inference_url=url), client):
        reply = await (await fake.slash(fake.member(fake.guild, "alice"), "origin",
                                        name="Nakamura")).final()
        assert reply["flags"] & 64
        assert reply["content"] == "My models are not available at the moment. " \
                                   "Please try again later."
