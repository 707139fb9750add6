"""The gateway connection closed by Discord's side (not a RECONNECT request, which
tests/bot/test_runtime.py covers): the bot resumes its session and keeps answering, and a
command running during the drop still gets its answer over REST."""

from __future__ import annotations

import pytest

from benchmarks.fakediscord import FakeDiscord
from tests.helpers import (
    ModelGate,
    bot_settings,
    running_bot,
    tiny_worker,
)


@pytest.mark.parametrize("code", [4000, 1001, 1000])  # unknown error, going away, normal
async def test_the_bot_resumes_after_the_server_drops_the_gateway(checkpoints, tmp_path,
                                                                  monkeypatch, code):
    gate = ModelGate(monkeypatch)
    async with FakeDiscord() as fake:
        guild = fake.add_guild()
        async with running_bot(fake, bot_settings(tmp_path), tiny_worker(checkpoints)):
            await _drop_and_resume(fake, guild, gate, code)


async def _drop_and_resume(fake: FakeDiscord, guild, gate: ModelGate, code: int) -> None:
    alice = fake.member(guild, "alice")
    in_flight = await fake.slash(alice, "origin", name="Nakamura")
    await gate.wait_entered()
    old = fake.sessions[-1]
    await old.ws.close(code=code, message=b"dropped by the test")

    def resumed() -> bool:
        live = [s for s in fake.sessions if not s.ws.closed]
        return len(live) == 1 and live[0] is not old and \
            any(e["t"] == "RESUMED" for e in live[0].sent)

    await fake.wait_until(resumed, timeout=10)
    assert fake.sessions[-1].session_id == old.session_id  # resumed, not re-identified
    gate.open()
    assert (await in_flight.final())["components"]
    after = await fake.slash(fake.member(guild, "bob"), "origin", name="Rossi")
    assert (await after.final())["components"]
