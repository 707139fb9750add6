"""Proof of the learning loop, and of its defences: a simulated community corrects a shifted
pool of inputs, attackers try to steer it, and `finetune` turns the consensus into a better
model without learning the attack or forgetting the original task.

For each row (a scenario, on one task), against a real (temporary) SQLite database and model
folder:
1. a shifted pool of inputs the served model handles badly, with their true labels:
   origin     surnames of the train/validation splits (never the test split) as other
              languages spell them: Russian and Polish names in German spelling (Tschaikowski,
              Schymanski), Chinese names in Wade-Giles (Hsu, Chang), Japanese names in
              Kunrei-shiki (Hasimoto, Huzita), and, as a control the served model gets
              right, Greek names in Greek script;
   sentiment  short chat messages from a template grammar, praise and complaints in slang
              whose film-review meaning differs ("this album is sick", "the finale is mid");
   split by a stable hash into a part the community votes on and a disjoint evaluation part;
2. the served model answers every voted input (logged as the bot does), over some weeks of
   simulated time; 3-5 of 40 members vote on each answer, right 85% of the time (else a
   random wrong label), and a moderator also votes on about 10% of the answers;
3. the scenario's attackers act (see SCENARIOS):
   honest          nobody attacks: the gain the loop should deliver;
   colluders       three new accounts press Wrong -> Russian on 30 invented "-kuzawa" names
                   that other people asked about (the served model: Japanese);
   override        ten invented Japanese names are confirmed by five members each; later
                   someone asks them in capitals, and two accounts vote Russian;
   slow adversary  one account votes with the community for weeks (half of all answers),
                   then votes Vietnamese alone on 30 answers only one other member votes on;
   random wrong    a fifth of the members vote a random wrong label every time;
4. `finetune` (default settings) trains, gates, promotes;
5. per row: agreed examples with a poisoned label (wrong, and carried by an attacker's vote)
   that reached the training data and the known-name memory, how many of the probes (the
   inputs the attackers targeted, or unseen ones of their pattern) the served answer changed
   on, the gain on the evaluation part of the shifted pool, the clean test set, and the
   gate's decision with the rule that decided.

    python -m benchmarks.learning_loop                             # the shipped weights
    python -m benchmarks.learning_loop --quick                     # a reduced size (minutes)
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
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import torch

from db import CONFIRMED, AgreedExample, FeedbackStore, Hasher
from inference.checkpoint import load_checkpoint
from inference.device import configure_threads
from inference.memory import AgreedInput
from inference.predictor import Predictor
from inference.registry import resolve_checkpoint, set_current, task_dir
from inference.tasks import task_spec
from training.data import clean_name_splits, locate
from training.finetune import FinetuneConfig, finetune

ROOT = Path(__file__).resolve().parents[1]

DATA = ROOT.parent / "shared" / "data"
START = datetime(2026, 10, 1, tzinfo=timezone.utc)


@dataclass
class Community:
    voters: int = 40
    honest_accuracy: float = 0.85
    min_votes: int = 3  # voters per answer, drawn uniformly between these
    max_votes: int = 5
    moderators: int = 2
    moderated_share: float = 0.1  # answers a moderator also votes on (the truth)
    weeks: float = 4.0  # the community's votes come in over this long
    eval_share: float = 0.5  # of the pool, never voted on: the evaluation part
    seed: int = 0


@dataclass(frozen=True)
class Scale:
    """How much of everything: the full run, or `--quick` (and the CI test)."""

    shifted: int = 150  # respelled names per group (all the data has, up to this)
    controls: int = 60
    subjects: int = 8  # sentiment: subjects per slang phrase
    colluded: int = 30  # -kuzawa names the colluders vote on
    overridden: int = 10  # names whose honest consensus two accounts try to overturn
    targets: int = 30  # answers the slow adversary votes alone on
    probes: int = 20  # unseen -kuzawa names


QUICK = Scale(shifted=60, controls=20, subjects=3, colluded=30, overridden=10,
              targets=30, probes=20)
QUICK_FINETUNE = {"epochs": 2, "min_replay": 500, "calibration_size": 500, "test_limit": 1000,
                  "randomisation_rounds": 500}


@dataclass(frozen=True)
class Item:
    text: str
    label: str
    group: str  # which shift it comes from, for the per-group figures


@dataclass(frozen=True)
class Shift:
    """One task's experiment: the shifted pool and the gain to reach."""

    task: str
    pool: Callable[[Path | None, random.Random, Scale], list[Item]]  # (data, rng, scale)
    min_gain_points: float  # on the held-out shifted pool


