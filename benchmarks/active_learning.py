"""Active learning against random picks: what a vote is worth when /teach chooses what to ask.

The learning-loop simulation's origin setting (benchmarks/learning_loop.py: surnames written in
their own script, half of them voted on, half held out), run as a sequence of rounds. Each
round spends 100 more votes (3-5 voters per item, honest voters right 85% of the time),
consensus (db.consensus.decide) turns them into labels, and the nightly job's `tune` makes a
new model from the parent and every label agreed so far; the next round asks with that model.
Two ways to pick the items to ask about:
  active  inference.active.select over the current model's answers: least certain first,
          spread over endings, spellings and labels (the code /teach runs);
  random  a random order of the same pool.
Both see the same votes for the same item (drawn once per seed), several seeds each. The
replay is lighter than the nightly job's (FinetuneConfig below) to fit in a few minutes;
adversarial voters are left out (learning_loop.py covers them and the admin's pass).

    python -m benchmarks.active_learning            # ~5 min on 2 shared CPU cores

Writes benchmarks/results/active_learning.json and docs/results/active_learning.png.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import json
import random
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from statistics import mean, pstdev

import torch
from tqdm.auto import tqdm

from benchmarks.learning_loop import (
    DATA,
    Community,
    Item,
    accuracy_by_group,
    in_eval_part,
    origin_pool,
)
from db.consensus import Ballot, decide
from inference.active import Candidate, select
from inference.checkpoint import Checkpoint, load_checkpoint
from inference.device import configure_threads
from inference.predictor import Predictor
from inference.registry import resolve_checkpoint
from training.finetune import FinetuneConfig, OriginalData, original_data, tune

ROOT = Path(__file__).resolve().parents[1]

STRATEGIES = ("active", "random")
LEGEND = {"active": "active (uncertainty + diversity)", "random": "random order"}
ASK_AHEAD = 40  # items ranked per round: more than 100 votes' worth at 3-5 votes each


@dataclass
class Setup:
    rounds: int = 6
    votes_per_round: int = 100
    seeds: tuple[int, ...] = (0, 1, 2, 3)
    finetune: FinetuneConfig = field(default_factory=lambda: FinetuneConfig(
        epochs=3, replay_ratio=1.0, min_replay=500, calibration_size=500))


def ballots_for(pool: list[Item], labels: tuple[str, ...], community: Community,
                rng: random.Random) -> list[list[str]]:
    """Each item's votes, drawn once so both strategies hear the same answer to a question."""
    out = []
    for item in pool:
        votes = []
        for _ in range(rng.randint(community.min_votes, community.max_votes)):
            right = rng.random() < community.honest_accuracy
            votes.append(item.label if right else rng.choice([x for x in labels
                                                                if x != item.label]))
        out.append(votes)
    return out


def accuracy(predictor: Predictor, items: list[Item]) -> float:
    return accuracy_by_group(predictor, items)["all"]["accuracy"]


def ask_order(strategy: str, predictor: Predictor, pool: list[Item], asked: set[int],
              shuffled: list[int]) -> list[int]:
    """The items to ask about next, best first."""
    if strategy == "random":
        return [i for i in shuffled if i not in asked]
    remaining = [i for i in range(len(pool)) if i not in asked]
    answers = predictor.predict([pool[i].text for i in remaining], top_k=len(predictor.labels))
    candidates = [Candidate(i, a.normalized, a.label, a.top)
                  for i, a in zip(remaining, answers, strict=True)
                  if not isinstance(a, Exception)]
    return [c.key for c in select(candidates, ASK_AHEAD)]


def run(strategy: str, seed: int, parent: Checkpoint, pool: list[Item],
        evaluation: list[Item], original: OriginalData, setup: Setup,
        votes: list[list[str]], bar: tqdm) -> list[dict]:
    """One strategy, one seed: accuracy on the held-out part after each round."""
    cfg = FinetuneConfig(**{**asdict(setup.finetune), "seed": seed})
    shuffled = random.Random(seed + 1000).sample(range(len(pool)), len(pool))
    predictor, agreed, asked, spent = Predictor(parent), {}, set(), 0
    curve = [{"votes": 0, "agreed": 0, "accuracy": accuracy(predictor, evaluation)}]
    for round_no in range(1, setup.rounds + 1):
        for i in ask_order(strategy, predictor, pool, asked, shuffled):
            if spent >= round_no * setup.votes_per_round:
                break
            asked.add(i)
            spent += len(votes[i])
            verdict = decide([Ballot(str(v), label) for v, label in enumerate(votes[i])], "")
            if verdict is not None:
                agreed[i] = verdict.label
        with contextlib.redirect_stdout(io.StringIO()):  # tune prints each epoch's loss
            candidate, _ = tune(parent, [(pool[i].text, label) for i, label in agreed.items()],
                                original, cfg, torch.device("cpu"))
        predictor = Predictor(candidate)
        curve.append({"votes": spent, "agreed": len(agreed),
                      "wrong_agreed": sum(label != pool[i].label for i, label in agreed.items()),
                      "accuracy": accuracy(predictor, evaluation)})
        bar.update()
    return curve


def votes_to_reach(curve: list[tuple[float, float]], gain: float) -> float | None:
    """Votes at which a mean curve first reaches `gain` (linear between rounds)."""
    for (v0, g0), (v1, g1) in itertools.pairwise(curve):
        if g1 >= gain:
            return v0 + (v1 - v0) * (gain - g0) / (g1 - g0) if g1 != g0 else v1
    return None


