"""Are "Why?" explanations faithful? Remove what they point at, and see the answer fall.

For each test input, the parts an explanation shows as pushing toward the answer's label are
removed together, and the label's probability is scored again; the baseline removes random
parts of the same sizes (same n-gram lengths at random places; as many random words), five
draws per input, seeded. Also reported: the top part alone against a random part of its
size, which occlusion wins on every input by construction (each part was measured alone),
so it shows scale, not faithfulness. Inputs: every clean-protocol test surname and a seeded
sample of IMDB test reviews. Prints a table and writes JSON
(default benchmarks/results/explain_faithfulness.json).

    python -m benchmarks.explain_faithfulness [--checkpoint-dir DIR] [--reviews 200]
"""

from __future__ import annotations

import argparse
import random
from datetime import datetime, timezone
from pathlib import Path

import torch

from benchmarks.model_options import add_model_options, explicit_checkpoints
from benchmarks.report import write_report
from inference.explain import explain_prepared, removal_drops
from inference.predictor import Predictor
from inference.tasks import task_spec
from training.splits import test_set

ROOT = Path(__file__).resolve().parents[1]

DATA = ROOT.parent / "shared" / "data"


def faithfulness(predictor: Predictor, inputs: list[str], seed: int, draws: int) -> list[dict]:
    """One row per removal size (the top part; every part shown) over `inputs`."""
    explanations = [explain_prepared(predictor, predictor.prepare(raw)) for raw in inputs]
    rows = []
    shown = task_spec(predictor.task).explaining.shown_parts
    for k, what in ((1, "top part"), (shown, "parts shown")):
        rng = random.Random(seed)
        drops = [d for e in explanations if (d := removal_drops(predictor, e, rng, k, draws))]
        top = [t for t, _ in drops]
        rand = [r for _, r in drops]
        rows.append({
            "task": predictor.task, "removed": what, "k": k, "n": len(drops),
            "without_parts": len(inputs) - len(drops),
            "top_drop": round(sum(top) / len(drops), 4),
            "random_drop": round(sum(rand) / len(drops), 4),
            "top_wins": round(sum(t > r for t, r in drops) / len(drops), 4),
        })
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="folder with the archives")
    add_model_options(parser)
    parser.add_argument("--names", type=int, help="test surnames (default: all)")
    parser.add_argument("--reviews", type=int, default=200, help="IMDB test reviews")
    parser.add_argument("--draws", type=int, default=5, help="random removals per input")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path,
                        default=ROOT / "benchmarks/results/explain_faithfulness.json")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    rng = random.Random(args.seed)
    names = [name for name, _ in test_set("origin", args.data)]
    names = rng.sample(names, args.names) if args.names else names
    reviews = [text for text, _ in rng.sample(test_set("sentiment", args.data), args.reviews)]
    print(f"{'task':<10} {'removed':<12} {'k':>2} {'n':>5} {'top drop':>9} {'random drop':>12} "
          f"{'top wins':>9}")
    rows, versions = [], {}
    for task, inputs in (("origin", names), ("sentiment", reviews)):
        explicit = explicit_checkpoints(args, (task,))
        predictor = Predictor.load(task, explicit and explicit[task], device="cpu",
                                   model_dir=args.model_dir)
        versions[task] = predictor.version
        for row in faithfulness(predictor, inputs, args.seed, args.draws):
            print(f"{row['task']:<10} {row['removed']:<12} {row['k']:>2} {row['n']:>5} "
                  f"{row['top_drop']:>9.1%} {row['random_drop']:>12.1%} {row['top_wins']:>9.1%}",
                  flush=True)
            rows.append(row)
    report = {"meta": {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                       "models": versions, "seed": args.seed, "draws": args.draws,
                       "torch": torch.__version__},
              "results": rows}
    write_report(args.out, report)


if __name__ == "__main__":
    main()
