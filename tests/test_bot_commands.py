"""Slash commands and the context menu, through discord.py's own code paths."""

from __future__ import annotations

import pytest

from tests.discord_harness import bot_settings, running_bot, tiny_checkpoints, tiny_worker
from tests.fakediscord import FakeDiscord

NO_PINGS = {"parse": []}


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    return tiny_checkpoints(tmp_path_factory.mktemp("ckpt"))


@pytest.fixture
async def fake():
    async with FakeDiscord() as fake:
        fake.guild = fake.add_guild()
        yield fake


@pytest.fixture
async def bot(fake, checkpoints, tmp_path):
    async with running_bot(fake, bot_settings(tmp_path), tiny_worker(checkpoints)) as bot:
        yield bot


async def test_origin_answers_with_top3_and_buttons(fake, bot):
    alice = fake.member(fake.guild, "alice")
    record = await fake.slash(alice, "origin", name="Nakamura")
    message = await record.final()
    assert record.response_type == 4
    [embed] = message["embeds"]
    assert "Nakamura" in embed["description"]
    assert embed["footer"]["text"].startswith("model origin-tiny")
    buttons = [c["custom_id"] for row in message["components"] for c in row["components"]]
    assert len(buttons) == 2 and buttons[0].startswith("seqbot:vote:")
    assert all(body["allowed_mentions"] == NO_PINGS for body in record.message_bodies())
