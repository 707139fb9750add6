"""kill -9 of the bot process while votes pour in, then a restart: nothing acknowledged is lost.

The bot runs as in production in a subprocess (benchmarks.bot_process: the real runner,
worker and SQLite file) against the fake Discord in this process, so SIGKILL really stops
it between any two instructions, with writes queued and transactions open.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.fakediscord import FakeDiscord, InteractionRecord
from db import Hasher
from tests.helpers import HASH_SECRET, NAMES, promote

ROOT = Path(__file__).resolve().parents[2]


def start_bot(fake: FakeDiscord, folder: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SEQBOT_", "INFERENCE_", "DISCORD_"))}
    env.update({"DISCORD_TOKEN": fake.token, "SEQBOT_DB": str(folder / "seqbot.db"),
                "SEQBOT_HASH_SECRET": HASH_SECRET, "SEQBOT_MODEL_DIR": str(folder / "models"),
                "SEQBOT_DEVICE": "cpu", "SEQBOT_COOLDOWN_RATE": "0", "SEQBOT_RETENTION_DAYS": "0",
                "SEQBOT_MODEL_WATCH_S": "0"})
    with (folder / "bot.log").open("ab") as log:
        return subprocess.Popen([sys.executable, "-m", "benchmarks.bot_process",
                                 "--discord", fake.url], env=env, stdout=log,
                                stderr=subprocess.STDOUT, cwd=ROOT)


def confirmed(record: InteractionRecord) -> bool:
    """The bot showed the vote as counted: it answers only once the vote is committed."""
    return any(call.status < 400 and ("agree" in text or text.startswith("Thanks"))
               for call in record.calls for text in [_content(call.body or {})])


def _content(body: dict) -> str:
    """The message text of a callback ({"type", "data"}), followup or edit body."""
    return str((body.get("data") or body).get("content") or "")


def pred_id(answer: dict) -> int:
    return int(answer["components"][0]["components"][0]["custom_id"].split(":")[2])


@pytest.fixture
def folder(tmp_path):
    for task in ("origin", "sentiment"):
        promote(tmp_path / "models", task, f"{task}-v1", seed=1)
    return tmp_path


async def test_kill_9_mid_writes_then_restart(folder):
    async with FakeDiscord() as fake:
        guild = fake.add_guild()
        bot = start_bot(fake, folder)
        try:
            await fake.wait_identified(timeout=60)
            users = [fake.member(guild, f"user{i}") for i in range(60)]
            answers = [await (await fake.slash(users[i], "origin", name=name)).final(10)
                       for i, name in enumerate(NAMES[:6])]
            # 360 votes sent as fast as the fake can dispatch them; kill once 40 are counted.
            votes: list[tuple[int, int, InteractionRecord]] = []
            for answer in answers:
                for user in users:
                    record = await fake.click(user, answer, f"seqbot:vote:{pred_id(answer)}:right")
                    votes.append((pred_id(answer), user.id, record))
            await fake.wait_until(lambda: sum(confirmed(r) for *_, r in votes) >= 40, 30)
            bot.send_signal(signal.SIGKILL)
            await asyncio.to_thread(bot.wait)
            counted = {(p, u) for p, u, r in votes if confirmed(r)}
            assert len(counted) < len(votes), "killed after the last vote: not mid-writes"

            with sqlite3.connect(folder / "seqbot.db") as db:  # recovers the WAL, as a restart
                assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                rows = set(db.execute("SELECT prediction_id, voter_hash FROM votes"))
                predictions = {r[0] for r in db.execute("SELECT id FROM predictions")}
            hasher = Hasher(HASH_SECRET)
            assert {(p, hasher.hash_user(u)) for p, u in counted} <= rows
            assert {pred_id(a) for a in answers} <= predictions

            sessions = len(fake.sessions)
            bot = start_bot(fake, folder)
            await fake.wait_until(lambda: len(fake.sessions) > sessions, timeout=60)
            late = fake.member(guild, "late")
            old = answers[0]
            click = await fake.click(late, old, f"seqbot:vote:{pred_id(old)}:right")
            await click.followup(timeout=10)
            before = sum(p == pred_id(old) for p, _ in rows)
            assert fake.messages[int(old["id"])]["content"].startswith(f"{before + 1} of ")
            fresh = await (await fake.slash(late, "origin", name="Kowalski")).final(10)
            assert fresh["components"]
        finally:
            if bot.poll() is None:
                bot.send_signal(signal.SIGTERM)
                assert await asyncio.to_thread(bot.wait, 30) == 0
    with sqlite3.connect(folder / "seqbot.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
