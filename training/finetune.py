"""Fine-tune the served model on community-agreed labels; promote it only if it is better.

One run, top to bottom:
1. read the agreed examples (db consensus), one label per input as the model reads it, and
   split them by a stable hash into a training part and a held-out part (the same input
   always lands on the same side, run after run, so held-out examples are never trained on
   later; a tight voter group's examples are held out together, by the hash of the group);
   inputs of the test set are never trained on either, and no voter or group supports more
   than a bounded share of the examples trained on;
2. start from the checkpoint the bot serves (promoted CURRENT, else the shipped weights) and
   keep its vocabulary, labels and architecture: new tokens map to <unk>;
3. train a few epochs at a small learning rate on the agreed examples mixed with a replayed
   sample of the original training data, distilled from the parent, so nothing is forgotten;
4. score the current model and the candidate on the same data: the clean test set (overall
   and per class) and the held-out corrections of voters independent of the training ones;
5. gate: refuse a significant loss (McNemar's exact test on the items whose answers changed,
   overall and per class; a paired randomisation test on macro-F1), and ask for a gain on
   the independent held-out corrections; record rejected candidates too, so every run leaves
   a trace and a report that says which rule decided.
A running inference worker picks a promotion up through its CURRENT poller.
"""

from __future__ import annotations

import hashlib
import math
import os
import random
import time
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import torch
from torch import nn

from db import AgreedExample, DatabaseLocation, FeedbackStore, parse_location
from inference.checkpoint import Checkpoint, load_checkpoint, save_checkpoint, unique_version
from inference.errors import InputError
from inference.predictor import Predictor
from inference.registry import promoted_versions, resolve_checkpoint, set_current, task_dir
from training.batching import bucket_batches
from training.data import fingerprint
from training.evaluate import answer
from training.finetune_report import format_report, write_report
from training.fit import encode_examples
from training.loop import predict_logits, warmup_cosine
from training.metrics import fit_temperature, summarize
from training.ready import choose_verdicts
from training.settings import TrainingSettings
from training.significance import NO_ANSWER, Paired, macro_f1_change, mcnemar
from training.splits import Pair, test_set, train_val

EPS = 1e-9  # accuracies are ratios of small integers: compare them without float noise
EXIT_REJECTED = 1  # the gate refused the candidate
EXIT_TOO_FEW = 3  # not enough agreed examples to train and judge a candidate


MIN_CALIBRATION = 100  # validation inputs a temperature is refitted on, at least
LONG_WORDS = 64  # a replayed example longer than this many words counts as a long one


@dataclass
class FinetuneConfig:
    # feedback
    holdout_fraction: float = 0.3  # of the distinct agreed inputs, kept out of training
    min_agreed: int = 20  # usable agreed examples needed to run at all
    min_holdout_corrections: int = 5  # held-out corrections needed to judge a candidate
    # optimisation: a small step away from the parent, mostly on replayed original data
    epochs: int = 4
    batch_size: int = 64
    lr: float = 5e-4
    weight_decay: float = 1e-4
    feedback_repeats: int = 4  # each agreed example is seen this many times per epoch
    replay_ratio: float = 4.0  # replayed original examples per (repeated) agreed example
    min_replay: int = 3000  # ... but at least this many per epoch
    distill_temperature: float = 2.0  # softens the parent's predictions on replayed data
    # the learning rate's course: constant (the loop: its corrections are learnt ~1.5x as far),
    # or warm-up and cosine to zero, which ends annealed and moves the rest of what the model
    # reads less (lessons; docs/learning-loop.md, "Annealed fine-tunes")
    anneal: bool = False
    calibration_size: int = 2000  # validation examples the temperature is refitted on
    # influence: no voter or tight group supports more than this share of the examples
    # trained on (SEQBOT_FINETUNE_MAX_SHARE; the command line reads the setting)
    max_share: float = TrainingSettings.finetune_max_share
    # gate: the chance of refusing a candidate that is no worse, per family of checks: the
    # two overall ones (accuracy, macro-F1) share it, and so do the per-class ones (each
    # loss blocks when its one-sided p is below its share: Bonferroni)
    significance: float = 0.05
    # ... and only a loss larger than these tolerances (fractions: 0.005 = half a point)
    # refuses: on a large test set a real but immaterial shift is significant too
    max_test_drop: float = 0.005  # overall accuracy and macro-F1
    max_class_drop: float = 0.02  # a class's accuracy
    randomisation_rounds: int = 2000  # of the macro-F1 test (and its bootstrap interval)
    test_limit: int = 0  # 0 = the whole test set, else a fixed random sample (faster)
    seed: int = 0


