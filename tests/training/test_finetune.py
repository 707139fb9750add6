"""The learning loop end to end on tiny data: promote, refuse, crash safely, hot reload."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
from dataclasses import asdict, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest

import inference.checkpoint
import training.finetune
from db import AgreedExample, FeedbackStore
from inference.checkpoint import file_sha256, load_checkpoint
from inference.predictor import Predictor
from inference.registry import CURRENT, current_version, task_dir
from inference.text import normalize_text
from inference.worker import InferenceWorker
from settings import SettingsError
from tests.helpers import community_votes, install, make_checkpoint, names_with_suffix, train_tiny
from training.cli import main, resolve_settings
from training.data import clean_name_splits
from training.finetune import (
    EXIT_REJECTED,
    EXIT_TOO_FEW,
    FinetuneConfig,
    NotEnoughFeedback,
    OriginalData,
    cap,
    credit,
    decided_by,
    encode_pairs,
    finetune,
    gate,
    group_in_holdout,
    in_holdout,
    prepare_feedback,
    replay_sample,
    tune,
)
from training.finetune_report import contribution_lines, format_report
from training.origin import SURE_ACCURACY
from training.ready import answers, sure_threshold
from training.settings import TrainingSettings
from training.significance import Paired, binomial_tail, macro_f1_change

FAST = ["--device", "cpu", "--lr", "3e-3", "--epochs", "6"]


@pytest.fixture(scope="session")
def parent(names_zip):
    return train_tiny("origin", names_zip)


@pytest.fixture
def loop(tmp_path, names_zip, parent, database):
    """A model dir serving the tiny parent, and an empty feedback database (each backend)."""
    model_dir = tmp_path / "models"
    install(model_dir, parent)
    env = SimpleNamespace(db=database, model_dir=model_dir, data=names_zip,
                          parent=parent, folder=task_dir(model_dir, "origin"))
    env.args = ["--db", str(env.db), "--data", str(names_zip), "--model-dir", str(model_dir),
                *FAST]
    return env


async def vote_new_suffix(env, suffix: str = "vili", label: str = "Korean") -> None:
    """40 names with a suffix the model never saw, corrected to `label`, plus 20 names it
    already gets right, confirmed."""
    corrections = [(name, label) for name in names_with_suffix(suffix, 40, seed=1)]
    confirmations = clean_name_splits(env.data).val[:20]
    await community_votes(env.db, "origin", env.parent, corrections + confirmations)


async def versions(env) -> list:
    async with await FeedbackStore.open(env.db, None) as store:
        return await store.model_versions("origin")


async def cli(*args: str) -> int:
    """The CLI runs its own event loop, so it runs in a thread here."""
    return await asyncio.to_thread(main, list(args))


def current(env) -> str:
    return (env.folder / CURRENT).read_text().strip()


def servable(env) -> list[str]:
    return sorted(p.name for p in env.folder.glob("*.safetensors"))


async def test_corrections_are_learned_and_promoted(loop, capsys):
    await vote_new_suffix(loop)
    assert await cli("finetune", "origin", *loop.args) == 0

    [row] = await versions(loop)
    assert row.status == "production" and current(loop) == row.version
    served = loop.folder / f"{row.version}.safetensors"
    assert row.path == str(served) and row.checksum == file_sha256(served)
    async with await FeedbackStore.open(loop.db, None) as store:  # the registry's copy
        assert await store.model_weights(row.checksum) == served.read_bytes()
    assert (loop.folder / f"{loop.parent.version}.safetensors").is_file()  # kept for rollback
    assert not list((loop.folder / "candidates").iterdir())
    ckpt = load_checkpoint(served, "origin")
    assert (ckpt.parent, ckpt.vocab, ckpt.config) == (loop.parent.version, loop.parent.vocab,
                                                      loop.parent.config)
    assert ckpt.metrics == row.metrics and row.metrics["parent"] == loop.parent.version
    # a new temperature: the not-sure threshold is chosen again on validation
    top, right = answers(Predictor(ckpt), clean_name_splits(loop.data).val)
    assert ckpt.verdicts == {"not_sure_below": sure_threshold(top, right, SURE_ACCURACY)}
    assert ckpt.known_inputs == loop.parent.known_inputs

    report = json.loads((loop.folder / "reports" / f"{row.version}.json").read_text())
    assert (loop.folder / "reports" / f"{row.version}.png").stat().st_size > 0
    assert report["decision"] == "promoted" and not report["reasons"]
    assert report["feedback"]["holdout"]["corrections"] >= 5
    assert report["before"]["holdout_corrections"] == 0.0  # the parent got them all wrong
    assert report["after"]["holdout_corrections"] >= 0.8  # never trained on, yet learned
    assert report["after"]["test"]["accuracy"] >= report["before"]["test"]["accuracy"] - 0.005
    assert "promoted" in capsys.readouterr().out

    # Nothing new since: the nightly run does nothing, and says so.
    assert await cli("finetune", "origin", *loop.args) == 0
    assert "no new agreed origin examples" in capsys.readouterr().out
    assert len(await versions(loop)) == 1


async def test_a_candidate_that_hurts_the_test_set_is_refused(loop, capsys):
    # Voters insist that names ending in -ov, -ez, -ski or -eon are Greek: the held-out ones
    # "improve", but names of the test set are lost (none gained: significant), and the gate
    # sees it.
    for suffix in ("ov", "ez", "ski", "eon"):
        await vote_new_suffix(loop, suffix=suffix, label="Greek")
    assert await cli("finetune", "origin", *loop.args) == EXIT_REJECTED

    [row] = await versions(loop)
    assert row.status == "rejected"
    assert Path(row.path).parent == loop.folder / "candidates" and Path(row.path).is_file()
    assert current(loop) == loop.parent.version
    assert servable(loop) == [f"{loop.parent.version}.safetensors"]
    report = json.loads((loop.folder / "reports" / f"{row.version}.json").read_text())
    assert report["decision"] == "rejected"
    assert any(reason.startswith("test accuracy: lost") for reason in report["reasons"])
    assert report["gate"]["decided_by"].startswith("refused by test accuracy")
    assert "REFUSES test accuracy: lost" in capsys.readouterr().out


async def test_test_set_inputs_are_never_trained_on(loop):
    # Users also ask about names of the test set; their corrections must not teach the
    # candidate the answers the gate is about to check.
    test_names = [name for name, _ in clean_name_splits(loop.data).test[:30]]
    await vote_new_suffix(loop)
    await community_votes(loop.db, "origin", loop.parent, [(n, "Korean") for n in test_names])
    outcome = await finetune("origin", loop.db, model_dir=loop.model_dir, data=loop.data,
                             cfg=FinetuneConfig(epochs=1), dry_run=True)
    trainable = sum(not in_holdout(n, 0.3) for n in set(test_names))
    assert trainable > 0
    feedback = outcome.report["feedback"]
    assert feedback["dropped"]["in_test_set"] == trainable
    assert feedback["train"]["corrections"] == sum(
        not in_holdout(n, 0.3) for n in names_with_suffix("vili", 40, seed=1))


async def test_too_few_agreed_examples_is_a_clean_refusal(loop, capsys):
    await community_votes(loop.db, "origin", loop.parent,
                          [(name, "Korean") for name in names_with_suffix("vili", 4, seed=1)])
    assert await cli("finetune", "origin", *loop.args) == EXIT_TOO_FEW
    assert "need at least 20 examples" in capsys.readouterr().err
    assert await versions(loop) == []
    assert current(loop) == loop.parent.version


def test_a_missing_database_is_reported_not_created(tmp_path, capsys):
    db = tmp_path / "nowhere.db"
    assert main(["finetune", "origin", "--db", str(db)]) == 1
    assert "no database" in capsys.readouterr().err and not db.exists()


async def test_dry_run_reports_but_records_and_promotes_nothing(loop):
    await vote_new_suffix(loop)
    assert await cli("finetune", "origin", *loop.args, "--dry-run") == 0
    assert await versions(loop) == []
    assert current(loop) == loop.parent.version
    assert servable(loop) == [f"{loop.parent.version}.safetensors"]
    [report] = (loop.folder / "reports").glob("*.dry-run.json")
    assert json.loads(report.read_text())["decision"] == "would-promote"


async def test_a_crash_while_writing_the_checkpoint_leaves_the_old_model_serving(
        loop, monkeypatch):
    await vote_new_suffix(loop)
    real_save = inference.checkpoint.save_file

    def crash_after_half(tensors, path, metadata=None):
        real_save(tensors, path, metadata=metadata)
        data = Path(path).read_bytes()
        Path(path).write_bytes(data[: len(data) // 2])  # the machine dies mid-write
        raise OSError("disk full")

    monkeypatch.setattr(inference.checkpoint, "save_file", crash_after_half)
    with pytest.raises(OSError, match="disk full"):
        await cli("finetune", "origin", *loop.args)
    assert current(loop) == loop.parent.version
    everything = sorted(p.name for p in loop.folder.rglob("*") if p.is_file())
    assert everything == [CURRENT, f"{loop.parent.version}.safetensors"]  # no partial file
    assert await versions(loop) == []
    assert Predictor.load("origin", model_dir=loop.model_dir).version == loop.parent.version


async def test_a_crash_before_the_pointer_flip_removes_the_new_file(loop, monkeypatch):
    await vote_new_suffix(loop)

    def power_cut(*args):
        raise OSError("power cut")

    monkeypatch.setattr(training.finetune, "set_current", power_cut)
    with pytest.raises(OSError, match="power cut"):
        await cli("finetune", "origin", *loop.args)
    assert current(loop) == loop.parent.version
    assert servable(loop) == [f"{loop.parent.version}.safetensors"]
    assert not list((loop.folder / "candidates").iterdir())
    [row] = await versions(loop)
    assert row.status == "candidate"  # registered, never served


async def test_a_running_worker_serves_the_promotion_and_rolls_back(loop):
    await vote_new_suffix(loop)
    async with InferenceWorker(tasks=["origin"], model_dir=loop.model_dir, device="cpu",
                               threads=1, watch_interval_s=0.05) as worker:
        assert worker.versions()["origin"] == loop.parent.version
        outcome = await finetune("origin", loop.db, model_dir=loop.model_dir, data=loop.data,
                                 cfg=FinetuneConfig(lr=3e-3, epochs=6))
        assert outcome.decision == "promoted"
        for _ in range(100):
            if worker.versions()["origin"] == outcome.version:
                break
            await asyncio.sleep(0.05)
        assert worker.versions()["origin"] == outcome.version
        name = names_with_suffix("vili", 40, seed=1)[0]
        served = await worker.predict_one("origin", name)
        fresh = Predictor.load("origin", model_dir=loop.model_dir).predict([name])[0]
        assert (served.label, served.model_version) == (fresh.label, outcome.version)

        assert await worker.rollback("origin") == loop.parent.version
        assert current(loop) == loop.parent.version
        assert (await worker.predict_one("origin", name)).model_version == loop.parent.version
    assert current_version(loop.model_dir, "origin") == loop.parent.version


async def test_sentiment_runs_the_same_loop(tmp_path, imdb_tar):
    parent = train_tiny("sentiment", imdb_tar)
    model_dir = tmp_path / "models"
    install(model_dir, parent)
    texts = [(f"the {w} film {f}", "positive") for w in ("movie", "plot", "scene", "story")
             for f in ("was a film", "and the actor", "it was", "a scene", "the end", "!")]
    db = tmp_path / "seqbot.db"
    await community_votes(db, "sentiment", parent, texts)
    outcome = await finetune("sentiment", db, model_dir=model_dir, data=imdb_tar,
                             cfg=FinetuneConfig(lr=3e-3, epochs=3, min_holdout_corrections=1),
                             dry_run=True)
    assert outcome.decision in ("would-promote", "would-reject")
    assert outcome.report["before"]["test"]["n"] == 80  # the fixture's whole test split
    assert outcome.report_path.is_file()


def agreed(pred_id: int, text: str, label: str, *, model_label: str = "English",
           moderator: bool = False, minutes: int = 0) -> AgreedExample:
    at = datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=minutes)
    return AgreedExample(pred_id, "origin", text, text, label, model_label, "v0",
                         label == model_label, 2, moderator, at, at)


def test_feedback_keeps_one_label_per_input_and_drops_what_the_model_cannot_use(parent):
    examples = [
        agreed(1, "Ramos", "Spanish", minutes=1),
        agreed(2, "ramos", "Portuguese", minutes=2),  # the later decision wins
        agreed(3, "Kato", "Japanese", moderator=True, minutes=1),
        agreed(4, "Kato", "Korean", minutes=5),  # ... but a moderator's wins over it
        agreed(5, "Bloggs", "Klingon"),  # not a label of this model
        *(agreed(10 + i, name, "Korean") for i, name in
          enumerate(names_with_suffix("vili", 60, seed=2))),
    ]
    cfg = FinetuneConfig()
    feedback = prepare_feedback(examples, parent, cfg)
    used = {e.normalized.lower(): e.label for e in feedback.train + feedback.holdout}
    assert used["ramos"] == "Portuguese" and used["kato"] == "Japanese"
    assert "bloggs" not in used
    assert feedback.dropped == {"duplicates": 2, "unknown_label": 1}
    assert all(in_holdout(e.normalized, 0.3) for e in feedback.holdout)
    assert not any(in_holdout(e.normalized, 0.3) for e in feedback.train)
    assert prepare_feedback(list(reversed(examples)), parent, cfg).fingerprint == \
        feedback.fingerprint


def test_an_annealed_fine_tune_moves_the_parent_less_than_a_constant_rate(parent, names_zip):
    """`anneal` (lessons) takes the learning rate from its peak down to zero; the same
    corrections and replay at finetune's constant rate move every weight further."""
    splits = clean_name_splits(names_zip)
    original = OriginalData(splits.train, splits.val[:200], [], set())
    corrections = [(name, "Korean") for name in names_with_suffix("vili", 40, seed=3)]
    cfg = FinetuneConfig(epochs=2, min_replay=300, calibration_size=200)

    def moved(anneal: bool) -> float:
        candidate, _ = tune(parent, corrections, original, replace(cfg, anneal=anneal), "cpu")
        return sum((candidate.state_dict[k] - v).float().norm().item() ** 2
                   for k, v in parent.state_dict.items() if v.is_floating_point()) ** 0.5

    assert 0 < moved(anneal=True) < 0.8 * moved(anneal=False)


