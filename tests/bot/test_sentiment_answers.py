"""Sentiment as people chat, on the card, through discord.py's own code paths on the fake
Discord: "Mixed or neutral" below the model's threshold, "I read English" for other
languages and gibberish, and votes on such answers still pick positive or negative."""

from __future__ import annotations

import re

import pytest

from bot.present import prediction_card
from bot.services import Answer
from inference.registry import shipped_checkpoint
from inference.results import Prediction
from tests.helpers import component_id, running_bot, tiny_worker, write_ready_sentiment

NEW_WORDS = "**I read English; most of these words are new to me**"


def headline(message: dict) -> str:
    [line] = [line for line in message["embeds"][0]["description"].splitlines()
              if line.startswith("**")]
    return line


def pred_id_of(message: dict) -> int:
    return int(message["components"][0]["components"][0]["custom_id"].split(":")[2])


async def ask(fake, actor, text: str) -> dict:
    return await (await fake.slash(actor, "sentiment", text=text)).final()


@pytest.fixture
async def chat_bot(fake, checkpoints, settings, tmp_path):
    """seqbot serving a sentiment checkpoint ready for chat: every answer not sure, and
    half the words new meaning another language."""
    served = {**checkpoints, "sentiment": write_ready_sentiment(tmp_path / "s.safetensors")}
    async with running_bot(fake, settings, tiny_worker(served)) as bot:
        yield bot


async def test_below_the_threshold_the_card_says_mixed_or_neutral(fake, chat_bot):
    answer = await ask(fake, fake.member(fake.guild, "alice"), "great film")
    assert re.fullmatch(r"\*\*Mixed or neutral — leaning (positive|negative), "
                        r"\d+\.\d%\*\*", headline(answer))
    logged = await chat_bot.services.store.get_prediction(pred_id_of(answer))
    assert logged.label in headline(answer)  # the label stays the most likely one


@pytest.mark.parametrize("text", ["Отличный фильм", "Das Essen war wirklich ausgezeichnet",
                                  "blorf zzyx quux wibble"])
async def test_another_language_or_gibberish_says_so(fake, chat_bot, text):
    answer = await ask(fake, fake.member(fake.guild, "alice"), text)
    assert headline(answer) == NEW_WORDS
    assert "```" in answer["embeds"][0]["description"]  # the chart is still drawn


async def test_a_vote_on_a_not_sure_answer_picks_positive_or_negative(fake, chat_bot):
    alice, bob = fake.member(fake.guild, "alice"), fake.member(fake.guild, "bob")
    answer = await ask(fake, alice, "not bad")
    assert headline(answer).startswith("**Mixed or neutral")
    pred = pred_id_of(answer)
    said = (await chat_bot.services.store.get_prediction(pred)).label
    other = {"positive": "negative", "negative": "positive"}[said]
    menu = await (await fake.click(bob, answer, f"seqbot:vote:{pred}:wrong")).final()
    [select] = menu["components"][0]["components"]
    assert [o["value"] for o in select["options"]] == [other]
    await (await fake.choose(bob, menu, select["custom_id"], [other])).acknowledged()
    right = await fake.click(alice, answer, f"seqbot:vote:{pred}:right")
    await right.acknowledged()
    await fake.wait_until(lambda: "of 2 voters" in fake.messages[int(answer["id"])]["content"])
    assert (await chat_bot.services.store.tally(pred)).counts == {other: 1, said: 1}


def test_the_card_lines_of_each_verdict() -> None:
    top = [("positive", 0.58), ("negative", 0.42)]
    unsure = Prediction("sentiment", "ok", "ok", "positive", 0.58, top, "v",
                        confidence="not_sure")
    assert prediction_card(Answer(unsure, None)).headline == \
        "Mixed or neutral — leaning positive, 58.0%"
    other = Prediction("sentiment", "Отличный", "Otlichnyi", "negative", 0.75,
                       [("negative", 0.75), ("positive", 0.25)], "v",
                       confidence="unknown_language")
    assert prediction_card(Answer(other, None)).headline == \
        "I read English; most of these words are new to me"
    sure = Prediction("sentiment", "great", "great", "positive", 0.9, top, "v")
    assert prediction_card(Answer(sure, None)).headline == "Positive (90.0% confident)"


async def test_the_shipped_model_answers_a_newer_emoji_and_names_it_on_why(
        fake, checkpoints, settings):
    """🤣 is newer than the emoji the training marks come from: the shipped model reads it
    by its Unicode kin (training/emoji_kin.py), on the card and in Why?, as served."""
    served = {**checkpoints, "sentiment": shipped_checkpoint("sentiment")}
    async with running_bot(fake, settings, tiny_worker(served)):
        alice = fake.member(fake.guild, "alice")
        answer = await ask(fake, alice, "🤣🤣🤣")
        assert re.fullmatch(r"\*\*Positive \(\d+\.\d% confident\)\*\*", headline(answer))
        click = await fake.click(alice, answer, component_id(answer, "seqbot:why:"))
        [embed] = (await click.final(timeout=10))["embeds"]
        assert "**Toward positive**" in embed["description"]
        assert ":rofl:" in embed["description"]


async def test_the_shipped_model_answers_a_question_as_not_sure_and_its_statement_as_sure(
        fake, checkpoints, settings):
    """Asking is not saying (training/questions.py): a question about a quality gets "Mixed
    or neutral", its statement a label; a question asking agreement reads as its statement
    (pipeline v5)."""
    served = {**checkpoints, "sentiment": shipped_checkpoint("sentiment")}
    async with running_bot(fake, settings, tiny_worker(served)):
        alice = fake.member(fake.guild, "alice")
        for question in ("is this game hard?", "was the finale any good?"):
            assert headline(await ask(fake, alice, question)).startswith(
                "**Mixed or neutral — leaning"), question
        for statement in ("the finale was good", "wasn't the finale good?"):
            assert re.fullmatch(r"\*\*Positive \(\d+\.\d% confident\)\*\*",
                                headline(await ask(fake, alice, statement))), statement
