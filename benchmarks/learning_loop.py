"""Proof of the learning loop: a simulated community corrects a shifted pool of inputs, and
`finetune` turns its consensus into a better model without forgetting the original task.

For each task, against a real (temporary) feedback database and model folder:
1. a shifted pool of inputs the served model handles badly, with their true labels:
   origin     surnames of the train/validation splits (never the test split) written in
              their own script: Arabic names in Arabic script (vowels vanish), Japanese names
              in kanji (read with their Chinese readings), and, as controls the model mostly
              gets right, Russian names in Cyrillic and Greek names in Greek script;
   sentiment  short chat messages from a template grammar, praise and complaints in slang
              whose film-review meaning differs ("this album is sick", "the finale is mid");
   split by a stable hash into a part the community votes on and a disjoint evaluation part;
2. the served model answers every voted input (logged as the bot does), and 3-5 voters per
   answer vote: honest ones are right 85% of the time (else a random wrong label), 20% of the
   voters are adversaries who always vote a fixed wrong label (origin: Vietnamese; sentiment:
   the opposite of the truth);
3. consensus (db) decides the labels; an admin's pass ignores voters who keep disagreeing
   with it (as `python -m db voters` / `ignore-voter` would); `finetune` (default settings)
   trains, gates, promotes;
4. report: accuracy before/after on the evaluation part and on the clean test set, and how
   many labels carried by adversaries' votes made it into the training data (before and
   after the admin's pass).

    python -m benchmarks.learning_loop                             # the shipped weights
    python -m benchmarks.learning_loop --checkpoint origin=runs/x/origin.safetensors

Prints a table; writes benchmarks/results/learning_loop.json and learning_loop.png.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import torch

from db import CONFIRMED, FeedbackStore, Hasher
from inference.checkpoint import load_checkpoint
from inference.device import configure_threads
from inference.predictor import Predictor
from inference.registry import resolve_checkpoint, set_current, task_dir
from training.data import clean_name_splits, locate
from training.finetune import FinetuneConfig, finetune

ROOT = Path(__file__).resolve().parents[1]

DATA = ROOT.parent / "shared" / "data"


@dataclass
class Community:
    voters: int = 40
    adversarial_share: float = 0.2
    honest_accuracy: float = 0.85
    min_votes: int = 3  # voters per answer, drawn uniformly between these
    max_votes: int = 5
    eval_share: float = 0.5  # of the pool, never voted on: the evaluation part
    # the admin's pass: ignore voters who agree with the consensus less often than this
    moderation_max_agreement: float = 0.5
    moderation_min_decided: int = 5
    seed: int = 0


@dataclass(frozen=True)
class Item:
    text: str
    label: str
    group: str  # which shift it comes from, for the per-group figures


@dataclass(frozen=True)
class Shift:
    """One task's experiment: the shifted pool, what adversaries vote, the gain to reach."""

    task: str
    pool: Callable[[Path | None, random.Random], list[Item]]  # (data, rng) -> items
    adversary: str | None  # the label adversaries always vote; None: any label but the truth
    min_gain_points: float  # on the held-out shifted pool


# ---------------------------------------------------------------- origin: names in script