def test_a_full_name_is_learned_word_by_word_as_it_is_served():
    """What a finetune learns of a corrected full name is what serving reads of it: each
    word, with the name's label (inference/name_words.py); one word is one example."""
    parent = make_checkpoint("origin", "o0")
    seqs, ys = encode_pairs(parent, [("Zhang Wei", "Chinese"), ("Ramos", "Spanish"),
                                     ("van der Berg", "Dutch")])
    read = [parent.pipeline.encode(parent.vocab, text)[1]
            for text in ("Zhang", "Wei", "Ramos", "van der Berg")]
    assert seqs == read
    assert ys == [parent.labels.index(label) for label in ("Chinese", "Chinese", "Spanish",
                                                            "Dutch")]


def test_texts_the_model_reads_alike_are_one_input_on_one_side_of_the_split():
    parent = make_checkpoint("sentiment", "s0")
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    variants = ["this album is sick", "This album is sick.", '"this album is sick"',
                "this album is sick , ", "this  album is sick."]
    examples = [AgreedExample(i, "sentiment", text, parent.pipeline.normalize(text), "positive",
                              "negative", "v0", False, 2, False, at + timedelta(minutes=i), at)
                for i, text in enumerate(variants)]
    examples += [AgreedExample(10 + i, "sentiment", f"film number {i} was dull",
                               f"film number {i} was dull", "negative", "positive", "v0",
                               False, 2, False, at, at) for i in range(40)]
    assert len({parent.pipeline.read_as(e.normalized) for e in examples[:5]}) == 1
    feedback = prepare_feedback(examples, parent, FinetuneConfig(min_holdout_corrections=1))
    kept = [e for e in feedback.train + feedback.holdout if "album" in e.input_text]
    assert [e.input_text for e in kept] == [variants[-1]]  # the latest decision
    assert feedback.dropped == {"duplicates": 4}
    # held out if any variant's text is (the split earlier runs made by text still holds)
    assert (kept[0] in feedback.holdout) == any(
        in_holdout(normalize_text(v), 0.3) for v in variants)