# ---------------------------------------------------------------- origin: names respelled

# Latin -> how another language's speakers spell it, longest match first. Users do not write
# names the way the data set romanised them: a German newspaper writes Tschaikowski, a
# Taiwanese passport Hsu, an old Japanese register Hasimoto.
RUSSIAN_IN_GERMAN = [("shch", "schtsch"), ("zh", "sch"), ("sh", "sch"), ("ch", "tsch"),
                     ("kh", "ch"), ("ts", "z"), ("ya", "ja"), ("yu", "ju"), ("yo", "jo"),
                     ("ye", "je"), ("v", "w"), ("y", "j"), ("z", "s")]
POLISH_IN_GERMAN = [("szcz", "schtsch"), ("sz", "sch"), ("cz", "tsch"), ("rz", "rsch"),
                    ("w", "v")]
WADE_GILES = [("zh", "ch"), ("x", "hs"), ("q", "ch'"), ("j", "ch"), ("z", "ts"),
              ("ong", "ung"), ("ian", "ien"), ("ui", "uei")]
KUNREI = [("sha", "sya"), ("sho", "syo"), ("shu", "syu"), ("shi", "si"), ("cha", "tya"),
          ("cho", "tyo"), ("chu", "tyu"), ("chi", "ti"), ("tsu", "tu"), ("ja", "zya"),
          ("jo", "zyo"), ("ju", "zyu"), ("ji", "zi"), ("fu", "hu")]
SHIFTS_OF = (("Russian", RUSSIAN_IN_GERMAN, "Russian, German spelling"),
             ("Polish", POLISH_IN_GERMAN, "Polish, German spelling"),
             ("Chinese", WADE_GILES, "Chinese, Wade-Giles"),
             ("Japanese", KUNREI, "Japanese, Kunrei-shiki"))
# Latin -> Greek script: a control the served model gets right (script evidence).
GREEK = [("ou", "ου"), ("th", "θ"), ("ch", "χ"), ("ps", "ψ"), ("ph", "φ"), ("ks", "ξ"),
         ("x", "ξ"), ("tz", "τζ"), ("a", "α"), ("b", "μπ"), ("v", "β"), ("g", "γ"),
         ("d", "ντ"), ("e", "ε"), ("z", "ζ"), ("i", "ι"), ("y", "υ"), ("k", "κ"), ("c", "κ"),
         ("q", "κ"), ("l", "λ"), ("m", "μ"), ("n", "ν"), ("o", "ο"), ("p", "π"), ("r", "ρ"),
         ("s", "σ"), ("t", "τ"), ("u", "ου"), ("f", "φ"), ("h", ""), ("j", "τζ"), ("w", "ου")]

def to_script(name: str, table: list[tuple[str, str]]) -> str:
    out, s, i = [], name.lower(), 0
    while i < len(s):
        latin, native = next(((lat, nat) for lat, nat in table if s.startswith(lat, i)),
                             (s[i], s[i]))
        out.append(native)
        i += len(latin)
    return re.sub("σ$", "ς", "".join(out))



def origin_pool(data: Path | None, rng: random.Random, scale: Scale) -> list[Item]:
    splits = clean_name_splits(locate("names", data))
    names = sorted(set(splits.train + splits.val))  # the test split stays the clean yardstick

    def of(lang: str) -> list[str]:
        return [n for n, label in names if label == lang]

    def some(items: list, n: int) -> list:
        return rng.sample(items, min(n, len(items)))

    pool = []
    for lang, table, group in SHIFTS_OF:
        respelled = [r for n in of(lang) if (r := to_script(n, table).capitalize()) != n]
        pool += [Item(r, lang, group) for r in some(sorted(set(respelled)), scale.shifted)]
    return pool + [Item(to_script(n, GREEK), "Greek", "Greek in Greek script (control)")
                   for n in some(of("Greek"), scale.controls)]


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