@dataclass(frozen=True)
class Feedback:
    """Agreed examples ready to use: one per input, readable, labelled with a known label."""

    train: list[AgreedExample]
    holdout: list[AgreedExample]
    agreed: int  # rows the store returned, before deduplication
    dropped: dict[str, int]
    fingerprint: str  # of the examples used: an unchanged value means nothing new to learn
    contributions: list[dict] = field(default_factory=list)  # per voter or group, see cap()

    @property
    def evidence(self) -> list[AgreedExample]:
        """Held-out corrections that may vouch for a candidate: those whose voters are
        independent of the training examples' voters. A tight group that also supports
        training examples would vouch for its own labels (the poisoned pattern learned from
        its training half "improves" its held-out half), so its held-out corrections are
        left out of the evidence (and still never trained on)."""
        trained = {e.voter_group for e in self.train if e.voter_group}
        return [e for e in self.holdout
                if not e.model_was_right and e.voter_group not in trained]

    def counts(self) -> dict:
        def split(examples: list[AgreedExample]) -> dict:
            corrections = sum(not e.model_was_right for e in examples)
            return {"corrections": corrections, "confirmations": len(examples) - corrections}

        held_corrections = split(self.holdout)["corrections"]
        return {"agreed": self.agreed, "dropped": self.dropped, "train": split(self.train),
                "holdout": split(self.holdout), "evidence": len(self.evidence),
                "not_independent": held_corrections - len(self.evidence),
                "fingerprint": self.fingerprint}


@dataclass(frozen=True)
class OriginalData:
    """The parent's own data: replayed while tuning, and the yardstick of the gate."""

    train: list[Pair]
    val: list[Pair]
    test: list[Pair]
    test_keys: set[str]  # read_as of every test input, sampled for the gate or not


@dataclass
class Outcome:
    decision: str  # promoted, rejected, would-promote, would-reject, too-few, unchanged
    message: str
    version: str | None = None
    report: dict = field(default_factory=dict)
    report_path: Path | None = None
    feedback: Feedback | None = None  # what the candidate was trained and judged on

    @property
    def exit_code(self) -> int:
        if self.decision in ("rejected", "would-reject"):
            return EXIT_REJECTED
        return EXIT_TOO_FEW if self.decision == "too-few" else 0


class NotEnoughFeedback(Exception):
    """Too few agreed examples to fine-tune on and to judge the result."""


# ---------------------------------------------------------------- feedback


def in_holdout(normalized: str, fraction: float) -> bool:
    """Stable across runs and machines: sha1 of the normalised input, not a random draw."""
    digest = hashlib.sha1(normalized.lower().encode("utf-8")).hexdigest()
    return int(digest[:8], 16) / 16**8 < fraction


def group_in_holdout(group: str, fraction: float) -> bool:
    """A tight voter group's side of the split, as stable as an input's."""
    return bool(group) and in_holdout(f"voter-group:{group}", fraction)