def test_what_an_earlier_run_held_out_is_never_trained_on():
    parent = make_checkpoint("sentiment", "s0")
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    texts = [f"Review {i}: a {'dull' if i % 2 else 'great'} film, really!" for i in range(200)]
    examples = [AgreedExample(i, "sentiment", t, normalize_text(t),
                              "negative" if i % 2 else "positive", "positive", "v0",
                              bool(i % 2 == 0), 2, False, at, at)
                for i, t in enumerate(texts)]
    feedback = prepare_feedback(examples, parent, FinetuneConfig(min_holdout_corrections=1))
    held_before = {e.input_text for e in examples if in_holdout(e.normalized, 0.3)}
    assert held_before and held_before <= {e.input_text for e in feedback.holdout}


def test_the_holdout_split_is_stable_and_about_the_asked_size():
    names = [f"Name{i}" for i in range(3000)]
    held = [n for n in names if in_holdout(n, 0.3)]
    assert 0.27 < len(held) / len(names) < 0.33
    assert held == [n for n in names if in_holdout(n.upper(), 0.3)]


LABELS = ("English", "Italian", "Polish")


def paired(rows: list[tuple[int, int, int, int]], n_labels: int = len(LABELS)) -> Paired:
    """(label index, count, parent right?, candidate right?) -> paired answers; a wrong
    answer is the next label."""
    truth, before, after = [], [], []
    for label, count, b, a in rows:
        wrong = (label + 1) % n_labels
        truth += [label] * count
        before += [label if b else wrong] * count
        after += [label if a else wrong] * count
    return Paired(truth, before, after)


