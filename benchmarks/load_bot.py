"""Load test of the whole bot: many simulated users on a loopback fake Discord.

The bot runs as in production, in a process of its own (benchmarks/bot_process.py): the real
discord.py client and runner, the real inference worker with the shipped (or promoted)
weights, and a real SQLite file. This process runs the fake Discord (benchmarks/fakediscord) and
--users simulated users (benchmarks/load_users.py) who, for --seconds, ask /origin and
/sentiment with real surnames and IMDB reviews, and vote Right or Wrong (with a correction)
on earlier answers. The per-user cooldown is off (SEQBOT_COOLDOWN_RATE=0) unless
--cooldown-rate N is given: then every ML command counts against its user's budget in the
database (N per 15 s, more than a simulated user asks), as with the cooldown on.

Modes:
  in-process  the models run inside the bot process
  service     `python -m inference serve` runs as a separate process on loopback and the bot
              reaches it through INFERENCE_URL (--inference-url: use one already running)

Reported per mode: interactions/s (and the lowest 5-second rate), ack latency p50/p99/max
(INTERACTION_CREATE sent to interaction callback received), acks later than Discord's 3 s,
the worker's batch sizes, CPU (process CPU time / wall, for the bot, the service, this
harness, and every other process on the machine), resident memory at the end of the load
and its peak (each child's ru_maxrss, as getrusage reports it, from wait4), and a
reconciliation of the SQLite file against every answer and vote the users saw acknowledged
(read after the bot's clean shutdown).

With --store postgres the bot processes share a database in a throwaway PostgreSQL cluster
(benchmarks.pgcluster) instead of a SQLite file; --services M starts M inference services
and gives the bots all their URLs (INFERENCE_URL, comma-separated); --kill-after S kills the
last bot process with SIGKILL S seconds into the load and starts it again at once (its
shard's users meanwhile get no answer: those interactions count as unacknowledged, and the
reconciliation checks that nothing acknowledged before the kill was lost).

    python -m benchmarks.load_bot                          # both modes, 60 s each
    python -m benchmarks.load_bot --modes in-process --seconds 20 --users 200
    python -m benchmarks.load_bot --modes service --bots 2 --services 2 --store postgres \
        --kill-after 15 --seconds 30
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import resource
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import aiohttp

from benchmarks.bench_inference import DATA, load_names, load_reviews
from benchmarks.fakediscord import FakeDiscord
from benchmarks.load_checks import batch_sizes, latencies, read_logged, reconcile
from benchmarks.load_users import Crowd, Settlements
from benchmarks.pgcluster import Cluster, throwaway_cluster
from inference.server import SECRET_HEADER
from inference.settings import InferenceSettings
from inference.tasks import TASKS
from training.data import locate

ROOT = Path(__file__).resolve().parents[1]

MODES = ("in-process", "service")
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU time of a process (this one by default)."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def machine_busy_seconds() -> float:
    """CPU time all processes have used since boot (idle and iowait excluded)."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / TICK


def rss_mb(pid: int) -> float:
    """Resident memory of a process now (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise LookupError(f"no VmRSS for process {pid}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Child:
    """A subprocess whose exit is reaped with wait4, for its own rusage (peak RSS)."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.log, self.argv, self.env = name, log, argv, env
        with log.open("ab") as out:
            self.proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT,
                                         cwd=ROOT)
        self.maxrss_mb: float | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            tail = self.log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{tail}")

    async def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM (SIGKILL after `timeout`), reap, and keep the peak RSS."""
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        reaper = asyncio.ensure_future(asyncio.to_thread(os.wait4, self.pid, 0))
        done, _ = await asyncio.wait({reaper}, timeout=timeout)
        if not done:
            self.proc.kill()
        _, status, usage = await reaper
        self.maxrss_mb = round(usage.ru_maxrss / 1024, 1)
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        return self.proc.returncode


class Service:
    """`python -m inference serve` on a free loopback port, with a shared secret."""

    def __init__(self, args: argparse.Namespace, folder: Path, secret: str,
                 index: int = 0) -> None:
        self.secret = secret
        self.url = f"http://127.0.0.1:{free_port()}"
        argv = [sys.executable, "-m", "inference", "serve", "--port", self.url.rsplit(":", 1)[1],
                "--device", args.device]
        if args.model_dir:
            argv += ["--model-dir", str(args.model_dir)]
        self.child = Child(f"inference service {index}", argv,
                           {**os.environ, "INFERENCE_SECRET": self.secret},
                           folder / f"service{index}.log")

    async def ready(self, timeout: float = 120.0) -> None:
        async with aiohttp.ClientSession() as http:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                self.child.check_alive()
                try:
                    async with http.get(self.url + "/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)
        raise RuntimeError(f"the inference service did not come up within {timeout:g} s")


async def scrape_metrics(url: str, secret: str | None) -> str:
    headers = {SECRET_HEADER: secret} if secret else {}
    async with aiohttp.ClientSession(headers=headers) as http, \
            http.get(url + "/metrics") as response:
        return await response.text()


def bot_env(args: argparse.Namespace, fake: FakeDiscord, db: str, hash_secret: str,
            inference: tuple[str, str | None] | None) -> dict[str, str]:
    """The environment `python -m bot` would get, with quiet logs and (unless asked) no
    cooldown."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SEQBOT_", "INFERENCE_", "DISCORD_"))}
    env.update({"DISCORD_TOKEN": fake.token, "SEQBOT_DB": db,
                "SEQBOT_HASH_SECRET": hash_secret,
                "SEQBOT_COOLDOWN_RATE": str(args.cooldown_rate),
                "SEQBOT_RETENTION_DAYS": "0", "SEQBOT_MODEL_WATCH_S": "0",
                "SEQBOT_DEVICE": args.device, "SEQBOT_LOG_LEVEL": "WARNING"})
    if args.model_dir:
        env["SEQBOT_MODEL_DIR"] = str(args.model_dir)
    if inference is not None:
        env["INFERENCE_URL"] = inference[0]
        if inference[1]:
            env["INFERENCE_SECRET"] = inference[1]
    return env