# Latin -> native script, longest match first. Only as good as a table can be, which is the
# point: users do not write names the way the data set romanised them.
CYRILLIC = [("shch", "щ"), ("sh", "ш"), ("ch", "ч"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"),
            ("ya", "я"), ("yu", "ю"), ("yo", "ё"), ("ye", "е"), ("a", "а"), ("b", "б"),
            ("v", "в"), ("w", "в"), ("g", "г"), ("d", "д"), ("e", "е"), ("z", "з"),
            ("i", "и"), ("j", "й"), ("k", "к"), ("c", "к"), ("q", "к"), ("l", "л"),
            ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"), ("r", "р"), ("s", "с"),
            ("t", "т"), ("u", "у"), ("f", "ф"), ("h", "х"), ("x", "кс"), ("y", "ы")]
GREEK = [("ou", "ου"), ("th", "θ"), ("ch", "χ"), ("ps", "ψ"), ("ph", "φ"), ("ks", "ξ"),
         ("x", "ξ"), ("tz", "τζ"), ("a", "α"), ("b", "μπ"), ("v", "β"), ("g", "γ"),
         ("d", "ντ"), ("e", "ε"), ("z", "ζ"), ("i", "ι"), ("y", "υ"), ("k", "κ"), ("c", "κ"),
         ("q", "κ"), ("l", "λ"), ("m", "μ"), ("n", "ν"), ("o", "ο"), ("p", "π"), ("r", "ρ"),
         ("s", "σ"), ("t", "τ"), ("u", "ου"), ("f", "φ"), ("h", ""), ("j", "τζ"), ("w", "ου")]
ARABIC = [("kh", "خ"), ("sh", "ش"), ("th", "ث"), ("dh", "ذ"), ("gh", "غ"), ("ou", "و"),
          ("oo", "و"), ("ee", "ي"), ("b", "ب"), ("p", "ب"), ("t", "ت"), ("j", "ج"),
          ("g", "ج"), ("h", "ح"), ("d", "د"), ("r", "ر"), ("z", "ز"), ("s", "س"), ("c", "ك"),
          ("f", "ف"), ("v", "ف"), ("q", "ق"), ("k", "ك"), ("l", "ل"), ("m", "م"), ("n", "ن"),
          ("w", "و"), ("y", "ي"), ("u", "و"), ("i", "ي"), ("a", "ا"), ("e", ""), ("o", "و"),
          ("x", "كس")]
# Japanese surnames are written with a few hundred kanji; these cover half the data set's.
KANJI = {
    "yama": "山", "da": "田", "ta": "田", "naka": "中", "moto": "本", "hon": "本", "kawa": "川",
    "gawa": "川", "mura": "村", "ki": "木", "gi": "木", "shima": "島", "jima": "島", "hara": "原",
    "wara": "原", "bara": "原", "i": "井", "mori": "森", "hashi": "橋", "bashi": "橋",
    "ishi": "石", "matsu": "松", "take": "竹", "ko": "小", "o": "大", "no": "野", "kita": "北",
    "higashi": "東", "nishi": "西", "minami": "南", "ue": "上", "kami": "上", "shita": "下",
    "fuji": "藤", "to": "藤", "do": "藤", "sa": "佐", "ku": "久", "ho": "保", "bo": "保",
    "tani": "谷", "ya": "谷", "saki": "崎", "zaki": "崎", "hayashi": "林", "bayashi": "林",
    "yoshi": "吉", "kuro": "黒", "shiro": "白", "aka": "赤", "ao": "青", "kane": "金",
    "gane": "金", "sawa": "沢", "zawa": "沢", "oka": "岡", "fuku": "福", "ike": "池",
    "maru": "丸", "ichi": "一", "kado": "門", "se": "瀬", "ka": "加", "suzu": "鈴", "tsu": "津",
    "zu": "津", "hi": "日", "be": "部", "wata": "渡", "nabe": "辺", "a": "阿", "kiku": "菊",
    "chi": "千", "haru": "春", "aki": "秋", "natsu": "夏", "wa": "和", "uchi": "内",
    "kubo": "窪", "mizu": "水", "tsuka": "塚", "zuka": "塚", "mi": "三", "ni": "二",
    "hira": "平", "kura": "倉", "gura": "倉", "shi": "志", "ma": "真", "kuma": "熊",
    "tomo": "友", "naga": "長", "sugi": "杉", "yasu": "安", "ri": "里", "ra": "良", "e": "江",
    "kiyo": "清", "iwa": "岩", "hama": "浜", "tachi": "立", "michi": "道", "mae": "前",
}


def to_script(name: str, table: list[tuple[str, str]]) -> str:
    out, s, i = [], name.lower(), 0
    while i < len(s):
        latin, native = next(((lat, nat) for lat, nat in table if s.startswith(lat, i)),
                             (s[i], s[i]))
        out.append(native)
        i += len(latin)
    return re.sub("σ$", "ς", "".join(out))


def to_kanji(name: str) -> str | None:
    """The name as kanji if the table spells all of it (as two characters or more)."""
    s = name.lower()
    spelled: dict[int, str] = {0: ""}
    for i in range(len(s)):
        if i in spelled:
            for latin, kanji in KANJI.items():
                if s.startswith(latin, i):
                    spelled.setdefault(i + len(latin), spelled[i] + kanji)
    kanji = spelled.get(len(s))
    return kanji if kanji and len(kanji) >= 2 else None


def origin_pool(data: Path | None, rng: random.Random) -> list[Item]:
    splits = clean_name_splits(locate("names", data))
    names = sorted(set(splits.train + splits.val))  # the test split stays the clean yardstick

    def of(lang: str) -> list[str]:
        return [n for n, label in names if label == lang]

    kanji = [(k, n) for n in of("Japanese") if (k := to_kanji(n))]
    return [
        *(Item(to_script(n, ARABIC), "Arabic", "Arabic in Arabic script") for n in of("Arabic")),
        *(Item(k, "Japanese", "Japanese in kanji") for k, _ in rng.sample(kanji, 240)),
        *(Item(to_script(n, CYRILLIC), "Russian", "Russian in Cyrillic (control)")
          for n in rng.sample(of("Russian"), 120)),
        *(Item(to_script(n, GREEK), "Greek", "Greek in Greek script (control)")
          for n in rng.sample(of("Greek"), 120)),
    ]


# ---------------------------------------------------------------- sentiment: chat slang

SUBJECTS = ("this movie", "the new season", "that episode", "the soundtrack", "this album",
            "the finale", "the sequel", "this game", "the trailer", "that show", "the ending",
            "the new song", "this track", "the remake", "the first episode", "that concert")
PRAISE = ("is sick", "is insane", "is fire", "is dope", "is legit", "goes hard", "slaps",
          "is wicked", "is unreal", "is a beast", "is crazy good", "is tight", "hits different",
          "is the bomb", "is a vibe", "is lit", "is nuts", "is savage", "kills it", "is killer")
COMPLAINTS = ("is mid", "is trash", "is cringe", "is basic", "is whack", "is corny",
              "fell off", "is a flop", "is dead", "is extra", "is so meh", "is garbage",
              "is a snooze", "is lame", "is weak", "is a letdown", "is a dud", "is an l",
              "is a mess", "is a joke")
OPENERS = ("", "ngl ", "honestly ", "lowkey ", "yo ", "bro ", "omg ")
CLOSERS = ("", " fr", " tbh", " lol", " no cap", " imo", " !", " ngl")


def sentiment_pool(rng: random.Random) -> list[Item]:
    items = {}
    for phrases, label in ((PRAISE, "positive"), (COMPLAINTS, "negative")):
        for phrase in phrases:
            for subject in rng.sample(SUBJECTS, 8):
                text = f"{rng.choice(OPENERS)}{subject} {phrase}{rng.choice(CLOSERS)}"
                items[text] = Item(text, label, f"slang {label}")
    return list(items.values())


# ---------------------------------------------------------------- the community


def in_eval_part(text: str, share: float) -> bool:
    digest = hashlib.sha1(f"eval:{text}".encode()).hexdigest()
    return int(digest[:8], 16) / 16**8 < share


def adversarial_label(shift: Shift, truth: str, labels: tuple[str, ...]) -> str:
    return shift.adversary or next(label for label in labels if label != truth)


async def vote(db_path: Path, shift: Shift, parent: Predictor, items: list[Item],
               community: Community, rng: random.Random) -> dict:
    """Log the parent's answers and the community's votes, then do what an admin does with
    `python -m db voters` (or /admin voters): ignore voters who keep disagreeing with the
    consensus. Returns what consensus made of the votes, before and after that pass."""
    hasher = Hasher("learning-loop-bench")
    task = shift.task
    adversaries = set(rng.sample(range(1, community.voters + 1),
                                 round(community.adversarial_share * community.voters)))
    labels = parent.labels
    truth: dict[int, Item] = {}
    ballots: dict[int, list[tuple[int, str]]] = {}  # prediction id -> (voter, label)
    async with await FeedbackStore.open(db_path, hasher) as store:
        answers = parent.predict([item.text for item in items])
        for i, (item, answer) in enumerate(zip(items, answers, strict=True)):
            pred_id = await store.log_prediction(
                task, item.text, answer.normalized, parent.version, answer.label, answer.top,
                guild_id=1, channel_id=1, author_id=100_000 + i)
            truth[pred_id], ballots[pred_id] = item, []
            voters = rng.sample(range(1, community.voters + 1),
                                rng.randint(community.min_votes, community.max_votes))
            for voter in voters:
                if voter in adversaries:
                    label = adversarial_label(shift, item.label, labels)
                elif rng.random() < community.honest_accuracy:
                    label = item.label
                else:
                    label = rng.choice([x for x in labels if x != item.label])
                await store.record_vote(pred_id, voter,
                                        CONFIRMED if label == answer.label else label)
                ballots[pred_id].append((voter, label))
        raw = await store.agreed_examples(task)
        ignored: set[str] = set()
        while True:  # ignoring some voters changes the consensus: look again until stable
            suspects = {s.voter_hash for s in await store.voter_agreement(task)
                        if not s.ignored and s.decided >= community.moderation_min_decided
                        and (s.agreement or 0.0) < community.moderation_max_agreement}
            if not suspects:
                break
            for voter_hash in suspects:
                await store.ignore_voter_hash(voter_hash)
            ignored |= suspects
        agreed = await store.agreed_examples(task)

    def audit(examples: list, ignored: set[str]) -> dict:
        """Wrong labels agreed, and how many of them adversaries' (counted) votes carried."""
        wrong = [e for e in examples if e.label != truth[e.prediction_id].label]
        carried = sum(any(v in adversaries and hasher.hash_user(v) not in ignored
                          and label == e.label for v, label in ballots[e.prediction_id])
                      for e in wrong)
        return {"agreed": len(examples),
                "corrections": sum(not e.model_was_right for e in examples),
                "wrong_label": len(wrong), "adversarial_label": carried}

    return {
        "voted_inputs": len(items), "votes": sum(map(len, ballots.values())),
        "voters": community.voters, "adversarial_voters": len(adversaries),
        "parent_wrong_on_voted": sum(a.label != it.label
                                     for a, it in zip(answers, items, strict=True)),
        "before_moderation": audit(raw, set()),
        "ignored_voters": len(ignored),
        "ignored_adversaries": sum(hasher.hash_user(v) in ignored for v in adversaries),
        "after_moderation": audit(agreed, ignored),
    }


# ---------------------------------------------------------------- one task


def accuracy_by_group(predictor: Predictor, items: list[Item]) -> dict:
    right: dict[str, list[bool]] = {"all": []}
    for item, answer in zip(items, predictor.predict([i.text for i in items]), strict=True):
        ok = not isinstance(answer, Exception) and answer.label == item.label
        right["all"].append(ok)
        right.setdefault(item.group, []).append(ok)
    return {group: {"accuracy": sum(oks) / len(oks), "n": len(oks)}
            for group, oks in right.items()}


def keep_report(path: Path | None, results_dir: Path, task: str) -> str | None:
    """Copy finetune's own report out of the temporary model folder."""
    if path is None:
        return None
    results_dir.mkdir(parents=True, exist_ok=True)
    kept = results_dir / f"learning_loop_{task}_finetune.json"
    shutil.copyfile(path, kept)
    shutil.copyfile(path.with_suffix(".png"), kept.with_suffix(".png"))
    return str(kept.relative_to(ROOT) if kept.is_relative_to(ROOT) else kept)


async def run_task(shift: Shift, parent_path: Path, data: Path | None, workdir: Path,
                   community: Community, results_dir: Path) -> dict:
    task = shift.task
    rng = random.Random(community.seed)
    model_dir, db_path = workdir / "models", workdir / "seqbot.db"
    parent_ckpt = load_checkpoint(parent_path, task)
    served = task_dir(model_dir, task) / f"{parent_ckpt.version}.safetensors"
    served.parent.mkdir(parents=True)
    shutil.copyfile(parent_path, served)  # the model the bot serves when the votes come in
    set_current(model_dir, task, parent_ckpt.version)
    parent = Predictor(parent_ckpt)

    pool = shift.pool(data, rng)
    evaluation = [i for i in pool if in_eval_part(i.text, community.eval_share)]
    voted = [i for i in pool if not in_eval_part(i.text, community.eval_share)]
    print(f"{task}: pool of {len(pool)} shifted inputs, {len(voted)} voted on, "
          f"{len(evaluation)} kept for evaluation")
    start = time.perf_counter()
    consensus = await vote(db_path, shift, parent, voted, community, rng)
    print(f"{task}: {consensus}")

    outcome = await finetune(task, db_path, model_dir=model_dir, data=data, device="cpu")
    seconds = time.perf_counter() - start
    print(outcome.message)
    candidate_path = outcome.report.get("checkpoint")
    candidate = Predictor(load_checkpoint(candidate_path, task)) if candidate_path else None
    now_served = Predictor.load(task, model_dir=model_dir, device="cpu")
    report = outcome.report
    return {
        "task": task,
        "parent": parent.version,
        "served_after": now_served.version,
        "decision": outcome.decision,
        "reasons": report.get("reasons", []),
        "pool": {"voted": len(voted), "evaluation": len(evaluation)},
        "consensus": consensus,
        "shifted_before": accuracy_by_group(parent, evaluation),
        "shifted_after": accuracy_by_group(candidate or parent, evaluation),
        "test_before": report.get("before", {}).get("test"),
        "test_after": report.get("after", {}).get("test"),
        "holdout_corrections": {k: report.get(k, {}).get("holdout_corrections")
                                for k in ("before", "after")},
        "finetune_report": keep_report(outcome.report_path, results_dir, task),
        "seconds": round(seconds, 1),
    }


# ---------------------------------------------------------------- report

SHIFTS = (
    Shift("origin", origin_pool, adversary="Vietnamese",  # never the truth in the pool
          min_gain_points=10.0),
    Shift("sentiment", lambda data, rng: sentiment_pool(rng), adversary=None,
          min_gain_points=0.0),
)
MAX_TEST_LOSS_POINTS = 0.5


def targets(result: dict, shift: Shift) -> dict:
    gain = 100 * (result["shifted_after"]["all"]["accuracy"]
                  - result["shifted_before"]["all"]["accuracy"])
    test_change = (100 * (result["test_after"]["accuracy"] - result["test_before"]["accuracy"])
                   if result["test_before"] else None)
    adversarial = result["consensus"]["after_moderation"]["adversarial_label"]
    return {
        "shifted_gain_points": round(gain, 2),
        "test_change_points": None if test_change is None else round(test_change, 2),
        "adversarial_labels_trained_on": adversarial,
        "met": {
            f"shifted gain >= +{shift.min_gain_points:g} points":
                gain >= shift.min_gain_points,
            f"clean test loss <= {MAX_TEST_LOSS_POINTS} points":
                test_change is not None and test_change >= -MAX_TEST_LOSS_POINTS,
            "no adversarial label trained on": adversarial == 0,
        },
    }



def summary_rows(result: dict) -> list[tuple[str, float | None, float | None]]:
    rows = [(group, result["shifted_before"][group]["accuracy"],
             result["shifted_after"][group]["accuracy"]) for group in result["shifted_before"]]
    rows[0] = ("shifted pool, held out", *rows[0][1:])
    if result["test_before"]:
        rows.append(("clean test set", result["test_before"]["accuracy"],
                     result["test_after"]["accuracy"]))
    return rows


def print_table(results: list[dict]) -> None:
    for r in results:
        c = r["consensus"]
        print(f"\n{r['task']}: {r['parent']} -> {r['served_after']} ({r['decision']}, "
              f"{r['seconds']:.0f} s)")
        print(f"  votes: {c['votes']} on {c['voted_inputs']} inputs by {c['voters']} voters "
              f"({c['adversarial_voters']} adversarial)")
        for stage in ("before_moderation", "after_moderation"):
            a = c[stage]
            print(f"  {stage.replace('_', ' ')}: agreed {a['agreed']} ({a['corrections']} "
                  f"corrections), wrong labels {a['wrong_label']}, adversarial labels "
                  f"{a['adversarial_label']}")
        print(f"  moderation ignored {c['ignored_voters']} voters "
              f"({c['ignored_adversaries']} of them adversaries)")
        print(f"  {'':<36}{'before':>8}{'after':>8}{'change':>9}")
        for name, before, after in summary_rows(r):
            n = r["shifted_before"].get(name, {}).get("n", "")
            print(f"  {name:<36}{100 * before:>7.1f}%{100 * after:>7.1f}%"
                  f"{100 * (after - before):>+8.1f}  {f'n={n}' if n else ''}")
        for reason in r["reasons"]:
            print(f"  refused: {reason}")
        for target, met in r["targets"]["met"].items():
            print(f"  target {target}: {'met' if met else 'MISSED'}")


def plot(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(6.5 * len(results), 4.2), squeeze=False)
    for ax, r in zip(axes[0], results, strict=True):
        rows = summary_rows(r)
        ys = range(len(rows))
        ax.barh([y - 0.2 for y in ys], [100 * b for _, b, _ in rows], 0.4, label="before",
                color="#9e9e9e")
        ax.barh([y + 0.2 for y in ys], [100 * a for _, _, a in rows], 0.4, label="after",
                color="#1f77b4")
        for y, (_, b, a) in enumerate(rows):
            ax.text(2, y, f"{100 * b:.1f}% -> {100 * a:.1f}%", va="center", fontsize=8,
                    bbox={"facecolor": "white", "alpha": 0.8, "linewidth": 0})
        ax.set_yticks(list(ys), [name for name, _, _ in rows])
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_xlabel("accuracy (%)")
        ax.set_title(f"{r['task']}: {r['decision']}, "
                     f"{r['consensus']['after_moderation']['adversarial_label']} adversarial "
                     "labels trained on")
    fig.suptitle("learning loop: simulated community votes -> finetune -> gate")
    fig.legend(*axes[0][0].get_legend_handles_labels(), loc="lower center", ncol=2)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="folder or archives of the data")
    parser.add_argument("--checkpoint", action="append", default=[], metavar="TASK=PATH",
                        help="start from this checkpoint instead of the shipped weights")
    parser.add_argument("--tasks", type=lambda s: tuple(s.split(",")),
                        default=tuple(shift.task for shift in SHIFTS))
    parser.add_argument("--threads", type=int, help="CPU intra-op threads (default 1)")
    parser.add_argument("--out", type=Path,
                        default=ROOT / "benchmarks/results/learning_loop.json")
    args = parser.parse_args(argv)
    args.checkpoints = dict(spec.split("=", 1) for spec in args.checkpoint)
    if unknown := (set(args.tasks) | set(args.checkpoints)) - {s.task for s in SHIFTS}:
        parser.error(f"no experiment for task: {sorted(unknown)}")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    configure_threads(args.threads)
    community = Community()
    results = []
    for shift in (s for s in SHIFTS if s.task in args.tasks):
        task = shift.task
        parent = Path(args.checkpoints.get(task) or resolve_checkpoint(task))
        with tempfile.TemporaryDirectory(prefix=f"learning-loop-{task}-") as workdir:
            result = asyncio.run(run_task(shift, parent, args.data, Path(workdir), community,
                                          args.out.parent))
        results.append({**result, "targets": targets(result, shift)})
    print_table(results)
    report = {
        "meta": {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                 "torch": torch.__version__, "threads": torch.get_num_threads(),
                 "community": asdict(community), "finetune": asdict(FinetuneConfig())},
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    plot(results, args.out.with_suffix(".png"))
    print(f"\nwrote {args.out} and {args.out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