EVIDENCE_GAIN = paired([(1, 10, False, True), (1, 5, False, False)])


def gate_report(checks: list) -> dict:
    """The report finetune writes around the gate's checks, enough to format."""
    per_class = {label: {"accuracy": 0.8, "support": 60} for label in LABELS}
    side = {"test": {"accuracy": 0.8, "macro_f1": 0.7, "per_class": per_class},
            "holdout_corrections": 0.1, "holdout_confirmations": 1.0}
    split = {"corrections": 10, "confirmations": 5}
    return {"task": "origin", "version": "v1", "parent": "v0", "decision": "promoted",
            "before": side, "after": side, "max_share": 0.2, "contributions": [],
            "feedback": {"train": split, "holdout": split, "evidence": 15,
                         "dropped": {}},
            "gate": {"significance": 0.05, "max_test_drop": 0.005, "max_class_drop": 0.02,
                     "decided_by": decided_by(checks),
                     "checks": [asdict(c) for c in checks]}}


def test_two_italian_names_of_63_lost_is_noise_and_the_report_shows_its_p():
    # The benchmark's origin candidate: Italian 50 -> 48 of 63 test names, the rest as before.
    test = paired([(0, 400, True, True), (0, 100, False, False),
                   (1, 48, True, True), (1, 2, True, False), (1, 13, False, False),
                   (2, 40, True, True), (2, 20, False, False)])
    checks = gate(test, EVIDENCE_GAIN, LABELS, FinetuneConfig())
    assert not [c for c in checks if c.blocks]
    [italian] = [c for c in checks if c.rule == "Italian test accuracy"]
    assert italian.p == 0.25  # two losses, no gain: P(X >= 2 | X ~ Bin(2, 1/2))
    assert italian.threshold == pytest.approx(0.05 / 3)
    text = format_report(gate_report(checks))
    assert "passes  Italian test accuracy: lost 2, gained 0 of 63 (-3.17 points): McNemar " \
           "exact one-sided p(loss) = 0.25 [threshold 0.0167]" in text
    assert "decided: promoted: no significant loss" in text