def summarise(runs: dict[str, list[list[dict]]], before: float) -> dict:
    """Mean and spread over seeds per round; the votes each strategy needs for a given gain."""
    curves: dict[str, list[dict]] = {}
    for strategy, seeds in runs.items():
        curves[strategy] = [
            {"round": r, "votes": mean(s[r]["votes"] for s in seeds),
             "gain_points": round(mean(100 * (s[r]["accuracy"] - before) for s in seeds), 2),
             "gain_sd": round(pstdev(100 * (s[r]["accuracy"] - before) for s in seeds), 2)}
            for r in range(len(seeds[0]))]
    points = {s: [(c["votes"], c["gain_points"]) for c in curves[s]] for s in curves}
    target = curves["random"][-1]["gain_points"]
    first, last = curves["active"][1], curves["active"][-1]
    rand_first, rand_last = curves["random"][1], curves["random"][-1]
    return {
        "curves": curves,
        "gain_per_100_votes": {
            "first_round": {"active": round(100 * first["gain_points"] / first["votes"], 2),
                            "random": round(100 * rand_first["gain_points"] / rand_first["votes"],
                                            2)},
            "whole_budget": {"active": round(100 * last["gain_points"] / last["votes"], 2),
                             "random": round(100 * rand_last["gain_points"] / rand_last["votes"],
                                             2)},
        },
        "random_final_gain_points": target,
        "votes_for_random_final_gain": {s: votes_to_reach(points[s], target) for s in points},
    }


def plot(summary: dict, before: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.4))
    for strategy, colour in zip(STRATEGIES, ("#1f77b4", "#9e9e9e"), strict=True):
        rows = summary["curves"][strategy]
        xs = [r["votes"] for r in rows]
        ys = [100 * before + r["gain_points"] for r in rows]
        sd = [r["gain_sd"] for r in rows]
        ax.plot(xs, ys, marker="o", color=colour, label=LEGEND[strategy])
        ax.fill_between(xs, [y - s for y, s in zip(ys, sd, strict=True)],
                        [y + s for y, s in zip(ys, sd, strict=True)], color=colour, alpha=0.2)
    ax.set_xlabel("votes spent")
    ax.set_ylabel("accuracy on the held-out shifted names (%)")
    ax.set_title("origin: votes on what /teach picks vs on random answers (mean ± sd over seeds)")
    ax.title.set_fontsize(9)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="folder or archives of the data")
    parser.add_argument("--checkpoint", type=Path, help="origin checkpoint (default: served)")
    parser.add_argument("--seeds", type=int, default=len(Setup().seeds))
    parser.add_argument("--rounds", type=int, default=Setup().rounds)
    parser.add_argument("--out", type=Path,
                        default=ROOT / "benchmarks/results/active_learning.json")
    parser.add_argument("--plot", type=Path, default=ROOT / "docs/results/active_learning.png")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    configure_threads(1)
    setup = Setup(rounds=args.rounds, seeds=tuple(range(args.seeds)))
    community = Community()
    parent = load_checkpoint(args.checkpoint or resolve_checkpoint("origin"), "origin")
    pool = origin_pool(args.data, random.Random(community.seed))
    evaluation = [i for i in pool if in_eval_part(i.text, community.eval_share)]
    voted = [i for i in pool if not in_eval_part(i.text, community.eval_share)]
    original = original_data("origin", args.data, parent, setup.finetune)
    before = accuracy(Predictor(parent), evaluation)
    print(f"origin: {len(voted)} items to ask about, {len(evaluation)} held out; "
          f"parent {parent.version} {100 * before:.1f}% on the held-out part")
    start = time.perf_counter()
    runs: dict[str, list[list[dict]]] = {s: [] for s in STRATEGIES}
    with tqdm(total=len(setup.seeds) * len(STRATEGIES) * setup.rounds, desc="rounds") as bar:
        for seed in setup.seeds:
            votes = ballots_for(voted, parent.labels, community, random.Random(seed))
            for strategy in STRATEGIES:
                runs[strategy].append(run(strategy, seed, parent, voted, evaluation, original,
                                          setup, votes, bar))
    summary = summarise(runs, before)
    for strategy in STRATEGIES:
        print(f"{strategy:>7}: " + "  ".join(f"{c['votes']:.0f} votes {c['gain_points']:+.1f}"
                                             f"±{c['gain_sd']:.1f}"
                                             for c in summary["curves"][strategy]))
    print(f"gain per 100 votes: {summary['gain_per_100_votes']}")
    print(f"votes to reach random's final gain ({summary['random_final_gain_points']:+.1f} "
          f"points): {summary['votes_for_random_final_gain']}")
    report = {
        "meta": {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                 "torch": torch.__version__, "threads": torch.get_num_threads(),
                 "parent": parent.version, "seconds": round(time.perf_counter() - start),
                 "setup": asdict(setup), "community": asdict(community),
                 "pool": {"voted": len(voted), "evaluation": len(evaluation)},
                 "accuracy_before": before},
        "summary": summary,
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    plot(summary, before, args.plot)
    print(f"wrote {args.out} and {args.plot}")


if __name__ == "__main__":
    main()