def prepare_feedback(
    examples: list[AgreedExample], ckpt: Checkpoint, cfg: FinetuneConfig
) -> Feedback:
    """One label per input, without inputs the model cannot read or labels it does not have;
    then the hash split. The store already pools every answer of an input (the label with
    the most trusted support: db.trust); for examples that are not pooled, a moderator's
    label wins over the community's and a later over an earlier."""
    # An input is held out if any of its variants' texts hashes there: the hash of the text is
    # the split earlier runs made (so nothing they held out is ever trained on), and a variant
    # held out holds the whole input out (so no two variants straddle the split).
    latest: dict[str, AgreedExample] = {}
    held: set[str] = set()
    for e in sorted(examples, key=lambda e: (e.by_moderator, e.last_vote_at, e.prediction_id)):
        key = ckpt.pipeline.read_as(e.normalized)
        latest[key] = e
        # A tight group's examples are held out together when its hash says so: the held-out
        # evidence then comes from voters the candidate never learned from.
        if (in_holdout(e.normalized, cfg.holdout_fraction)
                or group_in_holdout(e.voter_group, cfg.holdout_fraction)):
            held.add(key)
    dropped = Counter(duplicates=len(examples) - len(latest))
    usable: list[tuple[str, AgreedExample]] = []
    for key, e in latest.items():
        if e.label not in ckpt.labels:
            dropped["unknown_label"] += 1
            continue
        try:
            ckpt.pipeline.encode(ckpt.vocab, e.input_text)
        except InputError:
            dropped["unreadable"] += 1
            continue
        usable.append((key, e))
    usable.sort(key=lambda item: item[1].prediction_id)
    holdout = [e for key, e in usable if key in held]
    train = [e for key, e in usable if key not in held]
    feedback = Feedback(train, holdout, len(examples), dict(dropped),
                        fingerprint([(e.normalized, e.label) for _, e in usable]))
    check_enough(feedback, ckpt.task, cfg)
    return feedback


def without_test_inputs(feedback: Feedback, parent: Checkpoint, test_keys: set[str],
                        cfg: FinetuneConfig) -> Feedback:
    """Agreed examples whose input is in the test set are never trained on: the gate scores
    the test set, and a candidate taught its answers would pass it by memory."""
    read_as = parent.pipeline.read_as
    train = [e for e in feedback.train if read_as(e.normalized) not in test_keys]
    dropped = dict(feedback.dropped)
    if len(train) < len(feedback.train):
        dropped["in_test_set"] = len(feedback.train) - len(train)
    kept = replace(feedback, train=train, dropped=dropped)
    check_enough(kept, parent.task, cfg)
    return kept


def check_enough(feedback: Feedback, task: str, cfg: FinetuneConfig) -> None:
    usable = len(feedback.train) + len(feedback.holdout)
    evidence = len(feedback.evidence)
    if usable < cfg.min_agreed or evidence < cfg.min_holdout_corrections or not feedback.train:
        raise NotEnoughFeedback(
            f"{usable} usable agreed {task} examples ({feedback.agreed} agreed, "
            f"{evidence} held-out corrections from independent voters, "
            f"{len(feedback.train)} to train on): need at least {cfg.min_agreed} examples "
            f"and {cfg.min_holdout_corrections} independent held-out corrections. Let the "
            "community vote on more answers, then run again.")


def supporters(e: AgreedExample) -> list[str]:
    """Who an example's label stands on, as the cap counts it: its tight group as one, else
    each voter on their own."""
    return [f"group:{e.voter_group}"] if e.voter_group else [f"voter:{h}" for h in e.voter_hashes]


def credit(examples: list[AgreedExample]) -> Counter[str]:
    """Each example is one unit of influence, shared equally among its supporters: the
    shares of all supporters add up to the examples (an example no store records supporters
    for credits nobody)."""
    total: Counter[str] = Counter()
    for e in examples:
        behind = supporters(e)
        for s in behind:
            total[s] += 1 / len(behind)
    return total