def test_a_large_real_loss_is_refused_and_the_report_says_by_which_rules():
    test = paired([(0, 400, True, True), (0, 100, False, False),
                   (1, 30, True, True), (1, 20, True, False), (1, 13, False, False),
                   (2, 40, True, True), (2, 20, False, False)])
    checks = gate(test, EVIDENCE_GAIN, LABELS, FinetuneConfig())
    blocking = {c.rule: c for c in checks if c.blocks}
    assert set(blocking) == {"test accuracy", "test macro-F1", "Italian test accuracy"}
    assert blocking["Italian test accuracy"].p == 0.5 ** 20
    assert "refused by test accuracy, test macro-F1, Italian test accuracy" in \
        format_report(gate_report(checks))


def test_gains_elsewhere_do_not_hide_a_class_that_lost_ground():
    # Overall about even (20 lost, 25 gained), but every loss is Polish.
    test = paired([(0, 300, True, True), (0, 25, False, True),
                   (2, 30, True, True), (2, 20, True, False)])
    checks = {c.rule: c for c in gate(test, EVIDENCE_GAIN, LABELS, FinetuneConfig())}
    assert not checks["test accuracy"].blocks
    assert checks["Polish test accuracy"].blocks


def test_a_significant_but_immaterial_shift_between_classes_passes():
    # Sentiment-sized: 12,500 reviews per class; the candidate calls 240 more negative
    # reviews positive (1.9 points, p ~ 1e-60) and gets as many positive ones right.
    test = paired([(0, 10_000, True, True), (0, 2_260, False, False), (0, 240, False, True),
                   (1, 10_000, True, True), (1, 2_260, False, False), (1, 240, True, False)],
                  n_labels=2)
    labels = ("positive", "negative")
    checks = {c.rule: c for c in gate(test, EVIDENCE_GAIN, labels, FinetuneConfig())}
    assert checks["negative test accuracy"].p < 1e-50
    assert not [c for c in checks.values() if c.blocks]
    tight = FinetuneConfig(max_class_drop=0.01)
    assert [c.rule for c in gate(test, EVIDENCE_GAIN, labels, tight) if c.blocks] == [
        "negative test accuracy"]


