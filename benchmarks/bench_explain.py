"""What a "Why?" explanation costs: one input at a time through the in-process worker.

The bot's path exactly: InferenceWorker.explain encodes the input, then scores it and all its
occluded variants as one job on the model thread. Inputs are real: clean-protocol test
surnames, IMDB test reviews cut to exactly 200 words (the target: under ~1 s), and whole
reviews (at most 400 words are read). Prints a table and writes JSON
(default benchmarks/results/explain_cost.json).

With --probe, instead: how long a prediction waits while the largest explain request the
HTTP service accepts runs (eight IMDB test reviews cut to 2,000 characters: MAX_EXPLAIN_UNITS
words), measured by a "Nakamura" probe sent to /v1/origin every 100 ms over loopback; and
what the service answers to the request that once stalled it (16 texts of 4,000
characters). Writes benchmarks/results/explain_probe.json.

    python -m benchmarks.bench_explain [--checkpoint-dir DIR] [--names 300] [--reviews 40]
    python -m benchmarks.bench_explain --probe [--checkpoint-dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import time
from datetime import datetime, timezone
from pathlib import Path

import aiohttp
import torch

from benchmarks.model_options import add_model_options, explicit_checkpoints
from benchmarks.stats import percentile
from inference.chat_text import CAPS
from inference.server import MAX_EXPLAIN_INPUTS, MAX_EXPLAIN_UNITS, InferenceServer
from inference.settings import InferenceSettings
from inference.tasks import SENTIMENT
from inference.worker import InferenceWorker
from training.splits import test_set

ROOT = Path(__file__).resolve().parents[1]

DATA = ROOT.parent / "shared" / "data"
TARGET_MS = {"names": 100, "200-word reviews": 1000}


def cut_to_words(review: str, words: int) -> str | None:
    """The review's first `words` units as new sentiment models read them, or None if it has
    fewer (lower case: capital marks would read back as words)."""
    pipeline = SENTIMENT.pipeline()
    tokens = [t for t in pipeline.tokenize(pipeline.normalize(review)) if t != CAPS]
    return " ".join(tokens[:words]) if len(tokens) >= words else None


async def measure(worker: InferenceWorker, task: str, inputs: list[str]) -> dict:
    """Explain each input alone (after two warm-up runs) and summarise the latencies."""
    for raw in inputs[:2]:
        await worker.explain_one(task, raw)
    latencies, units, parts = [], [], []
    for raw in inputs:
        started = time.perf_counter()
        explanation = await worker.explain_one(task, raw)
        latencies.append(1000 * (time.perf_counter() - started))
        units.append(len(explanation.units))
        parts.append(len(explanation.parts))
    latencies.sort()
    return {"n": len(inputs), "mean_units": round(sum(units) / len(units), 1),
            "mean_variants": round(sum(parts) / len(parts) + 1, 1),
            "p50_ms": round(percentile(latencies, 0.5), 1),
            "p95_ms": round(percentile(latencies, 0.95), 1),
            "max_ms": round(latencies[-1], 1)}


async def bench(args: argparse.Namespace, inputs: dict[str, tuple[str, list[str]]]) -> dict:
    rows = []
    print(f"{'inputs':<18} {'n':>4} {'units':>6} {'variants':>9} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'max ms':>8} {'target':>7}")
    async with InferenceWorker(checkpoints=explicit_checkpoints(args), model_dir=args.model_dir,
                               device=args.device, threads=args.threads) as worker:
        for kind, (task, raws) in inputs.items():
            row = {"inputs": kind, "task": task, **await measure(worker, task, raws),
                   "target_ms": TARGET_MS.get(kind)}
            target = "" if row["target_ms"] is None else f"<{row['target_ms']}"
            print(f"{kind:<18} {row['n']:>4} {row['mean_units']:>6} {row['mean_variants']:>9} "
                  f"{row['p50_ms']:>8} {row['p95_ms']:>8} {row['max_ms']:>8} {target:>7}",
                  flush=True)
            rows.append(row)
        versions, device = worker.versions(), str(worker.device)
    return {"meta": {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                     "models": versions, "device": device, "torch": torch.__version__,
                     "python": platform.python_version(), "cpu_count": os.cpu_count(),
                     "threads": args.threads or 1},
            "results": rows}


async def probe_wait(args: argparse.Namespace, texts: list[str], attack: list[str]) -> dict:
    """Probe /v1/origin every 100 ms while one explain request of `texts` runs."""
    worker = InferenceWorker(checkpoints=explicit_checkpoints(args), model_dir=args.model_dir,
                             device=args.device, threads=args.threads,
                             max_explanations=MAX_EXPLAIN_INPUTS)
    async with worker, aiohttp.ClientSession() as http:
        server = InferenceServer(worker, port=0)
        await server.start()
        try:
            async def post(path: str, inputs: list[str]) -> tuple[int, dict]:
                async with http.post(server.url + path, json={"inputs": inputs}) as response:
                    return response.status, await response.json()

            attack_status, attack_answer = await post("/v1/explain/sentiment", attack)
            await post("/v1/origin", ["Nakamura"])  # warm
            started = time.perf_counter()
            explain = asyncio.create_task(post("/v1/explain/sentiment", texts))
            waits = []
            while not explain.done():
                sent = time.perf_counter()
                status, _ = await post("/v1/origin", ["Nakamura"])
                assert status == 200, status
                waits.append(1000 * (time.perf_counter() - sent))
                await asyncio.sleep(0.1)
            status, answer = await explain
            took = time.perf_counter() - started
        finally:
            await server.close()
        versions, device = worker.versions(), str(worker.device)
    assert status == 200, answer
    units = sum(len(r["explanation"]["units"]) for r in answer["results"])
    waits.sort()
    row = {"explain_inputs": len(texts), "chars_each": len(texts[0]), "units": units,
           "max_units": MAX_EXPLAIN_UNITS, "explain_s": round(took, 2), "probes": len(waits),
           "probe_p50_ms": round(percentile(waits, 0.5), 1),
           "probe_p95_ms": round(percentile(waits, 0.95), 1),
           "probe_max_ms": round(waits[-1], 1), "target_ms": 1000,
           "attack": {"inputs": len(attack), "chars_each": len(attack[0]),
                      "status": attack_status, "code": attack_answer.get("code")}}
    print(f"{len(texts)} x {len(texts[0])} chars ({units} words) explained in {took:.1f} s; "
          f"{len(waits)} probes waited p50 {row['probe_p50_ms']} ms, p95 "
          f"{row['probe_p95_ms']} ms, max {row['probe_max_ms']} ms (target < 1,000 ms); "
          f"{len(attack)} x {len(attack[0])} chars: {attack_status} {row['attack']['code']}")
    return {"meta": {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                     "models": versions, "device": device, "torch": torch.__version__,
                     "python": platform.python_version(), "cpu_count": os.cpu_count(),
                     "threads": args.threads or 1, "load_average": os.getloadavg()[0]},
            "results": [row]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="folder with the archives")
    add_model_options(parser)
    parser.add_argument("--names", type=int, default=300, help="test surnames to explain")
    parser.add_argument("--reviews", type=int, default=40, help="reviews of each kind")
    parser.add_argument("--device", default=InferenceSettings.load().device)
    parser.add_argument("--threads", type=int, help="CPU intra-op threads (default 1)")
    parser.add_argument("--probe", action="store_true",
                        help="measure the prediction probe's wait during the largest explain "
                             "request instead")
    parser.add_argument("--out", type=Path, help="default benchmarks/results/explain_cost.json "
                                                 "(--probe: explain_probe.json)")
    args = parser.parse_args(argv)
    name = "explain_probe.json" if args.probe else "explain_cost.json"
    args.out = args.out or ROOT / "benchmarks/results" / name
    rng = random.Random(0)
    if args.probe:
        long = [text for text, _ in test_set("sentiment", args.data) if len(text) >= 4000]
        rng.shuffle(long)
        report = asyncio.run(probe_wait(args, [t[:2000] for t in long[:8]],
                                        [t[:4000] for t in long[:16]]))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.out}")
        return
    names = [name for name, _ in rng.sample(test_set("origin", args.data), args.names)]
    reviews = [text for text, _ in test_set("sentiment", args.data)]
    rng.shuffle(reviews)
    cut = [c for c in (cut_to_words(r, 200) for r in reviews[: 4 * args.reviews]) if c]
    inputs = {"names": ("origin", names),
              "200-word reviews": ("sentiment", cut[: args.reviews]),
              "whole reviews": ("sentiment", reviews[: args.reviews])}
    report = asyncio.run(bench(args, inputs))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"models {report['meta']['models']} on {report['meta']['device']}; wrote {args.out}")


if __name__ == "__main__":
    main()
