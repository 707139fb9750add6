"""The learning loop end to end on tiny data: promote, refuse, crash safely, hot reload."""

from __future__ import annotations

import asyncio
import json
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
from inference.tasks import SENTIMENT
from inference.text import normalize_text
from inference.worker import InferenceWorker
from tests.helpers import community_votes, install, make_checkpoint, names_with_suffix, train_tiny
from training.cli import main
from training.data import clean_name_splits
from training.finetune import (
    EXIT_REJECTED,
    EXIT_TOO_FEW,
    FinetuneConfig,
    finetune,
    gate,
    in_holdout,
    prepare_feedback,
)
from training.origin import SURE_ACCURACY
from training.ready import answers, sure_threshold

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
    # Voters insist that names ending in -ov are Greek: the held-out ones "improve", but the
    # Russian names of the test set are lost, and the gate sees it.
    await vote_new_suffix(loop, suffix="ov", label="Greek")
    assert await cli("finetune", "origin", *loop.args) == EXIT_REJECTED

    [row] = await versions(loop)
    assert row.status == "rejected"
    assert Path(row.path).parent == loop.folder / "candidates" and Path(row.path).is_file()
    assert current(loop) == loop.parent.version
    assert servable(loop) == [f"{loop.parent.version}.safetensors"]
    report = json.loads((loop.folder / "reports" / f"{row.version}.json").read_text())
    assert report["decision"] == "rejected"
    assert any("test accuracy fell" in reason for reason in report["reasons"])
    assert "test accuracy fell" in capsys.readouterr().err


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


def test_texts_the_model_reads_alike_are_one_input_on_one_side_of_the_split():
    parent = make_checkpoint("sentiment", "s0")
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    variants = ["this album is sick", "This album is sick.", '"this album is sick"',
                "this album is SICK , ", "this  album is sick."]
    examples = [AgreedExample(i, "sentiment", text, normalize_text(text), "positive",
                              "negative", "v0", False, 2, False, at + timedelta(minutes=i), at)
                for i, text in enumerate(variants)]
    examples += [AgreedExample(10 + i, "sentiment", f"film number {i} was dull",
                               f"film number {i} was dull", "negative", "positive", "v0",
                               False, 2, False, at, at) for i in range(40)]
    assert len({SENTIMENT.pipeline().read_as(e.normalized) for e in examples[:5]}) == 1
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


def scores(accuracy: float, german: float, holdout: float, german_n: int = 60) -> dict:
    return {"test": {"accuracy": accuracy, "per_class": {
        "German": {"accuracy": german, "support": german_n},
        "Irish": {"accuracy": 0.5, "support": 10}}}, "holdout_corrections": holdout}


def test_the_gate_thresholds():
    cfg = FinetuneConfig()
    before = scores(0.830, 0.50, 0.10)
    assert gate(before, scores(0.825, 0.48, 0.11), cfg) == []  # both drops at the limit
    assert "test accuracy fell 0.60" in gate(before, scores(0.824, 0.50, 0.5), cfg)[0]
    assert "German test accuracy fell 3.00" in gate(before, scores(0.83, 0.47, 0.5), cfg)[0]
    small = scores(0.83, 0.50, 0.10, german_n=49)
    assert gate(small, scores(0.83, 0.30, 0.5, german_n=49), cfg) == []  # too few to judge
    assert "did not improve" in gate(before, scores(0.84, 0.5, 0.10), cfg)[0]


