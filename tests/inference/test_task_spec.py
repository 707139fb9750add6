"""The task spec: every task described once, preprocessing versioned per task, and a third task
added by its spec alone, served, explained, drawn and stored with no other edit."""

from __future__ import annotations

import string
from dataclasses import replace
from pathlib import Path

import discord
import pytest
import torch

from bot.embeds import COLOURS, card_embed, why_embed
from bot.present import prediction_card, why_card
from bot.services import Requester, Services
from db import CONFIRMED, FeedbackStore, Hasher
from db.records import TASK_NAME
from inference.checkpoint import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
from inference.errors import InputError
from inference.http_client import HttpInferenceClient
from inference.models import ModelConfig, SeqClassifier
from inference.predictor import Predictor
from inference.server import InferenceServer
from inference.tasks import (
    ORIGIN,
    SPECS,
    TASKS,
    CardStyle,
    Command,
    Explaining,
    TaskSpec,
    UnknownPipeline,
    task_spec,
)
from inference.text import SPECIALS, Pipeline, Vocab
from inference.worker import InferenceWorker
from tests.helpers import assert_same_prediction, bot_settings, make_checkpoint, running_bot

HASHER = Hasher("task-spec-test-secret")


def test_every_task_is_described_completely():
    assert tuple(TASKS) == ("origin", "sentiment")
    for spec in SPECS.values():
        assert task_spec(spec.name) is spec and TASK_NAME.fullmatch(spec.name)
        assert spec.card.colour in COLOURS  # the bot can draw it
        assert spec.pipeline() is spec.pipelines[spec.preprocess_version]
        assert spec.top_k >= 1 and 1 <= spec.max_chars <= 6000  # a Discord option's largest
        assert spec.card.headline.format(label="x", Label="X", percent="50%")
    with pytest.raises(ValueError, match="unknown task 'weather'"):
        task_spec("weather")


# ---------------------------------------------------------------- preprocessing versions


def _v2_origin() -> TaskSpec:
    """Origin with a made-up v2 that keeps capitals: what shipping a new pipeline looks like."""
    v1 = ORIGIN.pipeline(1)
    return replace(ORIGIN, pipelines={1: v1, 2: replace(v1, tokenize=list)},
                   preprocess_version=2)


def test_a_checkpoint_is_served_with_the_pipeline_it_was_trained_with(tmp_path, monkeypatch):
    old = make_checkpoint("origin", "origin-v1")  # made under v1, as the shipped weights
    assert old.preprocess_version == 1
    save_checkpoint(old, tmp_path / "old.safetensors")
    monkeypatch.setitem(SPECS, "origin", _v2_origin())

    loaded = load_checkpoint(tmp_path / "old.safetensors", "origin")
    assert loaded.preprocess_version == 1 and loaded.pipeline is ORIGIN.pipeline(1)
    [answer] = Predictor(loaded).predict(["McDonald"])
    assert answer.label  # read as "mcdonald": v1 folds case
    assert loaded.pipeline.units("McDonald")[0] == list("mcdonald")

    new = make_checkpoint("origin", "origin-v2")  # new training records the newest version
    assert new.preprocess_version == 2 and new.pipeline.units("McDonald")[0] == list("McDonald")
    save_checkpoint(new, tmp_path / "new.safetensors")
    assert load_checkpoint(tmp_path / "new.safetensors").preprocess_version == 2

    monkeypatch.setitem(SPECS, "origin", ORIGIN)  # an install without v2 refuses the new model
    with pytest.raises(CheckpointError, match="no preprocessing v2"):
        load_checkpoint(tmp_path / "new.safetensors")
    with pytest.raises(UnknownPipeline, match="this install has v1"):
        ORIGIN.pipeline(2)


# ---------------------------------------------------------------- a third task


def _normalize_word(raw: str) -> str:
    word = "".join(c for c in raw.lower() if c in string.ascii_lowercase)
    if not word:
        raise InputError("Please type a word made of letters a to z.")
    return word


