"""Slash commands and the context menu, through discord.py's own code paths."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from inference.checkpoint import save_checkpoint
from inference.factory import make_client
from inference.server import InferenceServer
from inference.worker import InferenceWorker
from tests.helpers import (
    ModelGate,
    bot_settings,
    make_checkpoint,
    running_bot,
    tiny_checkpoints,
    tiny_worker,
)

NO_PINGS = {"parse": []}


async def test_origin_answers_with_top3_and_buttons(fake, bot):
    alice = fake.member(fake.guild, "alice")
    record = await fake.slash(alice, "origin", name="Nakamura")
    message = await record.final()
    assert record.response_type == 4
    [embed] = message["embeds"]
    assert "Nakamura" in embed["description"]
    assert embed["footer"]["text"].startswith("model origin-tiny")
    buttons = [c["custom_id"] for row in message["components"] for c in row["components"]]
    assert buttons == ["seqbot:vote:1:right", "seqbot:vote:1:wrong", "seqbot:why:1"]
    assert all(body["allowed_mentions"] == NO_PINGS for body in record.message_bodies())


def description(message) -> str:
    return message["embeds"][0]["description"]


async def test_origin_shows_the_transliterated_name(fake, bot):
    record = await fake.slash(fake.member(fake.guild, "alice"), "origin", name="Dvořák")
    text = description(await record.final())
    assert "> Dvořák" in text and "Read as: Dvorak" in text
    plain = description(await (await fake.slash(fake.member(fake.guild, "bob"), "origin",
                                                name="Smith")).final())
    assert "Read as" not in plain


async def test_sentiment_says_when_the_text_was_truncated(fake, bot):
    alice = fake.member(fake.guild, "alice")
    short = await (await fake.slash(alice, "sentiment", text="great film")).final()
    assert short["embeds"][0]["title"] == "Sentiment" and "truncated" not in description(short)
    assert "only its beginning and its end were read" not in description(short)
    long = await (await fake.slash(alice, "sentiment", text="the film " * 220)).final()
    assert "only its beginning and its end were read" in description(long)
    assert long["embeds"][0]["footer"]["text"].startswith("model sentiment-tiny")


async def test_context_menu_analyzes_a_message(fake, bot):
    alice, bob = fake.member(fake.guild, "alice"), fake.member(fake.guild, "bob")
    target = fake.user_message(alice, "I hated the movie and I hated the plot")
    record = await fake.message_command(bob, "Analyze sentiment", target)
    answer = await record.final()
    assert "I hated the movie" in description(answer)
    assert answer["components"][0]["components"][0]["custom_id"].startswith("seqbot:vote:")
    prediction = await bot.services.store.get_prediction(1)
    assert prediction.task == "sentiment" and prediction.input_text == target["content"]


async def test_context_menu_on_a_message_without_text(fake, bot):
    alice = fake.member(fake.guild, "alice")
    record = await fake.message_command(alice, "Analyze sentiment", fake.user_message(alice, ""))
    reply = await record.final()
    assert reply["flags"] & 64 and "no text" in reply["content"]


async def test_bad_input_is_a_friendly_private_reply_not_an_error(fake, bot, caplog):
    record = await fake.slash(fake.member(fake.guild, "alice"), "origin", name="1234 !!")
    reply = await record.final()
    assert reply["flags"] & 64
    assert reply["content"] == "That name has no letters I can read."
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    assert (await bot.services.feedback.stats())["predictions"]["origin"] == 0


async def test_mentions_in_input_are_shown_not_pinged(fake, bot):
    alice = fake.member(fake.guild, "alice")
    record = await fake.slash(alice, "sentiment", text="@everyone <@&123456789012345678> *great*")
    answer = await record.final()
    text = description(answer)
    assert "@\u200beveryone" in text and "\\*great\\*" in text
    assert "@role" in text and "123456789012345678" not in text  # read without its id
    bodies = record.message_bodies()
    assert bodies and all(b["allowed_mentions"] == NO_PINGS for b in bodies)


async def test_works_in_direct_messages(fake, bot):
    record = await fake.slash(fake.dm_user("dora"), "origin", name="Kim")
    answer = await record.final()
    assert answer["embeds"] and answer["components"]
    prediction = await bot.services.store.get_prediction(1)
    assert prediction.guild_id is None


async def test_about_lists_models_accuracy_and_votes(fake, bot, checkpoints):
    store = bot.services.store
    await store.add_model_version("origin", "origin-tiny", checkpoints["origin"], "0" * 64,
                                  {"test_accuracy": 0.8125}, status="production")
    alice = fake.member(fake.guild, "alice")
    answer = await (await fake.slash(alice, "origin", name="Ng")).final()
    vote = answer["components"][0]["components"][0]["custom_id"]
    await (await fake.click(alice, answer, vote)).followup()
    about = await (await fake.slash(alice, "about")).final()
    assert about["flags"] & 64
    text = description(about)
    assert "origin: origin-tiny (81.2% test accuracy)" in text
    assert "sentiment: sentiment-tiny (test accuracy not recorded)" in text
    assert "1 vote on 1 answer." in text


@pytest.fixture(scope="module")
def scored_checkpoints(tmp_path_factory):
    """Like the tiny ones, but origin's checkpoint recorded its test scores when trained."""
    folder = tmp_path_factory.mktemp("scored")
    checkpoints = tiny_checkpoints(folder)
    origin = make_checkpoint("origin", "origin-scored", seed=1)
    origin.metrics = {"test_accuracy": 0.8125, "test_macro_f1": 0.7654, "test_ece": 0.04,
                      "test_n": 2000}
    save_checkpoint(origin, checkpoints["origin"])
    return checkpoints


