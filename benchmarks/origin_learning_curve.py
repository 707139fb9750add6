"""How origin's test scores grow with the number of labelled training names.

Answers "what would it take to reach a target?" with a measurement instead of a guess: the
shipped recipe is trained on nested random subsets of the clean training split (the
validation and test splits stay whole), a few seeds each, and macro-F1 is fitted as a line
in log2(training names) to extrapolate. Nothing is selected on the test set here: every run
uses the shipped hyper-parameters unchanged.

    python -m benchmarks.origin_learning_curve --data ../shared/data [--jobs 2]

Writes benchmarks/results/origin_learning_curve.json and docs/results/origin_learning_curve.png.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import statistics
import tempfile
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from tqdm import tqdm

from benchmarks.report import save_figure
from benchmarks.stats import log_fit, size_for

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "origin_learning_curve.json"
FIGURE = ROOT / "docs" / "results" / "origin_learning_curve.png"
TARGETS = {"accuracy": 0.86, "macro_f1": 0.65}
NAMES = {"accuracy": "accuracy", "macro_f1": "macro-F1"}


def subset(train: list[tuple[str, str]], fraction: float) -> list[tuple[str, str]]:
    """The first `fraction` of the distinct names in one fixed shuffle: subsets are nested,
    and a name keeps all of its labels or none of them."""
    names = sorted({name.lower() for name, _ in train})
    random.Random(0).shuffle(names)
    kept = set(names[:round(fraction * len(names))])
    return [(name, lang) for name, lang in train if name.lower() in kept]


def run(data: str, fraction: float, seed: int) -> dict:
    """One training run, silenced (runs go in parallel; the parent shows the progress)."""
    import torch

    from training import origin
    from training.config import OriginConfig
    from training.data import NameSplits, clean_name_splits, locate
    from training.fit import fit

    torch.set_num_threads(1)
    splits = clean_name_splits(locate("names", data))
    splits = NameSplits(subset(splits.train, fraction), splits.val, splits.test, splits.labels)
    encoded = origin.encode_names(splits)
    cfg = replace(OriginConfig(), seed=seed)
    with tempfile.TemporaryDirectory() as tmp, open(os.devnull, "w") as quiet, \
            contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
        _, metrics = fit("origin", cfg, encoded, Path(tmp), torch.device("cpu"),
                         class_weights=origin.class_weights(encoded, cfg))
        report = json.loads((Path(tmp) / "origin_metrics.json").read_text())
    history = report["history"]
    return {
        "fraction": fraction, "seed": seed, "train_pairs": len(splits.train),
        "test_accuracy": metrics["accuracy"], "test_macro_f1": metrics["macro_f1"],
        "val_score": history["val_score"][history["best_epoch"] - 1],
        "train_seconds": round(history["seconds"], 1),
        "test_f1": {label: r["f1"] for label, r in metrics["per_class"].items()},
    }


def summarise(runs: list[dict]) -> dict:
    by_fraction: dict[float, list[dict]] = {}
    for r in runs:
        by_fraction.setdefault(r["fraction"], []).append(r)
    rows = []
    for fraction, group in sorted(by_fraction.items()):
        row = {"fraction": fraction, "train_pairs": group[0]["train_pairs"], "runs": len(group)}
        for key in ("test_accuracy", "test_macro_f1"):
            values = [g[key] for g in group]
            row[key] = statistics.fmean(values)
            row[key + "_sd"] = statistics.stdev(values) if len(values) > 1 else 0.0
        rows.append(row)
    trends = {}
    for metric, target in TARGETS.items():
        a, b = log_fit([(r["train_pairs"], r[f"test_{metric}"]) for r in runs])
        trends[metric] = {"intercept": a, "gain_per_doubling": b, "target": target,
                          "pairs_for_target": size_for(target, a, b)}
    return {"rows": rows, "trends": trends}


def plot(runs: list[dict], summary: dict, path: Path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    largest = max(r["train_pairs"] for r in runs)
    for ax, metric in zip(axes, TARGETS, strict=True):
        ax.scatter([r["train_pairs"] for r in runs], [r[f"test_{metric}"] for r in runs],
                   color="tab:blue", label="one run")
        trend = summary["trends"][metric]
        span = [min(r["train_pairs"] for r in runs), largest * 8]
        xs = [span[0] * (span[1] / span[0]) ** (i / 50) for i in range(51)]
        ax.plot(xs, [trend["intercept"] + trend["gain_per_doubling"] * math.log2(x)
                     for x in xs], "--", color="tab:grey", label="log-linear fit")
        ax.axhline(trend["target"], color="tab:red", linestyle=":", label="target")
        ax.axvline(largest, color="tab:green", linestyle=":", label="all training names")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("training (name, label) pairs")
        ax.set_ylabel(f"test {NAMES[metric]}")
        ax.legend(loc="lower right", fontsize=8)
    fig.suptitle("origin: test scores against training-set size (shipped recipe)")
    save_figure(fig, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="surnames archive or folder (default: $SEQBOT_DATA); "
                                       "else downloaded")
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.25, 0.5, 0.75, 1.0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=1, help="training runs in parallel")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--figure", type=Path, default=FIGURE)
    args = parser.parse_args()

    tasks = [(f, s) for f in args.fractions for s in range(args.seeds)]
    runs = []
    with ProcessPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(run, args.data, f, s) for f, s in tasks]
        for future in tqdm(as_completed(futures), total=len(futures), desc="training runs"):
            runs.append(future.result())
    runs.sort(key=lambda r: (r["fraction"], r["seed"]))
    summary = summarise(runs)

    print(f"{'fraction':>8} {'pairs':>6} {'accuracy':>17} {'macro-F1':>17}")
    for r in summary["rows"]:
        print(f"{r['fraction']:>8.2f} {r['train_pairs']:>6} "
              f"{r['test_accuracy']:>8.4f} ± {r['test_accuracy_sd']:.4f} "
              f"{r['test_macro_f1']:>8.4f} ± {r['test_macro_f1_sd']:.4f}")
    for metric, t in summary["trends"].items():
        print(f"{NAMES[metric]}: {t['gain_per_doubling']:+.4f} per doubling of the training "
              f"pairs; {t['target']} predicted at ~{t['pairs_for_target']} pairs")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"runs": runs, **summary}, indent=2) + "\n")
    plot(runs, summary, args.figure)
    print(f"wrote {args.out} and {args.figure}")


if __name__ == "__main__":
    main()