def cap(feedback: Feedback, task: str, cfg: FinetuneConfig) -> Feedback:
    """No voter or tight group holds more than `max_share` of the examples trained on.

    An example's weight is shared among the voters behind it (a tight group counts as one
    supporter, whoever else voted), so a voter who agrees with many others on many answers
    holds little of each, while one whose labels stand on them alone, or a group voting on
    its own, holds them whole. The supporter furthest over the bound loses its latest
    example, one at a time (which shrinks the total, and with it everyone's bound), until
    nobody is over. Every supporter's share is reported, before and after."""
    train = sorted(feedback.train, key=lambda e: e.prediction_id)
    before, held = credit(train), credit(train)
    theirs: dict[str, list[AgreedExample]] = {}
    for e in train:
        for s in supporters(e):
            theirs.setdefault(s, []).append(e)
    left_out: set[int] = set()
    n = len(train)
    while held:
        top = max(held, key=lambda s: (held[s], s))
        if held[top] <= cfg.max_share * n + 1e-9:
            break
        e = theirs[top].pop()
        left_out.add(e.prediction_id)
        n -= 1
        behind = supporters(e)
        for s in behind:
            held[s] -= 1 / len(behind)
            if s != top:
                theirs[s].remove(e)
    train = [e for e in train if e.prediction_id not in left_out]
    supported = Counter(s for e in feedback.train for s in supporters(e))
    kept = Counter(s for e in train for s in supporters(e))
    contributions = [
        {"supporter": s[:18], "group": s.startswith("group:"), "examples": supported[s],
         "share_before": round(before[s] / len(feedback.train), 4), "trained": kept[s],
         "share": round(held[s] / len(train), 4) if train else 0.0}
        for s in sorted(before, key=lambda s: (-before[s], s))]
    dropped = dict(feedback.dropped)
    if left_out:
        dropped["over_share"] = len(left_out)
    capped = replace(feedback, train=train, dropped=dropped, contributions=contributions)
    check_enough(capped, task, cfg)
    return capped


# ---------------------------------------------------------------- original data


def original_data(task: str, data: str | Path | None, parent: Checkpoint,
                  cfg: FinetuneConfig) -> OriginalData:
    """Train/validation/test as the parent was trained (training.splits: its data set, the
    chat mixture or IMDB alone, and for IMDB the validation carve-out of its own seed), so
    that replay keeps every kind of text the parent learned from."""
    seed = parent.metrics.get("hyperparameters", {}).get("seed", 0)
    trained_on = parent.metrics.get("dataset")
    splits = train_val(task, data, seed, trained_on)
    train, val, test = splits.train, splits.val, test_set(task, data, trained_on)
    pipeline = parent.pipeline
    test_keys = set()
    for raw, _ in test:
        try:
            test_keys.add(pipeline.read_as(pipeline.encode(parent.vocab, raw)[0]))
        except InputError:
            continue
    rng = random.Random(cfg.seed)
    if len(val) > cfg.calibration_size:
        val = rng.sample(val, cfg.calibration_size)
    if cfg.test_limit and len(test) > cfg.test_limit:
        test = rng.sample(test, cfg.test_limit)
    return OriginalData(train, val, test, test_keys)


# ---------------------------------------------------------------- training


def encode_pairs(ckpt: Checkpoint, pairs: list[Pair]) -> tuple[list[list[int]], list[int]]:
    """The checkpoint's own pipeline and vocabulary, as serving reads (fit.encode_examples)."""
    return encode_examples(ckpt.task, ckpt.pipeline, ckpt.vocab, ckpt.labels, pairs)