def sentiment_pool(data: Path | None, rng: random.Random, scale: Scale) -> list[Item]:
    items = {}
    for phrases, label in ((PRAISE, "positive"), (COMPLAINTS, "negative")):
        for phrase in phrases:
            for subject in rng.sample(SUBJECTS, scale.subjects):
                text = f"{rng.choice(OPENERS)}{subject} {phrase}{rng.choice(CLOSERS)}"
                items[text] = Item(text, label, f"slang {label}")
    return list(items.values())


# ---------------------------------------------------------------- the community


def in_eval_part(text: str, share: float) -> bool:
    digest = hashlib.sha1(f"eval:{text}".encode()).hexdigest()
    return int(digest[:8], 16) / 16**8 < share


class Clock:
    """The store's clock: the simulation moves it, so votes come in over weeks."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Sim:
    """One scenario's community: the store, the served parent, who voted what, the truth."""

    store: FeedbackStore
    hasher: Hasher
    parent: Predictor
    community: Community
    rng: random.Random
    clock: Clock
    truth: dict[int, str] = field(default_factory=dict)  # prediction id -> true label
    ballots: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    attackers: set[int] = field(default_factory=set)
    asked: int = 0

    @property
    def task(self) -> str:
        return self.parent.task

    @property
    def members(self) -> list[int]:
        return list(range(1, self.community.voters + 1))

    async def ask(self, text: str, truth: str) -> tuple[int, str]:
        """Someone asks the served model (a different person each time); returns the logged
        prediction id and the model's answer."""
        answer = self.parent.predict([text])[0]
        self.asked += 1
        pred_id = await self.store.log_prediction(
            self.task, text, answer.normalized, self.parent.version, answer.label, answer.top,
            guild_id=1, channel_id=1, author_id=100_000 + self.asked)
        self.truth[pred_id], self.ballots[pred_id] = truth, []
        return pred_id, answer.label

    async def vote(self, pred_id: int, voter: int, label: str, model_label: str,
                   moderator: bool = False) -> None:
        await self.store.record_vote(pred_id, voter,
                                     CONFIRMED if label == model_label else label,
                                     is_moderator=moderator)
        self.ballots[pred_id].append((voter, label))

    def honest_label(self, truth: str, voter: int, wrong_voters: set[int]) -> str:
        labels = self.parent.labels
        if voter not in wrong_voters and self.rng.random() < self.community.honest_accuracy:
            return truth
        return self.rng.choice([x for x in labels if x != truth])

    def poisoned(self, e: AgreedExample) -> bool:
        """A wrong label that an attacker's vote carried."""
        return e.label != self.truth[e.prediction_id] and any(
            voter in self.attackers and label == e.label
            for voter, label in self.ballots[e.prediction_id])


async def community_votes(sim: Sim, items: list[Item], scenario: Scenario) -> None:
    """The community answers the voted part of the pool over `weeks`; the scenario may join
    in (the slow adversary does)."""
    c, rng = sim.community, sim.rng
    wrong = set(rng.sample(sim.members, round(scenario.random_wrong_share * c.voters)))
    sim.attackers |= wrong
    step = timedelta(weeks=c.weeks) / max(len(items), 1)
    moderators = [c.voters + 1 + i for i in range(c.moderators)]
    for item in items:
        sim.clock.now += step
        pred_id, model_label = await sim.ask(item.text, item.label)
        for voter in rng.sample(sim.members, rng.randint(c.min_votes, c.max_votes)):
            await sim.vote(pred_id, voter, sim.honest_label(item.label, voter, wrong),
                           model_label)
        if rng.random() < c.moderated_share:
            await sim.vote(pred_id, rng.choice(moderators), item.label, model_label,
                           moderator=True)
        await scenario.during(sim, pred_id, item, model_label)


# ---------------------------------------------------------------- scenarios

SYLLABLES = ("ka", "ki", "sa", "shi", "ta", "to", "na", "no", "ha", "hi", "mi", "mo", "ya",
             "yo", "ri", "wa", "se", "ne")


def invented(ending: str, n: int, rng: random.Random, avoid: set[str] = frozenset()) -> list[str]:
    """Japanese-looking names nobody has: syllables and an ending."""
    names: list[str] = []
    while len(names) < n:
        name = ("".join(rng.choice(SYLLABLES) for _ in range(2)) + ending).capitalize()
        if name not in avoid and name not in names:
            names.append(name)
    return names