def test_the_candidate_must_be_better_on_independent_held_out_corrections():
    test = paired([(0, 100, True, True)])
    flat = paired([(1, 3, False, True), (1, 3, True, False), (1, 9, False, False)])
    [held] = [c for c in gate(test, flat, LABELS, FinetuneConfig()) if c.blocks]
    assert held.rule == "held-out corrections (independent voters)"
    assert not [c for c in gate(test, EVIDENCE_GAIN, LABELS, FinetuneConfig()) if c.blocks]


def test_the_exact_binomial_tail():
    assert binomial_tail(0, 0) == 1.0 and binomial_tail(3, 2) == 0.0
    assert binomial_tail(2, 2) == 0.25 and binomial_tail(1, 2) == 0.75
    assert binomial_tail(8, 10) == pytest.approx(56 / 1024)
    assert binomial_tail(600, 1000) == pytest.approx(1.364e-10, rel=1e-3)


def test_the_macro_f1_test_matches_mcnemar_where_only_correct_answers_changed():
    # 4 items lost, none gained, nothing else moved: 1 of the 16 swaps is as low, p = 1/16.
    test = paired([(0, 200, True, True), (1, 200, True, True), (1, 4, True, False)])
    change = macro_f1_change(test, len(LABELS), rounds=4000, seed=0)
    assert change.after < change.before
    assert change.p_loss == pytest.approx(1 / 16, abs=0.01)
    assert change.low <= change.after - change.before <= change.high


def voted(pred_id: int, name: str, voters: tuple[str, ...], group: str = "",
          label: str = "Korean") -> AgreedExample:
    return replace(agreed(pred_id, name, label), voter_hashes=voters, voter_group=group)


def test_no_voter_or_group_holds_more_than_the_share_trained_on(parent):
    names = names_with_suffix("vili", 190, seed=3)
    # 100 examples of a spread community (two of 12 voters behind each), a prolific voter
    # agreeing with them on 60 of them, a tight group alone behind 40 more, and a voter
    # alone behind 50 more (a moderator, say).
    examples = [voted(i, name, (f"h{i % 12}", f"h{(i + 1) % 12}", *(("prolific",) * (i < 60))))
                for i, name in enumerate(names[:100])]
    examples += [voted(100 + i, name, ("x", "y"), group="ring")
                 for i, name in enumerate(names[100:140])]
    examples += [voted(200 + i, name, ("solo",)) for i, name in enumerate(names[140:])]
    cfg = FinetuneConfig(holdout_fraction=0.0, min_holdout_corrections=0)
    feedback = cap(prepare_feedback(examples, parent, cfg), "origin", cfg)
    kept = len(feedback.train)
    assert max(credit(feedback.train).values()) <= 0.2 * kept
    # ring and solo keep x each, x <= 0.2 * (100 + 2x): 33; the community's 100 all stay
    assert {e.prediction_id for e in examples[:100]} <= {e.prediction_id
                                                           for e in feedback.train}
    assert kept == 166 and feedback.dropped["over_share"] == 190 - kept
    shares = {r["supporter"]: r for r in feedback.contributions}
    assert (shares["group:ring"]["trained"], shares["voter:solo"]["trained"]) == (33, 33)
    assert shares["voter:solo"]["share_before"] == round(50 / 190, 4)
    # a third of each of 60 examples: 20 of 166, under the bound, so nothing of it is cut
    assert shares["voter:prolific"]["trained"] == 60
    assert shares["voter:prolific"]["share"] == round(20 / 166, 4)
    assert "voter:x" not in shares  # a group member counts in the group, not on their own
    lines = contribution_lines({"contributions": feedback.contributions, "max_share": 0.2,
                                "feedback": {"dropped": feedback.dropped}})
    assert f"{190 - kept} left out over it" in lines[0]
    assert lines[1].split()[:5] == ["voter:solo", "50", "supported", "26.3%", "->"]