def tune(
    parent: Checkpoint, feedback: list[Pair], original: OriginalData, cfg: FinetuneConfig,
    device: torch.device,
) -> tuple[Checkpoint, dict]:
    """Fine-tune a copy of the parent for a fixed number of epochs, with no model selection:
    the gate judges the result on data this loop never sees (`without_test_inputs`).

    Agreed examples are learned as hard labels. Replayed original examples are learned as
    the parent's own predictions (distillation), not as their data set labels: the candidate
    is pulled back to what the parent did on the original data, errors included, so it
    changes where the corrections teach it something and as little as possible elsewhere.
    """
    torch.manual_seed(cfg.seed)
    rng = random.Random(cfg.seed)
    teacher = parent.build_model(device)
    model = parent.build_model(device)
    fb_seqs, fb_ys = encode_pairs(parent, feedback)
    fb_seqs, fb_ys = fb_seqs * cfg.feedback_repeats, fb_ys * cfg.feedback_repeats
    fb_targets = nn.functional.one_hot(torch.tensor(fb_ys, dtype=torch.long),
                                        len(parent.labels)).float()
    n_replay = min(len(original.train), max(cfg.min_replay, round(cfg.replay_ratio * len(fb_ys))))
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = (warmup_cosine(opt, math.ceil((len(fb_seqs) + n_replay) / cfg.batch_size),
                           cfg.epochs) if cfg.anneal else None)
    t = cfg.distill_temperature
    start, losses = time.perf_counter(), []
    long = [pair for pair in original.train if len(pair[0].split()) > LONG_WORDS]
    short = [pair for pair in original.train if len(pair[0].split()) <= LONG_WORDS]
    for epoch in range(cfg.epochs):
        replay_seqs, _ = encode_pairs(parent, replay_sample(long, short, n_replay, rng))
        soft = torch.softmax(predict_logits(teacher, replay_seqs, 256, device) / t, dim=-1)
        seqs, targets = fb_seqs + replay_seqs, torch.cat([fb_targets, soft]).to(device)
        model.train()
        total, n = 0.0, 0
        # Batches carry row numbers into `targets`, so hard and soft targets share one loss.
        for ids, lengths, rows in bucket_batches(seqs, list(range(len(seqs))), cfg.batch_size,
                                                 shuffle=True, seed=cfg.seed + epoch,
                                                 device=device):
            # Distil at temperature t (times t^2, which keeps the gradients' size), learn
            # agreed labels at temperature 1.
            scale = torch.where(rows >= len(fb_seqs), t, 1.0).unsqueeze(1)
            loss = (scale.squeeze(1) ** 2 * nn.functional.cross_entropy(
                model(ids, lengths) / scale, targets[rows], reduction="none")).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            if sched is not None:
                sched.step()
            total, n = total + loss.item() * len(rows), n + len(rows)
        losses.append(total / n)
        print(f"finetune epoch {epoch + 1}/{cfg.epochs}: loss {losses[-1]:.4f}")
    # Round to the stored precision first, so every figure reported is the saved file's own.
    state = {k: v.detach().cpu().half().float() if v.is_floating_point() else v.detach().cpu()
             for k, v in model.state_dict().items()}
    model.load_state_dict(state)
    val_seqs, val_ys = encode_pairs(parent, original.val)
    temperature, short = refit_temperatures(parent, predict_logits(model, val_seqs, 256, device),
                                            torch.tensor(val_ys), [len(s) for s in val_seqs])
    candidate = replace(parent, state_dict=state, temperature=temperature, metrics={},
                        short_temperature=short, parent=parent.version,
                        created=datetime.now(timezone.utc).isoformat())
    # A new temperature moves every probability: the verdict thresholds the task's recipe
    # chooses are chosen again; the others (a vocabulary's language check) stay the parent's.
    candidate.verdicts = {**parent.verdicts,
                          **choose_verdicts(Predictor(candidate, device), original.val)}
    info = {"feedback_examples": len(feedback), "replay_per_epoch": n_replay,
            "epoch_loss": [round(x, 4) for x in losses], "temperature": temperature,
            "seconds": round(time.perf_counter() - start, 1)}
    return candidate, info