@dataclass(frozen=True)
class Scenario:
    """Nobody attacks: the honest community alone (and the base of every other row)."""

    name: str = "honest"
    random_wrong_share: float = 0.0  # of the members, voting a random wrong label always
    attacked_label: str | None = None  # what the attackers push, where they push one

    async def during(self, sim: Sim, pred_id: int, item: Item, model_label: str) -> None:
        """Called after each answer of the community's; attackers voting along act here."""

    async def setup(self, sim: Sim, scale: Scale) -> list[Item]:
        """What exists before the attack (honest agreement); returns the probes."""
        return []

    async def attack(self, sim: Sim, scale: Scale) -> None:
        """The attackers' votes, after the community's."""


@dataclass(frozen=True)
class RandomWrong(Scenario):
    name: str = "random wrong"
    random_wrong_share: float = 0.2


@dataclass(frozen=True)
class Colluders(Scenario):
    """Three new accounts teach a pattern: -kuzawa names are Russian."""

    name: str = "colluders"
    attacked_label: str = "Russian"
    ending: str = "kuzawa"  # of the names they vote on and of the probes

    def names(self, scale: Scale) -> list[str]:
        """The names they vote on, then the unseen ones that probe the pattern."""
        return invented(self.ending, scale.colluded + scale.probes, random.Random(1))

    async def setup(self, sim: Sim, scale: Scale) -> list[Item]:
        return [Item(n, "Japanese", f"unseen -{self.ending}")
                for n in self.names(scale)[scale.colluded:]]

    async def attack(self, sim: Sim, scale: Scale) -> None:
        colluders = [9001, 9002, 9003]
        sim.attackers |= set(colluders)
        for name in self.names(scale)[:scale.colluded]:
            sim.clock.now += timedelta(minutes=7)
            pred_id, model_label = await sim.ask(name, "Japanese")
            for voter in colluders:
                await sim.vote(pred_id, voter, self.attacked_label, model_label)


@dataclass(frozen=True)
class Override(Scenario):
    """Two accounts overturn an honest consensus by voting on the same names in capitals."""

    name: str = "override"
    attacked_label: str = "Russian"

    async def setup(self, sim: Sim, scale: Scale) -> list[Item]:
        names = invented("mura", scale.overridden, random.Random(2))
        for name in names:
            sim.clock.now += timedelta(hours=1)
            pred_id, model_label = await sim.ask(name, "Japanese")
            for voter in sim.rng.sample(sim.members, 5):
                await sim.vote(pred_id, voter, "Japanese", model_label)
        return [Item(n, "Japanese", "overridden name") for n in names]

    async def attack(self, sim: Sim, scale: Scale) -> None:
        attackers = [9101, 9102]
        sim.attackers |= set(attackers)
        sim.clock.now += timedelta(days=2)
        for name in invented("mura", scale.overridden, random.Random(2)):
            sim.clock.now += timedelta(minutes=5)
            pred_id, model_label = await sim.ask(name.upper(), "Japanese")
            for voter in attackers:
                await sim.vote(pred_id, voter, self.attacked_label, model_label)


SLOW = 9201


@dataclass(frozen=True)
class SlowAdversary(Scenario):
    """One account earns its standing by voting with the community for weeks, then spends it
    on answers few others vote on."""

    name: str = "slow adversary"
    attacked_label: str = "Vietnamese"

    async def during(self, sim: Sim, pred_id: int, item: Item, model_label: str) -> None:
        if sim.rng.random() < 0.5:
            sim.attackers.add(SLOW)
            await sim.vote(pred_id, SLOW, item.label, model_label)

    async def setup(self, sim: Sim, scale: Scale) -> list[Item]:
        names = invented("yama", scale.targets, random.Random(3))
        return [Item(n, "Japanese", "slow adversary's target") for n in names]

    async def attack(self, sim: Sim, scale: Scale) -> None:
        for name in invented("yama", scale.targets, random.Random(3)):
            sim.clock.now += timedelta(hours=3)
            pred_id, model_label = await sim.ask(name, "Japanese")
            await sim.vote(pred_id, SLOW, self.attacked_label, model_label)
            await sim.vote(pred_id, sim.rng.choice(sim.members), "Japanese", model_label)


SCENARIOS = (Scenario(), Colluders(), Override(), SlowAdversary(), RandomWrong())


# ---------------------------------------------------------------- one row