PALINDROME = TaskSpec(
    name="palindrome",
    summary="whether a word reads the same backwards (a toy)",
    pipelines={1: Pipeline(_normalize_word, list, joiner="")},
    preprocess_version=1,
    max_chars=40,
    top_k=2,
    labels=("no", "yes"),
    dataset="none",
    recipe="none",
    explaining=Explaining((1, 2), "occlusion of letters and letter pairs", shown_parts=2,
                          affixes=True),
    card=CardStyle("Palindrome?", "{Label}, {percent} sure", colour="teal",
                   show_normalized=True),
    command=Command("Does a word read the same backwards?", "is a word a palindrome?",
                    option="word", option_help="One word"),
    probe="level",
)


@pytest.fixture
def palindrome(monkeypatch, tmp_path) -> Path:
    """The spec registered, and a tiny checkpoint of it made here."""
    monkeypatch.setitem(SPECS, PALINDROME.name, PALINDROME)
    torch.manual_seed(0)
    vocab = Vocab((*SPECIALS, *string.ascii_lowercase))
    config = ModelConfig(len(vocab), len(PALINDROME.labels), emb_dim=8, hidden=12, cell="gru")
    state = {k: v * 3 for k, v in SeqClassifier(config).state_dict().items()}
    path = tmp_path / "palindrome.safetensors"
    save_checkpoint(Checkpoint("palindrome", config, vocab, PALINDROME.labels, state,
                               "palindrome-tiny"), path)
    return path


async def test_a_third_task_is_served_explained_drawn_and_stored_from_its_spec(
        palindrome, checkpoints, tmp_path):
    assert "palindrome" in TASKS
    worker = InferenceWorker(checkpoints={**checkpoints, "palindrome": palindrome},
                             device="cpu", threads=1, max_wait_ms=1)
    async with worker, await FeedbackStore.open(tmp_path / "seqbot.db", HASHER) as store:
        assert (await worker.model_versions())["palindrome"] == "palindrome-tiny"
        services = Services(worker, store)

        # predict, logged in the store
        answer = await services.predictions.predict("palindrome", "Level!", Requester(7, 1, 2))
        p = answer.prediction
        assert (p.task, p.normalized, p.model_version) == ("palindrome", "level", "palindrome-tiny")
        assert {label for label, _ in p.top} == {"no", "yes"} and answer.votable
        with pytest.raises(InputError, match="letters a to z"):
            await services.predictions.predict("palindrome", "42", Requester(7))
        [default] = await worker.predict("palindrome", ["noon"])
        assert len(default.top) == PALINDROME.top_k

        # the answer card, on Discord's terms
        card = prediction_card(answer)
        assert (card.task, card.title, card.subject, card.read_as) == (
            "palindrome", "Palindrome?", "Level!", "level")
        assert card.headline.startswith(f"{p.label.capitalize()}, ")
        assert card_embed(card).colour == discord.Colour.teal()

        # explain, from the stored input
        why = await services.explanations.explain(answer.prediction_id)
        e = why.explanation
        assert e.units == list("level") and e.joiner == ""
        assert e.method == "occlusion of letters and letter pairs"
        assert {(part.length, part.text) for part in e.parts} == {
            *((1, c) for c in "level"), *((2, pair) for pair in ("le", "ev", "ve", "el"))}
        assert len(e.toward()) <= 2 and all(e.shown(part).strip("-") for part in e.parts)
        drawn = why_card(why)
        assert drawn.title == f"Why {p.label}?" and "".join(t for t, _ in drawn.read) == "level"
        assert why_embed(drawn).colour == discord.Colour.teal()

        # the store: a vote, consensus, statistics
        await services.feedback.vote(answer.prediction_id, Requester(8), CONFIRMED)
        await services.feedback.vote(answer.prediction_id, Requester(9), CONFIRMED)
        [agreed] = await store.agreed_examples("palindrome")
        assert (agreed.input_text, agreed.label) == ("Level!", p.label)
        stats = await services.feedback.stats()
        assert stats["predictions"] == {"origin": 0, "sentiment": 0, "palindrome": 1}
        assert stats["agreed_examples"]["palindrome"] == 1
        assert [s.task for s in await services.models.status()] == list(TASKS)

        # over HTTP: its own endpoints, and the client's answers are the worker's
        server = InferenceServer(worker, port=0)
        await server.start()
        try:
            async with HttpInferenceClient(server.url) as client:
                remote = await client.predict_one("palindrome", "Level!")
                assert_same_prediction(remote, p)
                [explained, refused] = await client.explain("palindrome", ["level", "7"])
                assert isinstance(refused, InputError)
                assert [part.text for part in explained.parts] == [part.text for part in e.parts]
        finally:
            await server.close()


