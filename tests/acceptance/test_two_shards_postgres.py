"""Two bot processes, shard 0 and shard 1 of 2, on one PostgreSQL database.

Each process is the production bot (benchmarks.bot_process: runner, worker, store) against
the fake Discord in this process, which routes a server's events to shard
(guild_id >> 22) % 2 as Discord does. Commands in one server per shard are all answered and
each logged once; votes cast in one process are what `python -m training export-feedback`
reads from PostgreSQL; and a shard whose process is killed with SIGKILL resumes after a
restart, with nothing it committed lost. Each process keeps its own model folder, as on
separate machines: a promotion published into PostgreSQL reaches both without a restart.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import asyncpg

from benchmarks.fakediscord import FakeDiscord
from benchmarks.pgcluster import TEMPLATE, Cluster
from db import FeedbackStore
from tests.acceptance.test_faults_kill import pred_id
from tests.helpers import HASH_SECRET, HASHER, NAMES, promote, write_checkpoint

ROOT = Path(__file__).resolve().parents[2]


def start_bot(fake: FakeDiscord, folder: Path, db: str, shard: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SEQBOT_", "INFERENCE_", "DISCORD_"))}
    env.update({"DISCORD_TOKEN": fake.token, "SEQBOT_DB": db, "SEQBOT_HASH_SECRET": HASH_SECRET,
                "SEQBOT_MODEL_DIR": str(folder / f"models{shard}"), "SEQBOT_DEVICE": "cpu",
                "SEQBOT_COOLDOWN_RATE": "0", "SEQBOT_RETENTION_DAYS": "0",
                "SEQBOT_MODEL_WATCH_S": "0", "SEQBOT_SHARD_COUNT": "2",
                # a poll an hour: only PostgreSQL's announcement brings a promotion in time
                "SEQBOT_MODEL_SYNC_S": "3600",
                "SEQBOT_SHARD_IDS": str(shard)})
    with (folder / f"bot{shard}.log").open("ab") as log:
        return subprocess.Popen([sys.executable, "-m", "benchmarks.bot_process",
                                 "--discord", fake.url], env=env, stdout=log,
                                stderr=subprocess.STDOUT, cwd=ROOT)


def one_guild_per_shard(fake: FakeDiscord) -> list:
    guilds: dict[int, object] = {}
    while len(guilds) < 2:
        guild = fake.add_guild(f"guild {len(fake.guilds)}")
        guilds.setdefault((guild.id >> 22) % 2, guild)
    return [guilds[0], guilds[1]]


async def logged(db: str) -> list[tuple[str, int]]:
    connection = await asyncpg.connect(db)
    try:
        return [(r["input_text"], r["guild_id"]) for r in
                await connection.fetch("SELECT input_text, guild_id FROM predictions")]
    finally:
        await connection.close()


async def publish(db: str, made: Path) -> None:
    """Register a new origin version with its bytes and make it production."""
    write_checkpoint(made, "origin", "origin-v2", seed=2)
    async with await FeedbackStore.open(db, HASHER) as store:
        await store.add_model_version("origin", "origin-v2", made,
                                      hashlib.sha256(made.read_bytes()).hexdigest(), {},
                                      weights=made.read_bytes())
        await store.set_model_status("origin", "origin-v2", "production")


async def answered_by(fake: FakeDiscord, user: object, db: str, version: str) -> None:
    """Ask until the logged answer comes from `version` (bounded, so a broken follower
    fails instead of hanging)."""
    connection = await asyncpg.connect(db)
    try:
        for i in range(100):
            name = f"Promo{user.id % 1000}x{i}"  # type: ignore[attr-defined]
            await (await fake.slash(user, "origin", name=name)).final(15)
            served = await connection.fetchval(
                "SELECT model_version FROM predictions WHERE input_text = $1", name)
            if served == version:
                return
            await asyncio.sleep(0.2)
    finally:
        await connection.close()
    raise AssertionError(f"still answering with {served}, not {version}")


def stop(bot: subprocess.Popen) -> None:
    if bot.poll() is None:
        bot.send_signal(signal.SIGTERM)
        assert bot.wait(30) == 0


async def test_two_shard_processes_share_one_postgres_database(postgres: Cluster, tmp_path):
    for shard in (0, 1):
        for task in ("origin", "sentiment"):
            promote(tmp_path / f"models{shard}", task, f"{task}-v1", seed=1)
    name = postgres.create_database(TEMPLATE)
    db = postgres.url(name)
    async with FakeDiscord(shards=2) as fake:
        guilds = one_guild_per_shard(fake)
        bots = [start_bot(fake, tmp_path, db, shard) for shard in (0, 1)]
        try:
            await fake.wait_identified(2, timeout=90)
            users = [[fake.member(g, f"user{s}-{i}") for i in range(3)]
                     for s, g in enumerate(guilds)]
            asked = [(s, f"{n}{s}") for s in (0, 1) for n in NAMES[:5]]
            records = await asyncio.gather(*(fake.slash(users[s][0], "origin", name=text)
                                             for s, text in asked))
            answers = [await r.final(15) for r in records]
            assert all(a["components"] for a in answers)  # answered, with vote buttons
            rows = await logged(db)
            assert sorted(rows) == sorted((text, guilds[s].id) for s, text in asked)  # once each

            answer = answers[-1]  # in shard 1's server: two members vote it right there
            for voter in users[1][1:]:
                vote = await fake.click(voter, answer, f"seqbot:vote:{pred_id(answer)}:right")
                await vote.followup(timeout=15)
            export = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "training", "export-feedback", "--task", "origin",
                "--db", db, cwd=ROOT, stdout=asyncio.subprocess.PIPE)
            out, _ = await export.communicate()
            assert export.returncode == 0
            agreed = [json.loads(line) for line in out.decode().splitlines()]
            assert [(row["prediction_id"], row["input"]) for row in agreed] == [
                (pred_id(answer), asked[-1][1])]

            bots[1].send_signal(signal.SIGKILL)  # shard 1's process dies mid-run
            await asyncio.to_thread(bots[1].wait)
            sessions = len(fake.sessions)
            after_kill = await (await fake.slash(users[0][0], "origin", name="Kowalski")).final(15)
            assert after_kill["components"]  # shard 0 answers on meanwhile
            bots[1] = start_bot(fake, tmp_path, db, 1)
            await fake.wait_until(lambda: len(fake.sessions) > sessions, timeout=90)
            resumed = await (await fake.slash(users[1][0], "origin", name="Novak")).final(15)
            assert resumed["components"]  # its shard resumed
            again = await fake.click(users[1][0], answer, f"seqbot:vote:{pred_id(answer)}:right")
            await again.followup(timeout=15)  # its old buttons work in the new process
            rows = await logged(db)
            assert sorted(rows) == sorted([(text, guilds[s].id) for s, text in asked]
                                          + [("Kowalski", guilds[0].id),
                                             ("Novak", guilds[1].id)])

            await publish(db, tmp_path / "origin-v2.safetensors")  # as finetune promotes
            for s in (0, 1):
                await answered_by(fake, users[s][0], db, "origin-v2")
        finally:
            for bot in bots:
                stop(bot)
