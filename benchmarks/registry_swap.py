"""Seconds from a promotion's commit to another process's worker serving it.

A publisher store registers versions of the shipped origin model (its bytes, a new version
id each) and promotes them; a follower (another store on the same database, db.model_sync
into an empty model folder, reloading an in-process worker) swaps each in. On SQLite the
follower learns of a promotion by polling every `--interval` seconds; on PostgreSQL from the
announcement (NOTIFY), with the same poll as fallback. Promotions are spaced at random so
that the poll's phase varies.

    python -m benchmarks.registry_swap [--promotions 8] [--interval 5]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import hashlib
import random
import tempfile
import time
from pathlib import Path

from benchmarks.pgcluster import find_bindir, throwaway_cluster
from benchmarks.stats import percentile
from db import FeedbackStore, Hasher
from db.model_sync import ModelSync
from inference.checkpoint import load_checkpoint, save_checkpoint
from inference.registry import shipped_checkpoint
from inference.worker import InferenceWorker

SECRET = "registry-benchmark-secret-0123456789"


async def swaps(db: str, folder: Path, promotions: int, interval: float) -> list[float]:
    shipped = load_checkpoint(shipped_checkpoint("origin"), "origin")
    hasher, seconds = Hasher(SECRET), []
    async with await FeedbackStore.open(db, hasher) as publisher, \
            await FeedbackStore.open(db, hasher) as follower, \
            InferenceWorker(model_dir=folder / "models", tasks=["origin"], device="cpu",
                            threads=1) as worker:
        sync = ModelSync(follower, folder / "models", interval_s=interval,
                         on_change=lambda task, _: worker.reload(task))
        await sync.start()
        try:
            for i in range(promotions):
                version = f"origin-20260101-{i:06d}"
                path = folder / f"{version}.safetensors"
                save_checkpoint(dataclasses.replace(shipped, version=version), path)
                data = path.read_bytes()
                await publisher.add_model_version("origin", version, path,
                                                  hashlib.sha256(data).hexdigest(), {},
                                                  weights=data)
                await asyncio.sleep(random.uniform(0, interval))
                start = time.perf_counter()
                await publisher.set_model_status("origin", version, "production")
                while worker.versions()["origin"] != version:
                    await asyncio.sleep(0.001)
                seconds.append(time.perf_counter() - start)
        finally:
            await sync.close()
    return seconds


def report(name: str, seconds: list[float]) -> None:
    seconds = sorted(seconds)
    print(f"{name}: min {seconds[0]:.3f} s, p50 {percentile(seconds, 0.5):.3f} s, "
          f"max {seconds[-1]:.3f} s over {len(seconds)} promotions")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--promotions", type=int, default=8)
    parser.add_argument("--interval", type=float, default=5.0,
                        help="the follower's poll (SEQBOT_MODEL_SYNC_S)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        report(f"SQLite, poll every {args.interval:g} s", asyncio.run(
            swaps(str(root / "seqbot.db"), root / "sqlite", args.promotions, args.interval)))
        if find_bindir() is None:
            print("PostgreSQL skipped: no PostgreSQL binaries")
            return
        with throwaway_cluster() as cluster:
            cluster.psql("CREATE DATABASE registry")
            report("PostgreSQL, announced", asyncio.run(
                swaps(cluster.url("registry"), root / "postgres", args.promotions,
                      args.interval)))


if __name__ == "__main__":
    main()