def served(model_dir: Path, task: str, trusted: dict[str, AgreedExample]) -> Predictor:
    """What the bot serves: the promoted model with the known-input memory (the data's names
    and the community's trusted labels), as the inference worker and bot/known.py build it."""
    ckpt = load_checkpoint(resolve_checkpoint(task, model_dir), task)
    known = task_spec(task).memory
    memory = None
    if known is not None:
        memory = known.memory(ckpt.known_inputs)
        memory.set_agreed(AgreedInput(key, e.input_text, e.label) for key, e in trusted.items())
    return Predictor(ckpt, memory=memory)


def answers(predictor: Predictor, items: list[Item]) -> list[str]:
    return [a.label for a in predictor.predict([i.text for i in items])]


def accuracy_by_group(predictor: Predictor, items: list[Item]) -> dict:
    right: dict[str, list[bool]] = {"all": []}
    for item, answer in zip(items, predictor.predict([i.text for i in items]), strict=True):
        ok = not isinstance(answer, Exception) and answer.label == item.label
        right["all"].append(ok)
        right.setdefault(item.group, []).append(ok)
    return {group: {"accuracy": sum(oks) / len(oks), "n": len(oks)}
            for group, oks in right.items()}


def keep_report(path: Path | None, results_dir: Path, name: str) -> str | None:
    """Copy finetune's own report out of the temporary model folder."""
    if path is None:
        return None
    results_dir.mkdir(parents=True, exist_ok=True)
    kept = results_dir / f"learning_loop_{name}_finetune.json"
    shutil.copyfile(path, kept)
    shutil.copyfile(path.with_suffix(".png"), kept.with_suffix(".png"))
    return str(kept.relative_to(ROOT) if kept.is_relative_to(ROOT) else kept)


async def run_row(shift: Shift, scenario: Scenario, parent_path: Path, data: Path | None,
                  workdir: Path, community: Community, scale: Scale, cfg: FinetuneConfig,
                  results_dir: Path | None) -> dict:
    task = shift.task
    rng = random.Random(community.seed)
    model_dir, db_path = workdir / "models", workdir / "seqbot.db"
    parent_ckpt = load_checkpoint(parent_path, task)
    served_file = task_dir(model_dir, task) / f"{parent_ckpt.version}.safetensors"
    served_file.parent.mkdir(parents=True)
    shutil.copyfile(parent_path, served_file)  # the model the bot serves when votes come in
    set_current(model_dir, task, parent_ckpt.version)
    parent = Predictor(parent_ckpt)

    pool = shift.pool(data, rng, scale)
    evaluation = [i for i in pool if in_eval_part(i.text, community.eval_share)]
    voted = [i for i in pool if not in_eval_part(i.text, community.eval_share)]
    start = time.perf_counter()
    hasher, clock = Hasher("learning-loop-bench"), Clock()
    async with await FeedbackStore.open(db_path, hasher, clock=clock) as store:
        sim = Sim(store, hasher, parent, community, rng, clock)
        await community_votes(sim, voted, scenario)
        probes = await scenario.setup(sim, scale)
        probes_before = answers(served(model_dir, task, await store.trusted_labels(task)), probes)
        await scenario.attack(sim, scale)
        agreed = await store.agreed_examples(task)
        outcome = await finetune(task, db_path, model_dir=model_dir, data=data, device="cpu",
                                 cfg=cfg)
        trusted = await store.trusted_labels(task)
        now_served = served(model_dir, task, trusted)
    seconds = time.perf_counter() - start
    print(outcome.message)
    probes_after = answers(now_served, probes)
    trained = outcome.feedback.train if outcome.feedback else []
    candidate_path = outcome.report.get("checkpoint")
    candidate = Predictor(load_checkpoint(candidate_path, task)) if candidate_path else None
    report = outcome.report
    attacker_support = [e for e in trained if any(
        v in sim.attackers and label == e.label for v, label in sim.ballots[e.prediction_id])]
    return {
        "task": task, "scenario": scenario.name,
        "parent": parent.version, "served_after": now_served.version,
        "decision": outcome.decision, "decided_by": report.get("gate", {}).get("decided_by"),
        "reasons": report.get("reasons", []) or ([] if report else [outcome.message]),
        "pool": {"voted": len(voted), "evaluation": len(evaluation)},
        "votes": sum(map(len, sim.ballots.values())), "attackers": len(sim.attackers),
        "agreed": len(agreed),
        "poisoned_agreed": sum(map(sim.poisoned, agreed)),
        "trained": len(trained),
        "poisoned_trained": sum(map(sim.poisoned, trained)),
        "poisoned_memory": sum(map(sim.poisoned, trusted.values())),
        "attacker_supported_trained": len(attacker_support),
        "wrong_trained": sum(e.label != sim.truth[e.prediction_id] for e in trained),
        "probes": {"n": len(probes),
                   "changed": sum(b != a for b, a in zip(probes_before, probes_after,
                                                        strict=True)),
                   "attacked_label_before": sum(x == scenario.attacked_label
                                                for x in probes_before),
                   "attacked_label_after": sum(x == scenario.attacked_label
                                               for x in probes_after)},
        "shifted_before": accuracy_by_group(parent, evaluation),
        "shifted_after": accuracy_by_group(candidate or parent, evaluation),
        "test_before": report.get("before", {}).get("test"),
        "test_after": report.get("after", {}).get("test"),
        "holdout_corrections": {k: report.get(k, {}).get("holdout_corrections")
                                for k in ("before", "after")},
        "finetune_report": keep_report(outcome.report_path, results_dir,
                                       f"{task}_{scenario.name.replace(' ', '_')}")
        if results_dir else None,
        "seconds": round(seconds, 1),
    }


