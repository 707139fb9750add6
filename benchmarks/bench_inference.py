"""Latency and throughput of seqbot's inference, batched versus one pass per request.

For each task, three ways of serving are driven by closed-loop clients (each sends its next
request when the previous one is answered) at several concurrency levels:

  naive    in-process worker with max_batch=1: one forward pass per request
  batched  in-process worker with dynamic batching
  http     the batched worker behind the HTTP service on loopback, one input per request
           (server and load generator share this process and its event loop, and the
           client's default pool of 100 connections caps concurrency at 100)

Inputs are real: surnames from names.zip and IMDB test reviews streamed from the archive.
Prints a table and writes JSON (default benchmarks/results/inference.json).

    python -m benchmarks.bench_inference                      # shipped or promoted models
    python -m benchmarks.bench_inference --checkpoint-dir DIR # DIR/{origin,sentiment}.safetensors
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import random
import tarfile
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

import torch

from benchmarks.model_options import add_model_options, explicit_checkpoints
from benchmarks.stats import percentile
from inference.http_client import HttpInferenceClient
from inference.results import Prediction
from inference.server import InferenceServer
from inference.settings import InferenceSettings
from inference.tasks import TASKS, task_spec
from inference.telemetry import sample
from inference.worker import InferenceWorker
from training.data import iter_imdb, iter_names, locate

ROOT = Path(__file__).resolve().parents[1]

DATA = ROOT.parent / "shared" / "data"
MODES = ("naive", "batched", "http")

Call = Callable[[str, str], Awaitable[Prediction]]


def load_names(source: Path, limit: int, rng: random.Random) -> list[str]:
    """`limit` surnames of names.zip or its folder (training.data.locate), shuffled."""
    names = [name for name, _ in iter_names(source)]
    rng.shuffle(names)
    return names[:limit]


def load_reviews(source: Path, limit: int, rng: random.Random) -> list[str]:
    """Half negative, half positive test reviews, shuffled; reading stops once there are
    enough."""
    wanted = {"neg": limit // 2, "pos": limit - limit // 2}
    found: dict[str, list[str]] = {"neg": [], "pos": []}
    for kind, text in imdb_test_reviews(source):
        if len(found[kind]) < wanted[kind]:
            found[kind].append(text)
            if all(len(found[k]) >= wanted[k] for k in found):
                break
    reviews = found["neg"] + found["pos"]
    rng.shuffle(reviews)
    return reviews


def imdb_test_reviews(source: Path) -> Iterator[tuple[str, str]]:
    """("neg" or "pos", text) of the IMDB test reviews: an archive is streamed in the order
    it stores them (never unpacked, nor read past what is needed), a folder as training
    reads it (training.data.iter_imdb)."""
    if source.is_dir():
        for text, label in iter_imdb(source, "test"):
            yield ("neg", "pos")[label], text
        return
    with tarfile.open(source, "r|*") as archive:
        for member in archive:
            parts = member.name.split("/")
            if member.isfile() and len(parts) == 4 and parts[1] == "test" and (
                    parts[2] in ("neg", "pos")):
                yield parts[2], archive.extractfile(member).read().decode("utf-8")


async def drive(call: Call, task: str, inputs: list[str], concurrency: int,
                seconds: float) -> dict:
    """Closed loop: `concurrency` clients, each waiting for its answer before the next."""
    for raw in inputs[:8]:  # warm up allocator and caches
        await call(task, raw)
    source = itertools.cycle(inputs)
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        while time.perf_counter() < deadline:
            raw = next(source)
            started = time.perf_counter()
            await call(task, raw)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "throughput_rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(1000 * percentile(latencies, 0.50), 2),
        "p99_ms": round(1000 * percentile(latencies, 0.99), 2),
    }


def forward_passes(worker: InferenceWorker, task: str) -> tuple[float, float]:
    """(forward passes, requests scored) so far, from the worker's batch-size histogram."""
    return (sample(worker.registry, "seqbot_inference_batch_size_count", task=task),
            sample(worker.registry, "seqbot_inference_batch_size_sum", task=task))