def test_the_cap_leaves_a_spread_community_alone(parent):
    names = names_with_suffix("vili", 60, seed=4)
    examples = [voted(i, name, (f"h{i % 12}", f"h{(i + 1) % 12}"))
                for i, name in enumerate(names)]
    cfg = FinetuneConfig(holdout_fraction=0.0, min_holdout_corrections=0)
    feedback = prepare_feedback(examples, parent, cfg)
    assert cap(feedback, "origin", cfg).train == feedback.train


def group_on(side: bool) -> str:
    return next(g for g in (f"ring{i}" for i in range(100))
                if group_in_holdout(g, 0.3) == side)


def test_held_out_corrections_count_only_when_their_voters_are_independent(parent):
    """A tight group's held-out labels must not vouch for its own training labels."""
    trains, holds = group_on(False), group_on(True)
    names = names_with_suffix("kuzawa", 90, seed=5)
    ring = [voted(i, n, ("a", "b", "c"), group=trains) for i, n in enumerate(names[:30])]
    other = [voted(100 + i, n, ("d", "e"), group=holds) for i, n in enumerate(names[30:60])]
    honest = [voted(200 + i, n, (f"h{i}", f"h{i + 1}")) for i, n in enumerate(names[60:])]
    feedback = prepare_feedback(ring + other + honest, parent,
                                FinetuneConfig(min_holdout_corrections=1))
    sides = {e.prediction_id: e in feedback.holdout for e in feedback.train + feedback.holdout}
    # the group held out is held out whole; the training group's inputs still split by hash
    assert all(sides[e.prediction_id] for e in other)
    ring_held = [e for e in ring if sides[e.prediction_id]]
    assert ring_held and len(ring_held) < len(ring)
    assert all(in_holdout(e.normalized, 0.3) for e in ring_held)
    evidence = {e.prediction_id for e in feedback.evidence}
    assert not evidence & {e.prediction_id for e in ring}  # never trained on, never evidence
    assert {e.prediction_id for e in other} <= evidence
    assert {e.prediction_id for e in honest if sides[e.prediction_id]} <= evidence
    assert feedback.counts()["not_independent"] == len(ring_held)


def test_colluders_alone_cannot_supply_the_evidence_that_judges_them(parent):
    ring = group_on(False)
    examples = [voted(i, n, ("a", "b", "c"), group=ring)
                for i, n in enumerate(names_with_suffix("kuzawa", 60, seed=6))]
    with pytest.raises(NotEnoughFeedback, match="0 held-out corrections from independent"):
        prepare_feedback(examples, parent, FinetuneConfig())


def test_the_share_cap_is_read_from_the_setting_unless_the_flag_gives_one():
    settings = TrainingSettings.from_mapping({"SEQBOT_FINETUNE_MAX_SHARE": "0.1"})
    for given, expected in ((None, 0.1), (0.3, 0.3)):
        args = argparse.Namespace(max_share=given)
        resolve_settings(args, settings)
        assert args.max_share == expected
    assert FinetuneConfig().max_share == TrainingSettings().finetune_max_share == 0.2
    with pytest.raises(SettingsError, match="SEQBOT_FINETUNE_MAX_SHARE"):
        TrainingSettings.from_mapping({"SEQBOT_FINETUNE_MAX_SHARE": "0"})


def test_replay_anchors_long_and_short_texts_alike():
    long = [(" ".join(["word"] * 80) + f" {i}", "positive") for i in range(100)]
    short = [(f"short {i}", "negative") for i in range(1000)]
    sample = replay_sample(long, short, 60, random.Random(0))
    assert len(sample) == 60 and sum(pair in long for pair in sample) == 30
    assert len(replay_sample(long[:10], short, 60, random.Random(0))) == 60  # short fill in
    names = replay_sample([], short, 60, random.Random(0))  # one kind only: as before
    assert names == random.Random(0).sample(short, 60)