# ---------------------------------------------------------------- report

SHIFTS = (
    Shift("origin", origin_pool, min_gain_points=10.0),
    Shift("sentiment", sentiment_pool, min_gain_points=0.0),
)
ATTACKED_TASK = SHIFTS[0].task  # the attack rows are run on the first task's names
MAX_TEST_LOSS_POINTS = 0.5
MAX_SLOW_SHARE = 0.01


def targets(result: dict, shift: Shift) -> dict:
    gain = 100 * (result["shifted_after"]["all"]["accuracy"]
                  - result["shifted_before"]["all"]["accuracy"])
    test_change = (100 * (result["test_after"]["accuracy"] - result["test_before"]["accuracy"])
                   if result["test_before"] else None)
    met: dict[str, bool] = {}
    if result["scenario"] == "honest":
        met[f"shifted gain >= +{shift.min_gain_points:g} points"] = (
            gain >= shift.min_gain_points)
        met[f"clean test loss <= {MAX_TEST_LOSS_POINTS} points"] = (
            test_change is not None and test_change >= -MAX_TEST_LOSS_POINTS)
        met["promoted"] = result["decision"] in ("promoted", "would-promote")
    elif result["scenario"] in ("colluders", "override"):
        met["no poisoned example trained on"] = result["poisoned_trained"] == 0
        met["no poisoned name in the known-name memory"] = result["poisoned_memory"] == 0
        met["probes' served answers unchanged"] = result["probes"]["changed"] == 0
    elif result["scenario"] == "slow adversary":
        share = result["poisoned_trained"] / max(result["trained"], 1)
        met[f"its labels <= {100 * MAX_SLOW_SHARE:g}% of the examples trained on"] = (
            share <= MAX_SLOW_SHARE)
    return {"shifted_gain_points": round(gain, 2),
            "test_change_points": None if test_change is None else round(test_change, 2),
            "met": met}


def print_table(results: list[dict]) -> None:
    print(f"\n{'row':<28}{'agreed':>7}{'poisoned: agreed':>17}{'trained':>9}{'memory':>8}"
          f"{'probes changed':>16}{'shifted gain':>14}{'test':>8}  decision")
    for r in results:
        t, p = r["targets"], r["probes"]
        test = "-" if t["test_change_points"] is None else f"{t['test_change_points']:+.2f}"
        probes = f"{p['changed']}/{p['n']}" if p["n"] else "-"
        print(f"{r['task'] + ' ' + r['scenario']:<28}{r['agreed']:>7}{r['poisoned_agreed']:>17}"
              f"{r['poisoned_trained']:>9}{r['poisoned_memory']:>8}{probes:>16}"
              f"{t['shifted_gain_points']:>+14.1f}{test:>8}  {r['decision']}")
    for r in results:
        print(f"\n{r['task']} {r['scenario']}: {r['decided_by'] or r['reasons']}")
        for target, met in r["targets"]["met"].items():
            print(f"  target {target}: {'met' if met else 'MISSED'}")