async def run_mode(mode: str, worker: InferenceWorker, server: InferenceServer | None,
                   inputs: dict[str, list[str]], args: argparse.Namespace) -> list[dict]:
    client = HttpInferenceClient(server.url, timeout_s=60) if server else None
    call: Call = client.predict_one if client else worker.predict_one  # type: ignore[assignment]
    rows = []
    try:
        for task in args.tasks:
            for concurrency in args.concurrency:
                passes, scored = forward_passes(worker, task)
                row = await drive(call, task, inputs[task], concurrency, args.seconds)
                passes_after, scored_after = forward_passes(worker, task)
                mean_batch = (scored_after - scored) / max(1, passes_after - passes)
                row = {"task": task, "mode": mode, "concurrency": concurrency, **row,
                       "mean_batch": round(mean_batch, 1)}
                print_row(row)
                rows.append(row)
    finally:
        if client:
            await client.close()
    return rows


HEADER = (f"{'task':<10} {'mode':<8} {'conc':>5} {'requests':>9} {'req/s':>9} "
          f"{'p50 ms':>8} {'p99 ms':>9} {'batch':>6}")


def print_row(row: dict) -> None:
    print(f"{row['task']:<10} {row['mode']:<8} {row['concurrency']:>5} {row['requests']:>9} "
          f"{row['throughput_rps']:>9.1f} {row['p50_ms']:>8.2f} {row['p99_ms']:>9.2f} "
          f"{row['mean_batch']:>6.1f}", flush=True)


async def bench(args: argparse.Namespace, inputs: dict[str, list[str]]) -> dict:
    options = {"tasks": args.tasks, "checkpoints": explicit_checkpoints(args, args.tasks),
               "model_dir": args.model_dir, "device": args.device, "threads": args.threads,
               "max_queue": 4096}
    rows: list[dict] = []
    print(HEADER)
    for mode in args.modes:
        batching = {"max_batch": 1} if mode == "naive" else {
            "max_batch": args.max_batch, "max_wait_ms": args.max_wait_ms}
        async with InferenceWorker(**options, **batching) as worker:
            versions = worker.versions()
            server = InferenceServer(worker, port=0) if mode == "http" else None
            if server:
                await server.start()
            try:
                rows += await run_mode(mode, worker, server, inputs, args)
            finally:
                if server:
                    await server.close()
    return {
        "meta": {
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "models": versions,
            "device": str(worker.device),
            "torch": torch.__version__,
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            "threads": torch.get_num_threads() if args.threads is None else args.threads,
            "max_batch": args.max_batch,
            "max_wait_ms": args.max_wait_ms,
            "seconds_per_cell": args.seconds,
            "inputs": {t: len(v) for t, v in inputs.items()},
        },
        "results": rows,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_model_options(parser)
    parser.add_argument("--data", type=Path, default=DATA,
                        help="folder with the archives (or an archive or folder of one data set)")
    parser.add_argument("--reviews", type=int, default=2000, help="IMDB test reviews to read")
    parser.add_argument("--tasks", type=lambda s: tuple(s.split(",")), default=TASKS)
    parser.add_argument("--modes", type=lambda s: tuple(s.split(",")), default=MODES)
    parser.add_argument("--concurrency", type=lambda s: [int(c) for c in s.split(",")],
                        default=[1, 16, 256])
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each cell")
    parser.add_argument("--device", default=InferenceSettings.load().device)
    parser.add_argument("--threads", type=int, help="CPU intra-op threads (default 1)")
    parser.add_argument("--max-batch", type=int, default=64)
    parser.add_argument("--max-wait-ms", type=float, default=2.0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/inference.json")
    args = parser.parse_args(argv)
    if unknown := set(args.modes) - set(MODES) or set(args.tasks) - set(TASKS):
        parser.error(f"unknown mode or task: {sorted(unknown)}")
    return args


# Each task's inputs, by the data set its spec names.
INPUTS: dict[str, Callable[[argparse.Namespace, random.Random], list[str]]] = {
    "names": lambda args, rng: load_names(locate("names", args.data), 5000, rng),
    "imdb": lambda args, rng: load_reviews(locate("imdb", args.data), args.reviews, rng),
}


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    rng = random.Random(0)
    inputs = {task: INPUTS[task_spec(task).dataset](args, rng) for task in args.tasks}
    report = asyncio.run(bench(args, inputs))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"models {report['meta']['models']} on {report['meta']['device']}; "
          f"wrote {args.out}")


if __name__ == "__main__":
    main()
