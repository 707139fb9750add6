"""int8 against fp32 on the CPU: does a task's model answer the same, and how much faster?

For each task, the served checkpoint (shipped, or --checkpoint-dir's) scores its whole test
set twice on one CPU thread, in the predictor's own batches: as stored (fp32) and with its
RNN and linear layers dynamically quantized (inference.quantize). Reported: top-1 agreement
between the two, test accuracy of each, the largest change of a probability, and names (or
reviews) per second batched and one at a time. A task serves int8 by default
(TaskSpec.int8) only with agreement >= 99.5% and accuracy within 0.2 points.

    python -m benchmarks.int8 --data ../shared/data

Writes benchmarks/results/int8.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from datetime import datetime, timezone
from pathlib import Path

import torch

from benchmarks.model_options import add_model_options, explicit_checkpoints
from inference.checkpoint import load_checkpoint
from inference.predictor import Predictor, Prepared
from inference.quantize import quantize_int8
from inference.registry import resolve_checkpoint
from inference.tasks import TASKS
from training.splits import test_set

ROOT = Path(__file__).resolve().parents[1]
AGREEMENT_BAR = 0.995  # top-1 agreement with fp32 on the test set
ACCURACY_BAR = 0.002  # largest change of test accuracy (0.2 points)


def timed_probabilities(predictor: Predictor, items: list[Prepared]) -> tuple[torch.Tensor,
                                                                               float]:
    started = time.perf_counter()
    probs = predictor.probabilities(items)
    return probs, time.perf_counter() - started


def one_by_one(predictor: Predictor, items: list[Prepared]) -> float:
    """Inputs per second, one forward pass each."""
    started = time.perf_counter()
    for item in items:
        predictor.probabilities([item])
    return len(items) / (time.perf_counter() - started)


def measure(task: str, path: Path, args: argparse.Namespace) -> dict:
    ckpt = load_checkpoint(path, task)
    fp32 = Predictor(ckpt, "cpu")
    int8 = Predictor(ckpt, "cpu")
    int8.model = quantize_int8(int8.model)  # whatever the task's spec says: this decides it
    pairs = test_set(task, args.data)[: args.limit or None]
    prepared = fp32.prepare_many([text for text, _ in pairs])
    kept = [(p, label) for p, label in zip(prepared, pairs, strict=True)
            if isinstance(p, Prepared)]
    items = [p for p, _ in kept]
    gold = torch.tensor([ckpt.labels.index(label) for _, (_, label) in kept])
    fp32.probabilities(items[:64])  # warm up
    int8.probabilities(items[:64])
    p32, t32 = timed_probabilities(fp32, items)
    p8, t8 = timed_probabilities(int8, items)
    top32, top8 = p32.argmax(-1), p8.argmax(-1)
    acc32 = (top32 == gold).float().mean().item()
    acc8 = (top8 == gold).float().mean().item()
    agreement = (top32 == top8).float().mean().item()
    sample = items[: args.single]
    row = {
        "task": task, "version": ckpt.version, "inputs": len(items),
        "agreement": round(agreement, 5), "disagreements": int((top32 != top8).sum()),
        "accuracy_fp32": round(acc32, 5), "accuracy_int8": round(acc8, 5),
        "accuracy_change_points": round(100 * (acc8 - acc32), 3),
        "max_probability_change": round((p32 - p8).abs().max().item(), 4),
        "batched_per_s_fp32": round(len(items) / t32, 1),
        "batched_per_s_int8": round(len(items) / t8, 1),
        "single_per_s_fp32": round(one_by_one(fp32, sample), 1),
        "single_per_s_int8": round(one_by_one(int8, sample), 1),
    }
    row["passes"] = agreement >= AGREEMENT_BAR and abs(acc8 - acc32) <= ACCURACY_BAR
    return row


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_model_options(parser)
    parser.add_argument("--data", help="folder of the data sets (default: $SEQBOT_DATA)")
    parser.add_argument("--tasks", type=lambda s: tuple(s.split(",")), default=TASKS)
    parser.add_argument("--limit", type=int, default=0,
                        help="score only this many test inputs per task (0: all)")
    parser.add_argument("--single", type=int, default=500,
                        help="inputs scored one at a time for the unbatched rate")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/int8.json")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(1)
    explicit = explicit_checkpoints(args, args.tasks) or {}
    rows = []
    for task in args.tasks:
        row = measure(task, explicit.get(task) or resolve_checkpoint(task, args.model_dir), args)
        print(json.dumps(row), flush=True)
        rows.append(row)
    report = {"meta": {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                       "torch": torch.__version__, "python": platform.python_version(),
                       "threads": 1, "engine": torch.backends.quantized.engine,
                       "agreement_bar": AGREEMENT_BAR, "accuracy_bar_points": 100 * ACCURACY_BAR},
              "results": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