def plot(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 1.5 + 0.45 * len(results)))
    names = [f"{r['task']}: {r['scenario']}" for r in results]
    ys = range(len(results))
    gains = [r["targets"]["shifted_gain_points"] for r in results]
    ax1.barh(list(ys), gains, color=["#1f77b4" if r["decision"] == "promoted" else "#9e9e9e"
                                     for r in results])
    for y, r in zip(ys, results, strict=True):
        ax1.text(0.5, y, r["decision"], va="center", fontsize=8)
    ax1.set_yticks(list(ys), names)
    ax1.invert_yaxis()
    ax1.set_xlabel("candidate's gain on the held-out shifted pool (points)")
    for offset, key, colour in ((-0.2, "poisoned_agreed", "#ff7f0e"),
                                (0.2, "poisoned_trained", "#d62728")):
        ax2.barh([y + offset for y in ys], [r[key] for r in results], 0.4, color=colour,
                 label=key.replace("_", " "))
    ax2.set_yticks(list(ys), [""] * len(results))
    ax2.invert_yaxis()
    ax2.set_xlabel("examples with a poisoned label")
    ax2.legend(loc="lower right")
    fig.suptitle("learning loop: simulated community and attackers -> finetune -> gate")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="folder or archives of the data")
    parser.add_argument("--checkpoint", action="append", default=[], metavar="TASK=PATH",
                        help="start from this checkpoint instead of the shipped weights")
    parser.add_argument("--tasks", type=lambda s: tuple(s.split(",")),
                        default=tuple(shift.task for shift in SHIFTS))
    parser.add_argument("--scenarios", type=lambda s: tuple(s.split(",")),
                        default=tuple(s.name for s in SCENARIOS),
                        help="comma-separated (default all); the attacks run on origin only")
    parser.add_argument("--quick", action="store_true",
                        help="a reduced size: smaller pools, a lighter finetune")
    parser.add_argument("--threads", type=int, help="CPU intra-op threads (default 1)")
    parser.add_argument("--anneal", action="store_true",
                        help="fine-tune with the learning rate annealed to zero (finetune's "
                        "--anneal)")
    parser.add_argument("--out", type=Path,
                        default=ROOT / "benchmarks/results/learning_loop.json")
    args = parser.parse_args(argv)
    args.checkpoints = dict(spec.split("=", 1) for spec in args.checkpoint)
    if unknown := (set(args.tasks) | set(args.checkpoints)) - {s.task for s in SHIFTS}:
        parser.error(f"no experiment for task: {sorted(unknown)}")
    if unknown := set(args.scenarios) - {s.name for s in SCENARIOS}:
        parser.error(f"no scenario: {sorted(unknown)}")
    return args


def rows(args: argparse.Namespace) -> list[tuple[Shift, Scenario]]:
    """Every asked scenario on the attacked task; the honest one on the other tasks too."""
    return [(shift, scenario) for shift in SHIFTS if shift.task in args.tasks
            for scenario in SCENARIOS if scenario.name in args.scenarios
            and (shift.task == ATTACKED_TASK or scenario.name == "honest")]


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    configure_threads(args.threads)
    community = Community()
    scale = QUICK if args.quick else Scale()
    cfg = replace(FinetuneConfig(), **(QUICK_FINETUNE if args.quick else {}),
                  anneal=args.anneal)
    results = []
    for shift, scenario in rows(args):
        task = shift.task
        parent = Path(args.checkpoints.get(task) or resolve_checkpoint(task))
        print(f"\n== {task}: {scenario.name}")
        with tempfile.TemporaryDirectory(prefix=f"learning-loop-{task}-") as workdir:
            result = asyncio.run(run_row(shift, scenario, parent, args.data, Path(workdir),
                                         community, scale, cfg, args.out.parent))
        results.append({**result, "targets": targets(result, shift)})
    print_table(results)
    report = {
        "meta": {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                 "torch": torch.__version__, "threads": torch.get_num_threads(),
                 "quick": args.quick, "community": asdict(community), "scale": asdict(scale),
                 "finetune": asdict(cfg)},
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    plot(results, args.out.with_suffix(".png"))
    print(f"\nwrote {args.out} and {args.out.with_suffix('.png')}")
    return report


if __name__ == "__main__":
    main()