@pytest.mark.parametrize("via", ["worker", "http"])
async def test_about_shows_the_scores_the_served_checkpoint_recorded(
        fake, scored_checkpoints, tmp_path, via):
    async with contextlib.AsyncExitStack() as stack:
        if via == "worker":
            client, settings = tiny_worker(scored_checkpoints), bot_settings(tmp_path)
        else:  # the scores travel in the service's /healthz
            worker = await stack.enter_async_context(tiny_worker(scored_checkpoints))
            server = InferenceServer(worker, port=0)
            await server.start()
            stack.push_async_callback(server.close)
            settings = bot_settings(tmp_path, inference_url=server.url)
            client = make_client(server.url)
        bot = await stack.enter_async_context(running_bot(fake, settings, client))
        # The database's record of the version is only a fallback for scores it lacks.
        await bot.services.store.add_model_version(
            "origin", "origin-scored", scored_checkpoints["origin"], "0" * 64,
            {"test_accuracy": 0.5, "test_macro_f1": 0.5}, status="production")
        await bot.services.store.add_model_version(
            "sentiment", "sentiment-tiny", scored_checkpoints["sentiment"], "1" * 64,
            {"test_accuracy": 0.875}, status="production")
        about = await (await fake.slash(fake.member(fake.guild, "alice"), "about")).final()
    text = description(about)
    assert "origin: origin-scored (81.2% test accuracy, 76.5% macro-F1)" in text
    assert "sentiment: sentiment-tiny (87.5% test accuracy)" in text


async def test_help_explains_every_command(fake, bot):
    reply = await (await fake.slash(fake.member(fake.guild, "alice"), "help")).final()
    names = [field["name"] for field in reply["embeds"][0]["fields"]]
    assert reply["flags"] & 64
    assert {"/origin name", "/sentiment text", "/about", "/forget-me"} <= set(names)


async def test_cooldown_per_user(fake, checkpoints, tmp_path):
    settings = bot_settings(tmp_path, cooldown_rate=1, cooldown_per=60.0)
    async with running_bot(fake, settings, tiny_worker(checkpoints)):
        alice, bob = fake.member(fake.guild, "alice"), fake.member(fake.guild, "bob")
        assert (await (await fake.slash(alice, "origin", name="Abe")).final())["embeds"]
        again = await (await fake.slash(alice, "sentiment", text="great")).final()
        assert again["flags"] & 64
        assert again["content"].startswith("Slow down a little: try again in ")
        assert int(again["content"].split()[-2]) in range(58, 61)
        menu = await fake.message_command(alice, "Analyze sentiment",
                                          fake.user_message(bob, "great film"))
        assert (await menu.final())["content"].startswith("Slow down")
        assert (await (await fake.slash(bob, "origin", name="Abe")).final())["embeds"]


async def test_busy_models_get_a_friendly_retry(fake, checkpoints, tmp_path, monkeypatch):
    # One queue slot: with the model thread busy on alice's request and bob's waiting,
    # the worker's backpressure turns carol away at once.
    gate = ModelGate(monkeypatch)
    worker = InferenceWorker(checkpoints=checkpoints, device="cpu", threads=1, max_queue=1)
    async with running_bot(fake, bot_settings(tmp_path), worker):
        alice, bob, carol = (fake.member(fake.guild, n) for n in ("alice", "bob", "carol"))
        first = await fake.slash(alice, "origin", name="Abe")
        await gate.wait_entered()
        second = await fake.slash(bob, "origin", name="Kim")
        while worker.queue_depth("origin") < 1:
            await asyncio.sleep(0.01)
        busy = await (await fake.slash(carol, "origin", name="Ng")).final()
        assert busy["flags"] & 64 and "try again in a few seconds" in busy["content"]
        gate.open()
        assert (await first.final())["embeds"] and (await second.final())["embeds"]