async def test_a_third_task_gets_its_own_discord_command(fake, palindrome, checkpoints,
                                                         tmp_path):
    worker = InferenceWorker(checkpoints={**checkpoints, "palindrome": palindrome},
                             device="cpu", threads=1, max_wait_ms=1)
    async with running_bot(fake, bot_settings(tmp_path), worker) as bot:
        alice = fake.member(fake.guild, "alice")
        reply = await (await fake.slash(alice, "palindrome", word="Kayak")).final()
        [embed] = reply["embeds"]
        assert embed["title"] == "Palindrome?" and embed["color"] == discord.Colour.teal().value
        assert embed["description"].startswith("> Kayak\nRead as: kayak\n")
        assert (await bot.services.feedback.stats())["predictions"]["palindrome"] == 1
        [option] = bot.tree.get_command("palindrome").to_dict(bot.tree)["options"]
        assert (option["name"], option["max_length"]) == ("word", PALINDROME.max_chars)


# ---------------------------------------------------------------- one refusal, every surface


async def _refusals(worker: InferenceWorker, db: Path, task: str,
                    inputs: list[str]) -> list[str]:
    """What the HTTP service and the bot's services (console and Discord alike) say."""
    server = InferenceServer(worker, port=0)
    await server.start()
    try:
        async with HttpInferenceClient(server.url) as client:
            over_http = [str(r) for r in await client.predict(task, inputs)]
    finally:
        await server.close()
    services = Services(worker, await FeedbackStore.open(db, HASHER))
    try:
        in_the_bot = []
        for raw in inputs:
            with pytest.raises(InputError) as refused:
                await services.predictions.predict(task, raw, Requester(user_id=1))
            in_the_bot.append(str(refused.value))
    finally:
        await services.store.close()
    assert over_http == in_the_bot
    return over_http


async def test_one_problem_gets_one_explanation_on_every_surface(worker, db_path):
    """No letters is no letters, whatever was typed; a mention, @everyone and @here are
    refused as a name, over HTTP as in the console and on Discord."""
    assert set(await _refusals(worker, db_path, "origin", ["123", "😀😀", "", "--"])) == {
        "That name has no letters I can read."}
    mentions = ["<@123>", "<@!123>", "<@&5>", "<#7>", "@everyone", "@here", "Smith <@123>"]
    refused = await _refusals(worker, db_path, "origin", mentions)
    assert set(refused) == {ORIGIN.command.mention_error}
    assert set(await _refusals(worker, db_path, "sentiment", ["!!!", "?! ?!", ""])) == {
        "That text has no words I can read."}  # (emoji alone are read: pipeline v2)


async def test_each_task_s_input_limit_is_the_spec_s_on_every_surface(worker, monkeypatch):
    """The spec's max_chars is Discord's option limit, and what the service (HTTP, console,
    predict CLI alike: they all score through it) cuts, saying so, or refuses."""
    from bot.cogs.ask import ask_command

    for spec in SPECS.values():
        [option] = ask_command(spec).parameters
        assert option.max_value == spec.max_chars  # Discord's max_length
    sentiment = task_spec("sentiment")
    monkeypatch.setitem(SPECS, "sentiment", replace(sentiment, max_chars=100))
    monkeypatch.setitem(SPECS, "origin", replace(ORIGIN, max_chars=10))
    long, short = "good film " * 15, "good film " * 9
    assert [p.truncated for p in await worker.predict("sentiment", [long, short])] == [
        True, False]
    [refused, fine] = await worker.predict("origin", ["Abcdefghijk", "Abcdefghij"])
    assert str(refused) == "Names can be at most 10 characters long."
    assert not isinstance(fine, InputError)