def replay_sample(long: list[Pair], short: list[Pair], n: int,
                  rng: random.Random) -> list[Pair]:
    """n original examples, half of them long ones where the parent learned from both: the
    chat model's data is 86% short texts, and corrections (short messages) replayed against
    a sample in that proportion moved its reading of reviews (the learning-loop benchmark's
    sentiment candidate lost 2.9 points on negative IMDB reviews)."""
    if not long or not short:
        return rng.sample(long or short, min(n, len(long or short)))
    half = min(n // 2, len(long))
    return rng.sample(long, half) + rng.sample(short, min(n - half, len(short)))


def refit_temperatures(parent: Checkpoint, logits: torch.Tensor, y: torch.Tensor,
                       lengths: list[int]) -> tuple[float, dict]:
    """The temperature, and for a parent that has one the short inputs' own
    (Checkpoint.short_temperature), refitted on the validation inputs of each length; a side
    with fewer than MIN_CALIBRATION inputs keeps the parent's."""
    short = parent.short_temperature
    if not short:
        return fit_temperature(logits, y), {}
    is_short = torch.tensor(lengths) <= short["max_tokens"]

    def fit(rows: torch.Tensor, kept: float) -> float:
        return fit_temperature(logits[rows], y[rows]) if rows.sum() >= MIN_CALIBRATION else kept

    return (fit(~is_short, parent.temperature),
            {**short, "temperature": fit(is_short, short["temperature"])})


# ---------------------------------------------------------------- evaluation and gate


def predictions(predictor: Predictor, pairs: list[Pair]) -> tuple[dict, list[int]]:
    """Metrics of the predictor on the pairs, and its answer to each (NO_ANSWER: refused)."""
    probs, answered = answer(predictor, [raw for raw, _ in pairs])
    truth = torch.tensor([predictor.labels.index(label) for _, label in pairs], dtype=torch.long)
    pred = torch.where(answered, probs.argmax(dim=-1), NO_ANSWER).tolist()
    return summarize(probs, truth, predictor.labels, answered), pred


def accuracy(pred: list[int], truth: list[int]) -> float | None:
    return sum(p == t for p, t in zip(pred, truth, strict=True)) / len(truth) if truth else None


def score(predictor: Predictor, original: OriginalData,
          feedback: Feedback) -> tuple[dict, dict[str, list[int]]]:
    """What the gate compares: the clean test set, and the held-out agreed examples (the
    corrections counted are those of independent voters: `Feedback.evidence`). Returns the
    summary the report keeps and the answers the gate pairs."""
    test, test_pred = predictions(predictor, original.test)
    evidence = [(e.input_text, e.label) for e in feedback.evidence]
    confirmations = [(e.input_text, e.label) for e in feedback.holdout if e.model_was_right]
    truth = {name: [predictor.labels.index(label) for _, label in pairs]
             for name, pairs in (("evidence", evidence), ("confirmations", confirmations))}
    answers = {"test": test_pred,
               "evidence": predictions(predictor, evidence)[1] if evidence else [],
               "confirmations": predictions(predictor, confirmations)[1] if confirmations else []}
    return {
        "test": {
            "accuracy": test["accuracy"], "macro_f1": test["macro_f1"], "ece": test["ece"],
            "n": test["n"],
            "per_class": {label: {"accuracy": r["recall"], "support": r["support"]}
                          for label, r in test["per_class"].items()},
        },
        "holdout_corrections": accuracy(answers["evidence"], truth["evidence"]),
        "holdout_confirmations": accuracy(answers["confirmations"], truth["confirmations"]),
        "holdout": accuracy(answers["evidence"] + answers["confirmations"],
                            truth["evidence"] + truth["confirmations"]),
    }, answers


@dataclass(frozen=True)
class Check:
    """One rule of the gate, its statistic, and whether it refuses the candidate."""

    rule: str
    blocks: bool
    statistic: str
    p: float | None = None
    threshold: float | None = None

    def line(self) -> str:
        return f"{'REFUSES' if self.blocks else 'passes'}  {self.rule}: {self.statistic}"


def gate(test: Paired, evidence: Paired, labels: tuple[str, ...],
         cfg: FinetuneConfig) -> list[Check]:
    """Every rule's verdict; the candidate is promoted when none blocks.

    A loss blocks only when it is significant and larger than its tolerance
    (`cfg.max_test_drop`, `cfg.max_class_drop`): overall test accuracy (McNemar's exact test on
    the items whose answer changed) and test macro-F1 (paired randomisation test), each at
    half of `cfg.significance`; each class's accuracy (McNemar) at its share among the
    classes. A gain is asked of the held-out corrections of independent voters: more of
    them right than before."""
    alpha = cfg.significance / 2
    overall = mcnemar(test)
    f1 = macro_f1_change(test, len(labels), cfg.randomisation_rounds, cfg.seed)
    checks = [Check("test accuracy",
                    overall.p_loss < alpha and overall.drop > cfg.max_test_drop + EPS,
                    overall.describe(), overall.p_loss, alpha),
              Check("test macro-F1",
                    f1.p_loss < alpha and f1.before - f1.after > cfg.max_test_drop + EPS,
                    f1.describe(), f1.p_loss, alpha)]
    present = sorted(set(test.truth))
    per_class = cfg.significance / max(len(present), 1)
    for index in present:
        m = mcnemar(test.only([t == index for t in test.truth]))
        checks.append(Check(f"{labels[index]} test accuracy",
                            m.p_loss < per_class and m.drop > cfg.max_class_drop + EPS,
                            m.describe(), m.p_loss, per_class))
    held = mcnemar(evidence)
    checks.append(Check(
        "held-out corrections (independent voters)", held.gained <= held.lost,
        f"right {held.gained} more, {held.lost} fewer of {held.n} (a gain is needed; "
        f"McNemar exact one-sided p(gain) = {held.p_gain:.3g})", held.p_gain))
    return checks


def decided_by(checks: list[Check]) -> str:
    """Which rule decided, in a sentence for the report."""
    blocking = [c.rule for c in checks if c.blocks]
    if blocking:
        return "refused by " + ", ".join(blocking)
    return ("promoted: no significant loss overall, on macro-F1 or on any class, and a gain on "
            "the held-out corrections of independent voters")


# ---------------------------------------------------------------- the run


def candidates_dir(model_dir: Path, task: str) -> Path:
    """Candidates are written here first: the registry serves only files directly in the
    task's folder, so nothing here is ever served."""
    return task_dir(model_dir, task) / "candidates"


async def finetune(
    task: str,
    db: str | Path | DatabaseLocation,
    *,
    model_dir: str | Path,
    data: str | Path | None = None,
    device: torch.device | str = "cpu",
    cfg: FinetuneConfig | None = None,
    dry_run: bool = False,
) -> Outcome:
    """Run the whole loop once for a task; see the module docstring."""
    cfg = cfg or FinetuneConfig(max_share=TrainingSettings.load().finetune_max_share)
    device = torch.device(device)
    location = parse_location(db)  # a SQLite file or a postgresql:// URL
    if not location.exists():
        raise FileNotFoundError(f"no database at {location}")
    model_dir = Path(model_dir)
    async with await FeedbackStore.open(location, None) as store:
        parent_path = resolve_checkpoint(task, model_dir)
        parent = load_checkpoint(parent_path, task)
        print(f"{task}: current model {parent.version} ({parent_path})")
        try:
            agreed = await store.agreed_examples(task, key=parent.pipeline.read_as)
            feedback = prepare_feedback(agreed, parent, cfg)
        except NotEnoughFeedback as exc:
            return Outcome("too-few", str(exc))
        history = await store.model_versions(task)
        last = history[-1] if history else None
        if last and last.metrics.get("feedback_fingerprint") == feedback.fingerprint \
                and not dry_run:
            return Outcome("unchanged", f"no new agreed {task} examples since {last.version} "
                           f"({last.status}); nothing to do", last.version)
        original = original_data(task, data, parent, cfg)
        try:
            feedback = cap(without_test_inputs(feedback, parent, original.test_keys, cfg),
                           task, cfg)
        except NotEnoughFeedback as exc:
            return Outcome("too-few", str(exc))
        counts = feedback.counts()
        print(f"{task}: training on {len(feedback.train)} agreed examples "
              f"({counts['train']['corrections']} corrections), holding out "
              f"{len(feedback.holdout)} ({counts['holdout']['corrections']} corrections)")
        train_pairs = [(e.input_text, e.label) for e in feedback.train]
        candidate, training = tune(parent, train_pairs, original, cfg, device)
        taken = {v.version for v in history} | set(promoted_versions(model_dir, task))
        candidate.version = unique_version(task, taken | {parent.version})
        before, before_answers = score(Predictor(parent, device), original, feedback)
        after, after_answers = score(Predictor(candidate, device), original, feedback)
        labels = parent.labels
        test_truth = [labels.index(label) for _, label in original.test]
        evidence_truth = [labels.index(e.label) for e in feedback.evidence]
        checks = gate(Paired(test_truth, before_answers["test"], after_answers["test"]),
                      Paired(evidence_truth, before_answers["evidence"],
                             after_answers["evidence"]), labels, cfg)
        reasons = [f"{c.rule}: {c.statistic}" for c in checks if c.blocks]

        if dry_run:
            decision = "would-reject" if reasons else "would-promote"
        else:
            decision = "rejected" if reasons else "promoted"
        # What the checkpoint and its model_versions row carry (the bot shows test_accuracy);
        # the parent's hyper-parameters travel on, since the architecture is still theirs.
        candidate.metrics = {
            "test_accuracy": after["test"]["accuracy"], "test_macro_f1": after["test"]["macro_f1"],
            "test_ece": after["test"]["ece"], "test_n": after["test"]["n"],
            "holdout_correction_accuracy": after["holdout_corrections"],
            "temperature": candidate.temperature, "parent": parent.version,
            "feedback_fingerprint": feedback.fingerprint,
            "hyperparameters": parent.metrics.get("hyperparameters", {}),
            "finetune": asdict(cfg),
        }
        candidate.data_fingerprint = feedback.fingerprint
        report = {
            "task": task, "version": candidate.version, "parent": parent.version,
            "decision": decision, "reasons": reasons, "dry_run": dry_run,
            "gate": {"significance": cfg.significance, "max_test_drop": cfg.max_test_drop,
                     "max_class_drop": cfg.max_class_drop, "decided_by": decided_by(checks),
                     "checks": [asdict(c) for c in checks]},
            "max_share": cfg.max_share, "contributions": feedback.contributions,
            "feedback": counts, "training": training, "before": before, "after": after,
        }
        stem = task_dir(model_dir, task) / "reports" / (
            f"{candidate.version}.dry-run" if dry_run else candidate.version)
        if not dry_run:
            checkpoint = await record(store, model_dir, candidate, promote=not reasons)
            report["checkpoint"] = str(checkpoint)
        report_path = write_report(report, stem)
        print(format_report(report))
        verdict = "; ".join(reasons) if reasons else decided_by(checks)
        return Outcome(decision, f"{task} {candidate.version}: {decision} ({verdict})",
                       candidate.version, report, report_path, feedback)


async def record(store: FeedbackStore, model_dir: Path, candidate: Checkpoint, *,
                 promote: bool) -> Path:
    """Save the candidate, register it, and promote it if asked; returns where it lies.

    Promotion order: the file is written completely (temp file + rename) outside the served
    folder, registered, moved in, and only then does CURRENT point at it: that pointer
    flip is the commit. Until it, the previous model serves; if a step before it fails, the
    file is removed again and the row stays a 'candidate' that never served. The row's
    promotion to 'production' (with the checkpoint's bytes registered beside it) is what
    every other bot and inference process then follows.
    """
    task, version = candidate.task, candidate.version
    staged = candidates_dir(model_dir, task) / f"{version}.safetensors"
    checksum = save_checkpoint(candidate, staged)
    if not promote:
        await store.add_model_version(task, version, staged, checksum, candidate.metrics,
                                      status="rejected")
        return staged
    served = task_dir(model_dir, task) / f"{version}.safetensors"
    try:  # the bytes go into the registry, which every other process follows (db.model_sync)
        await store.add_model_version(task, version, served, checksum, candidate.metrics,
                                      weights=staged.read_bytes())
        os.replace(staged, served)
        set_current(model_dir, task, version)
    except BaseException:
        staged.unlink(missing_ok=True)
        served.unlink(missing_ok=True)
        raise
    await store.set_model_status(task, version, "production")
    return served
