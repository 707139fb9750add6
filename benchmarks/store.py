"""The feedback store's write path, on SQLite and on PostgreSQL: what the bot's answers and
votes cost the database.

For each backend: `log_prediction` then `record_vote` (with its tally) one at a time (latency
p50/p99, writes/s) and from many concurrent callers (writes/s), as the bot's handlers call
them; then one /forget-me in a database of `--rows` answers (on PostgreSQL it rewrites the
touched tables). PostgreSQL is a throwaway cluster from this machine's binaries
(benchmarks.pgcluster) with default durability (fsync on), on the same disk as the SQLite
file, measured twice: with synchronous_commit on (the default: a commit waits for its WAL
flush) and off (set per connection by `?synchronous_commit=off` in the URL: a commit no
longer waits, as SQLite's WAL with synchronous=NORMAL does not). Wall-clock figures depend
on what else runs on the machine; the client CPU time per write does much less. Only the
store's public API is used, so the SQLite half also runs against an older checkout
(PYTHONPATH=<checkout> python benchmarks/store.py --backends sqlite) for a before/after
comparison.

    python -m benchmarks.store                      # both backends, results to
                                                    # benchmarks/results/store.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from benchmarks.report import write_report
from db import FeedbackStore, Hasher

ROOT = Path(__file__).resolve().parents[1]
HASHER = Hasher("benchmark-secret")
TOP = [("Irish", 0.61), ("English", 0.22), ("Scottish", 0.09), ("Welsh", 0.05)]


async def log(store: FeedbackStore, i: int) -> int:
    return await store.log_prediction("origin", f"O'Brien {i}", f"o'brien {i}", "origin-v1",
                                      "Irish", TOP, 1, 2, 10_000 + i)


async def one_at_a_time(store: FeedbackStore, n: int) -> dict:
    logs, votes = [], []
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(n):
        t0 = time.perf_counter()
        pred = await log(store, i)
        t1 = time.perf_counter()
        await store.record_vote(pred, 20_000 + i, "confirmed")
        t2 = time.perf_counter()
        logs.append(t1 - t0)
        votes.append(t2 - t1)
    elapsed = time.perf_counter() - started
    return {"writes": 2 * n, "writes_per_s": round(2 * n / elapsed, 1),
            "cpu_us_per_write": _cpu_us(cpu, 2 * n),
            "log_prediction_ms": _ms(logs), "record_vote_ms": _ms(votes)}


async def concurrent(store: FeedbackStore, n: int, callers: int) -> dict:
    async def caller(c: int) -> None:
        for i in range(c, n, callers):
            pred = await log(store, 100_000 + i)
            await store.record_vote(pred, 30_000 + i, "Welsh")

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(caller(c) for c in range(callers)))
    elapsed = time.perf_counter() - started
    return {"callers": callers, "writes": 2 * n, "writes_per_s": round(2 * n / elapsed, 1),
            "cpu_us_per_write": _cpu_us(cpu, 2 * n)}


async def forget_cost(store: FeedbackStore, rows: int) -> dict:
    """One user's erasure in a database holding `rows` answers of others (plus theirs)."""
    batch = 500
    for start in range(0, rows, batch):
        await asyncio.gather(*(log(store, 1_000_000 + i)
                               for i in range(start, min(rows, start + batch))))
    mine = await store.log_prediction("origin", "Mine", "mine", "origin-v1", "Irish", TOP,
                                      1, 2, 42)
    await store.record_vote(mine, 43, "confirmed")
    started = time.perf_counter()
    counts = await store.forget_user(42)
    return {"rows": rows, "erased": counts, "seconds": round(time.perf_counter() - started, 3)}


async def measure(location: str, args: argparse.Namespace) -> dict:
    async with await FeedbackStore.open(location, HASHER) as store:
        await one_at_a_time(store, 50)  # warm-up: connections, prepared statements, caches
        sequential = await one_at_a_time(store, args.n)
        parallel = await concurrent(store, args.n, args.callers)
        forget = await forget_cost(store, args.rows)
    return {"one_at_a_time": sequential, "concurrent": parallel, "forget_me": forget}


async def run(args: argparse.Namespace) -> dict:
    results = {}
    with tempfile.TemporaryDirectory(prefix="seqbot-store-bench-") as folder:
        if "sqlite" in args.backends:
            results["sqlite"] = await measure(str(Path(folder) / "seqbot.db"), args)
            print("sqlite", json.dumps(results["sqlite"]), flush=True)
    if "postgresql" in args.backends:
        from benchmarks.pgcluster import throwaway_cluster

        with throwaway_cluster(durable=True) as cluster:
            for key, query in (("postgresql", ""),
                               ("postgresql_synchronous_commit_off",
                                "?synchronous_commit=off")):
                name = cluster.create_database()
                results[key] = await measure(cluster.url(name) + query, args)
                print(key, json.dumps(results[key]), flush=True)
    return results


def _cpu_us(since: float, writes: int) -> float:
    """CPU time of this process (event loop and SQLite's thread; not the PostgreSQL server)
    per write: unlike wall time, it does not grow with other processes' load."""
    return round(1e6 * (time.process_time() - since) / writes, 1)


def _ms(seconds: list[float]) -> dict:
    ordered = sorted(seconds)
    return {"p50": round(1000 * statistics.median(ordered), 3),
            "p99": round(1000 * ordered[int(0.99 * (len(ordered) - 1))], 3)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", type=lambda s: tuple(s.split(",")),
                        default=("sqlite", "postgresql"))
    parser.add_argument("-n", type=int, default=1000, help="answers (each with a vote) per run")
    parser.add_argument("--callers", type=int, default=128)
    parser.add_argument("--rows", type=int, default=10_000,
                        help="answers in the database /forget-me is timed on")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/store.json")
    args = parser.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", flush=True)
    results = asyncio.run(run(args))
    report = {"meta": {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                       "python": platform.python_version(), "cpu_count": os.cpu_count(),
                       "load_average_1m_at_end": os.getloadavg()[0],
                       "command": " ".join(["python -m benchmarks.store",
                                            *(argv or sys.argv[1:])])},
              "results": results}
    write_report(args.out, report)


if __name__ == "__main__":
    main()
