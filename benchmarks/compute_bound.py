"""The predict CLI's batched origin throughput as a share of this CPU's fp32 compute bound.

In one run: the peak single-thread fp32 GEMM rate (torch.mm on square matrices, the best
of several sizes), the origin model's FLOPs per name (its matrix products at each name's
real length: what a perfect implementation must compute), and names/s through
`python -m inference predict origin --file F --threads 1` in fp32 (`--no-int8`) and as
served by default (int8 where the task allows). The bound is peak / FLOPs per name; int8
counts against the fp32 bound on purpose (the goal is end-to-end names/s on this CPU).
The CLI's start-up (imports, loading the model) is taken out by timing a one-line file too.
Times are CPU seconds (the GEMM loop's thread time; the CLI process's user + system time),
so the share holds on a machine shared with other jobs; wall-clock rates are reported too.

    python -m benchmarks.compute_bound --data ../shared/data

Writes benchmarks/results/compute_bound.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import torch

from benchmarks.bench_inference import load_names
from inference.checkpoint import load_checkpoint
from inference.models import ModelConfig, ModelSpec
from inference.predictor import Predictor, Prepared
from inference.registry import resolve_checkpoint
from training.data import locate

ROOT = Path(__file__).resolve().parents[1]
GATES = {"gru": 3, "lstm": 4}


def gemm_peak(seconds: float = 2.0, sizes: tuple[int, ...] = (256, 512, 1024),
              bursts: int = 5) -> float:
    """The best fp32 FLOP/s of torch.mm on one thread, per CPU second: over `sizes`, each in
    short bursts, so that a moment the core was not shared shows (a peak is a best case)."""
    best = 0.0
    for n in sizes:
        a, b = torch.randn(n, n), torch.randn(n, n)
        torch.mm(a, b)
        for _ in range(bursts):
            runs, started = 0, time.thread_time()
            while (elapsed := time.thread_time() - started) < seconds / len(sizes) / bursts \
                    or runs < 3:
                torch.mm(a, b)
                runs += 1
            best = max(best, 2 * n ** 3 * runs / elapsed)
    return best


def flops_per_input(spec: ModelSpec, length: int) -> int:
    """Multiply-adds x 2 of the RNN layers (both directions) and the head for one input of
    `length` units; the elementwise gate arithmetic (a few % more) is left out."""
    configs = (spec,) if isinstance(spec, ModelConfig) else spec
    total = 0
    for c in configs:
        sizes = [c.emb_dim] + [2 * c.hidden] * (c.layers - 1)
        per_step = sum(2 * GATES[c.cell] * c.hidden * (s + c.hidden) for s in sizes)
        total += 2 * length * per_step + 2 * 6 * c.hidden * c.n_classes
    return total


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cli_seconds(path: Path, checkpoint: Path, *flags: str) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one `python -m inference predict origin --file`."""
    env = {**os.environ, "SEQBOT_DEVICE": "cpu"}
    cpu, wall = children_cpu(), time.perf_counter()
    subprocess.run([sys.executable, "-m", "inference", "predict", "origin", "--file", str(path),
                    "--threads", "1", "--checkpoint", str(checkpoint), *flags],
                   check=True, env=env, stdout=subprocess.DEVNULL, cwd=ROOT)
    return children_cpu() - cpu, time.perf_counter() - wall


def cli_rate(names: list[str], checkpoint: Path, flags: tuple[str, ...], rounds: int) -> dict:
    """Names per CPU second of the CLI without its start-up: (N - 1) / (t(N) - t(1)); the
    best of `rounds` runs each."""
    with tempfile.TemporaryDirectory() as tmp:
        many, one = Path(tmp) / "many.txt", Path(tmp) / "one.txt"
        many.write_text("\n".join(names) + "\n", encoding="utf-8")
        one.write_text(names[0] + "\n", encoding="utf-8")
        start_up = min(cli_seconds(one, checkpoint, *flags) for _ in range(rounds))
        total = min(cli_seconds(many, checkpoint, *flags) for _ in range(rounds))
    return {"flags": " ".join(flags), "cpu_seconds": round(total[0], 3),
            "start_up_cpu_seconds": round(start_up[0], 3),
            "names_per_s": round((len(names) - 1) / (total[0] - start_up[0]), 1),
            "names_per_s_with_start_up": round(len(names) / total[0], 1),
            "names_per_s_wall": round((len(names) - 1) / (total[1] - start_up[1]), 1)}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="folder of the data sets (default: $SEQBOT_DATA)")
    parser.add_argument("--checkpoint", type=Path, help="origin checkpoint (default: served)")
    parser.add_argument("--model-dir", type=Path, help="promoted models (default: shipped)")
    parser.add_argument("--names", type=int, default=40_000, help="names in the file")
    parser.add_argument("--rounds", type=int, default=2, help="CLI runs each; the best counts")
    parser.add_argument("--out", type=Path,
                        default=ROOT / "benchmarks/results/compute_bound.json")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(1)
    checkpoint = args.checkpoint or resolve_checkpoint("origin", args.model_dir)
    ckpt = load_checkpoint(checkpoint, "origin")
    pool = load_names(locate("names", args.data), 10 ** 6, random.Random(0))
    names = (pool * (args.names // len(pool) + 1))[: args.names]
    prepared = [p for p in Predictor(ckpt, "cpu").prepare_many(names) if isinstance(p, Prepared)]
    flops = sum(flops_per_input(ckpt.config, len(p.ids)) for p in prepared) / len(prepared)
    rows = []
    # fp32, as served by default, and as served with the service's batch size (64)
    for flags in (("--no-int8",), (), ("--max-batch", "64"), ("--no-int8", "--max-batch", "64")):
        row = cli_rate(names, checkpoint, flags, args.rounds)
        rows.append(row)
    peak = max(gemm_peak() for _ in range(2))  # the CLI runs' neighbours, twice
    bound = peak / flops
    print(f"peak fp32 GEMM, 1 thread: {peak / 1e9:.1f} GFLOP/s; origin {ckpt.version}: "
          f"{flops / 1e6:.2f} MFLOP per name -> bound {bound:,.0f} names/s")
    for row in rows:
        row["share_of_fp32_bound"] = round(row["names_per_s"] / bound, 3)
        print(f"predict {row['flags'] or '(default)':<26} {row['names_per_s']:>7,.0f} names/s "
              f"= {row['share_of_fp32_bound']:.2f} of the bound "
              f"({row['names_per_s_with_start_up']:,.0f}/s with start-up, "
              f"{row['names_per_s_wall']:,.0f}/s wall)")
    report = {"meta": {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                       "torch": torch.__version__, "python": platform.python_version(),
                       "cpu": platform.processor() or platform.machine(),
                       "model": ckpt.version, "names": len(names),
                       "mean_length": round(sum(len(p.ids) for p in prepared) / len(prepared), 2)},
              "peak_gflops_1_thread": round(peak / 1e9, 2),
              "mflop_per_name": round(flops / 1e6, 3),
              "bound_names_per_s": round(bound, 1), "predict": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