async def run_mode(mode: str, args: argparse.Namespace, names: list[str],
                   reviews: list[str], cluster: Cluster | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="seqbot-load-") as tmp:
        folder = Path(tmp)
        db = cluster.url(cluster.create_database()) if cluster else str(folder / "seqbot.db")
        hash_secret = secrets.token_urlsafe(24)
        secret = secrets.token_urlsafe(16)
        services = [Service(args, folder, secret, i) for i in range(args.services)] \
            if mode == "service" and not args.inference_url else []
        inference: tuple[str, str | None] | None = None
        if services:
            inference = (",".join(s.url for s in services), secret)
        elif mode == "service":
            inference = (args.inference_url, InferenceSettings.load().inference_secret)
        children: dict[str, Child] = {}
        try:
            for i, service in enumerate(services):
                children[f"service{i}"] = service.child
            for service in services:
                await service.ready()
            async with FakeDiscord(shards=args.bots) as fake:
                guilds = spread_guilds(fake, args.guilds, args.bots)
                for i in range(args.bots):
                    env = bot_env(args, fake, db, hash_secret, inference)
                    if args.bots > 1:  # one shard per process, as a sharded deployment runs
                        env.update(SEQBOT_SHARD_COUNT=str(args.bots), SEQBOT_SHARD_IDS=str(i))
                    argv = [sys.executable, "-m", "benchmarks.bot_process", "--discord", fake.url,
                             "--metrics", str(folder / f"worker{i}.prom")]
                    children[f"bot{i}"] = Child(f"bot {i}", argv, env, folder / f"bot{i}.log")
                result = await drive(fake, children, guilds, args, names, reviews)
                metrics = [await scrape_metrics(url, inference[1])
                           for url in inference[0].split(",")] if inference is not None else []
                for name, child in children.items():
                    if name.startswith("bot") and await child.stop() != 0:
                        child.check_alive()  # raises, with the end of its log
        finally:
            for child in children.values():
                await child.stop()
        if inference is None:
            metrics = [(folder / f"worker{i}.prom").read_text() for i in range(args.bots)]
        sent = result.pop("sent")
        return {
            "mode": mode,
            "bots": args.bots,
            "store": args.store,
            "services": len(services) if mode == "service" else 0,
            **result,
            "batch_sizes": batch_sizes(metrics),
            "peak_rss_mb": {name: child.maxrss_mb for name, child in children.items()},
            "reconcile": reconcile(await read_logged(db), sent, hash_secret),
        }


def spread_guilds(fake: FakeDiscord, count: int, shards: int) -> list:
    """`count` guilds (rounded up to a multiple of `shards`), as many on every shard."""
    per_shard = -(-count // shards)
    by_shard: dict[int, list] = {shard: [] for shard in range(shards)}
    while min(len(g) for g in by_shard.values()) < per_shard:
        guild = fake.add_guild(f"guild {len(fake.guilds)}")
        shard = (guild.id >> 22) % shards  # Discord's rule
        if len(by_shard[shard]) < per_shard:
            by_shard[shard].append(guild)
        else:
            del fake.guilds[guild.id]
    return [guild for guilds in by_shard.values() for guild in guilds]


async def drive(fake: FakeDiscord, children: dict[str, Child], guilds: list,
                args: argparse.Namespace, names: list[str], reviews: list[str]) -> dict:
    """Warm up, then let the users loose for args.seconds; measure while they are."""
    while sum(s.identified and not s.ws.closed for s in fake.sessions) < args.bots:
        for child in children.values():
            child.check_alive()
        await asyncio.sleep(0.2)
    settlements = Settlements(fake)
    watcher = asyncio.create_task(settlements.run())
    crowd = Crowd(fake, settlements, names, reviews, args.think_s)
    actors = [fake.member(guilds[i % len(guilds)], f"user{i}") for i in range(args.users)]
    try:
        for actor in actors[:10]:  # first batches, page cache, connection pools
            await crowd.ask(actor, "origin", names[0])
            await crowd.ask(actor, "sentiment", reviews[0][:500])
        loop = asyncio.get_running_loop()
        before = {name: cpu_seconds(c.pid) for name, c in children.items()}
        before.update(harness=cpu_seconds(), machine=machine_busy_seconds())
        started = loop.time()
        until = started + args.seconds
        killer = asyncio.create_task(kill_and_restart(children, before, args)) \
            if args.kill_after is not None else None
        await asyncio.gather(*(crowd.user(actor, until) for actor in actors))
        finished = loop.time()
        killed = await killer if killer is not None else None
        after = {name: cpu_seconds(c.pid) for name, c in children.items()}
        after.update(harness=cpu_seconds(), machine=machine_busy_seconds())
        rss = {name: rss_mb(c.pid) for name, c in children.items()}
    finally:
        watcher.cancel()
    wall = finished - started
    used = {k: after[k] - before[k] for k in after}
    used["others"] = max(0.0, used.pop("machine") - sum(used.values()))
    used["bot"] = sum(used.pop(f"bot{i}") for i in range(args.bots))
    if services := [k for k in used if k.startswith("service")]:
        used["service"] = sum(used.pop(k) for k in services)
    stats = latencies(crowd.sent, (started, until))
    return {
        "users": args.users,
        "think_s": args.think_s,
        **stats,
        "wall_s": round(wall, 2),
        "interactions_per_s": round(stats["acknowledged"] / wall, 1),
        "cpu_share": {k: round(v / wall, 2) for k, v in used.items()},
        "rss_at_end_mb": rss,
        "killed": killed,
        "undelivered": crowd.undelivered,
        "sent": crowd.sent,
    }


async def kill_and_restart(children: dict[str, Child], before: dict[str, float],
                           args: argparse.Namespace) -> dict:
    """SIGKILL the last bot process args.kill_after s into the load, start it again at once,
    and wait for its shard to connect; its CPU so far stays counted."""
    await asyncio.sleep(args.kill_after)
    name = f"bot{args.bots - 1}"
    old = children[name]
    used = cpu_seconds(old.pid) - before[name]
    old.proc.send_signal(signal.SIGKILL)
    await asyncio.to_thread(old.proc.wait)
    killed_at = time.monotonic()
    children[name] = Child(old.name, old.argv, old.env, old.log)
    before[name] = -used  # the new process counts from 0, plus what the old one used
    return {"process": name, "at_s": args.kill_after, "exit": old.proc.returncode,
            "restarted_after_s": round(time.monotonic() - killed_at, 3)}


HEADER = (f"{'mode':<17} {'bots':>4} {'users':>5} {'inter/s':>8} {'min 5s':>7} {'p50 ms':>7} "
          f"{'p99 ms':>7} {'max ms':>7} {'late':>5} {'batch o/s':>10} "
          f"{'CPU bot/svc/harn/other':>23} {'RSS MB now(peak) bot/svc':>25}")


def print_row(row: dict) -> None:
    batches = row["batch_sizes"]
    batch = "/".join(f"{batches.get(t, {}).get('mean_batch', 0):.1f}"
                     for t in TASKS)
    cpu, peak, end = row["cpu_share"], row["peak_rss_mb"], row["rss_at_end_mb"]
    cpus = "/".join(f"{cpu[k]:.2f}" if k in cpu else "-"
                    for k in ("bot", "service", "harness", "others"))
    rsss = "/".join(
        f"{max(v for k, v in end.items() if k.startswith(who)):.0f}"
        f"({max(v or 0 for k, v in peak.items() if k.startswith(who)):.0f})"
        if who in "".join(end) else "-" for who in ("bot", "service"))
    lowest = min(row["per_5s_rate"], default=0.0)
    mode = row["mode"] + ("/pg" if row.get("store") == "postgres" else "") + (
        f"/{row['services']}svc" if row.get("services", 0) > 1 else "")
    print(f"{mode:<17} {row['bots']:>4} {row['users']:>5} {row['interactions_per_s']:>8.1f} "
          f"{lowest:>7.1f} {row['ack_p50_ms']:>7.1f} {row['ack_p99_ms']:>7.1f} "
          f"{row['ack_max_ms']:>7.1f} {row['late_acks'] + row['unacknowledged']:>5} "
          f"{batch:>10} {cpus:>23} {rsss:>25}", flush=True)
    r = row["reconcile"]
    print(f"  {row['interactions']} interactions {row['by_kind']}; db {r['integrity_check']}: "
          f"{r['prediction_rows']} predictions for {r['answered_commands']} answers "
          f"(lost {r['predictions_lost']}, extra {r['predictions_extra']}, duplicated "
          f"{r['predictions_duplicated']}, not verbatim {r['predictions_not_verbatim']}), "
          f"{r['vote_rows']} votes for {r['acknowledged_votes']} acknowledged (lost "
          f"{r['votes_lost']}, extra {r['votes_extra']}, wrong label {r['votes_wrong_label']}); "
          f"{r['error_replies']} error replies, {r['answered_without_log']} unlogged answers"
          + (f"; killed {row['killed']['process']} at {row['killed']['at_s']:g} s, "
             f"{row['undelivered']} actions undelivered while its shard was down"
             if row.get("killed") else ""),
          flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modes", type=lambda s: tuple(s.split(",")), default=MODES,
                        help="in-process, service or both (default both)")
    parser.add_argument("--seconds", type=float, default=60.0, help="load per mode (default 60)")
    parser.add_argument("--users", type=int, default=250, help="simulated users (default 250)")
    parser.add_argument("--think-s", type=float, default=1.0,
                        help="mean pause between a user's actions (default 1 s)")
    parser.add_argument("--guilds", type=int, default=6)
    parser.add_argument("--cooldown-rate", type=int, default=0,
                        help="SEQBOT_COOLDOWN_RATE for the bot (default 0: no cooldown)")
    parser.add_argument("--bots", type=int, default=1,
                        help="bot processes, one shard each (SEQBOT_SHARD_COUNT/_IDS); default 1")
    parser.add_argument("--services", type=int, default=1,
                        help="service mode: inference services to start, all in INFERENCE_URL")
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite",
                        help="a SQLite file, or a database in a throwaway PostgreSQL cluster")
    parser.add_argument("--kill-after", type=float,
                        help="SIGKILL the last bot process this many seconds into the load "
                             "and restart it")
    parser.add_argument("--inference-url",
                        help="service mode: use this running service (its INFERENCE_SECRET "
                             "from .env or the environment) instead of starting one")
    parser.add_argument("--model-dir", type=Path,
                        help="promoted models; default: the shipped weights")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--data", type=Path, default=DATA,
                        help="folder with the archives (or an archive or folder of one data set)")
    parser.add_argument("--reviews", type=int, default=1000, help="IMDB test reviews to use")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/load_bot.json")
    args = parser.parse_args(argv)
    unknown = set(args.modes) - set(MODES)
    if unknown:
        parser.error(f"unknown mode(s) {sorted(unknown)}; choose from {MODES}")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    rng = random.Random(0)
    names = load_names(locate("names", args.data), 5000, rng)
    reviews = load_reviews(locate("imdb", args.data), args.reviews, rng)
    print(f"{args.users} users, mean pause {args.think_s:g} s, {args.seconds:g} s per mode; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", flush=True)
    print(HEADER, flush=True)
    rows = []
    with contextlib.ExitStack() as stack:
        cluster = stack.enter_context(throwaway_cluster()) if args.store == "postgres" else None
        for mode in args.modes:
            row = asyncio.run(run_mode(mode, args, names, reviews, cluster))
            print_row(row)
            rows.append(row)
    report = {
        "meta": {
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            "load_average_1m_at_end": os.getloadavg()[0],
            "seconds": args.seconds,
            "users": args.users,
            "think_s": args.think_s,
            "bots": args.bots,
            "store": args.store,
            "services": args.services,
            "kill_after_s": args.kill_after,
            "cooldown_rate": args.cooldown_rate,
            "device": args.device,
            "command": " ".join(["python -m benchmarks.load_bot", *(argv or sys.argv[1:])]),
        },
        "results": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
