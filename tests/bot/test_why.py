"""The Why? button, clicked through discord.py's dispatch, in-process and through the service."""

from __future__ import annotations

import io

import pytest

from bot.console import Console
from bot.services import Services
from inference.http_client import HttpInferenceClient
from inference.server import InferenceServer
from inference.telemetry import sample
from inference.worker import InferenceWorker
from tests.helpers import component_id, running_bot, tiny_worker, write_checkpoint

NO_PINGS = {"parse": []}
EPHEMERAL = 64
EXPLANATIONS = "seqbot_explanations_total"


async def ask(fake, actor, command="origin", **options):
    return await (await fake.slash(actor, command, **options)).final()


def why_id(message) -> str:
    return component_id(message, "seqbot:why:")


async def why(fake, actor, answer) -> tuple[dict, object]:
    """Click Why? on `answer`; the private reply and the interaction's record."""
    click = await fake.click(actor, answer, why_id(answer))
    reply = await click.final(timeout=10)
    assert reply["flags"] & EPHEMERAL
    assert all(body["allowed_mentions"] == NO_PINGS for body in click.message_bodies())
    return reply, click


def within_discord_limits(embed: dict) -> None:
    assert len(embed["title"]) <= 256 and len(embed["description"]) <= 4096
    assert len(embed["footer"]["text"]) <= 2048
    assert len(embed["title"]) + len(embed["description"]) + len(embed["footer"]["text"]) <= 6000


async def test_every_answer_has_a_why_button_that_explains_privately(fake, bot):
    alice, bob = fake.member(fake.guild, "alice"), fake.member(fake.guild, "bob")
    answer = await ask(fake, alice, name="Kowalski")
    pred_id = int(why_id(answer).split(":")[2])
    record = await bot.services.store.get_prediction(pred_id)
    reply, _ = await why(fake, bob, answer)
    [embed] = reply["embeds"]
    within_discord_limits(embed)
    assert embed["title"] == f"Why {record.label}?"
    lines = embed["description"].splitlines()
    assert lines[0] == "> Kowalski" and lines[1].startswith("Read as: ")
    assert "**" in lines[1] and lines[1].replace("*", "") == "Read as: kowalski"
    assert lines[2] == f"**Toward {record.label}**"
    assert "without it" in lines[3] and lines[3].startswith("`")
    assert record.model_version in embed["footer"]["text"]
    assert "answer came from" not in embed["footer"]["text"]
    assert fake.messages[int(answer["id"])]["embeds"] == answer["embeds"]  # answer untouched


async def test_sentiment_shows_words_both_ways_and_escapes_user_text(fake, bot):
    alice = fake.member(fake.guild, "alice")
    text = ("@everyone I **loved** the film <@123456789012345678> but the plot was boring "
            "_and_ awful")
    answer = await ask(fake, alice, "sentiment", text=text)
    reply, _ = await why(fake, alice, answer)
    [embed] = reply["embeds"]
    description = embed["description"]
    assert "@everyone" not in description and "<@123456789012345678>" not in description
    assert "\\*\\*loved\\*\\*" in description.splitlines()[0]
    assert "**Toward positive**" in description and "**Toward negative**" in description
    assert "↑" in description and "↓" in description  # toward the answer, and away from it


async def test_a_typo_read_as_a_known_word_is_named_on_the_card(fake, bot):
    alice = fake.member(fake.guild, "alice")
    answer = await ask(fake, alice, "sentiment", text="borring actting")
    reply, _ = await why(fake, alice, answer)
    description = reply["embeds"][0]["description"]
    assert "*Read as typos of known words: borring → boring, actting → acting.*" in description
    answer = await ask(fake, alice, "sentiment", text="boring acting")
    reply, _ = await why(fake, alice, answer)
    assert "typos" not in reply["embeds"][0]["description"]


async def test_a_long_message_is_shown_as_snippets_within_limits(fake, bot):
    alice = fake.member(fake.guild, "alice")
    target = fake.user_message(alice, "the movie was good and the acting was awful but " * 90)
    answer = await (await fake.message_command(alice, "Analyze sentiment", target)).final()
    reply, _ = await why(fake, alice, answer)
    [embed] = reply["embeds"]
    within_discord_limits(embed)
    assert "…" in embed["description"]
    assert "only its beginning and its end were read" in embed["description"]


async def test_why_on_an_erased_answer_says_so_privately(fake, bot):
    alice, bob = fake.member(fake.guild, "alice"), fake.member(fake.guild, "bob")
    answer = await ask(fake, alice, name="Nguyen")
    await bot.services.store.forget_user(alice.id)
    reply, _ = await why(fake, bob, answer)
    assert "can't find that answer" in reply["content"] and "explain" in reply["content"]


async def test_why_survives_a_restart_and_names_a_newer_model(fake, checkpoints, settings,
                                                               tmp_path):
    alice, bob = fake.member(fake.guild, "alice"), fake.member(fake.guild, "bob")
    async with running_bot(fake, settings, tiny_worker(checkpoints)):
        answer = await ask(fake, alice, name="Nakamura")
    newer = {**checkpoints, "origin": write_checkpoint(tmp_path / "newer.safetensors", "origin",
                                                      "origin-newer", seed=9)}
    async with running_bot(fake, settings, tiny_worker(newer)):
        reply, _ = await why(fake, bob, answer)
    [embed] = reply["embeds"]
    assert "origin-newer" in embed["footer"]["text"]
    assert "(the answer came from origin-tiny)" in embed["footer"]["text"]


@pytest.mark.parametrize("name", ["Kowalski", "De la Cruz"])
async def test_console_why_explains_the_last_answer(checkpoints, settings, name):
    services = await Services.open(settings, client=tiny_worker(checkpoints))
    out = io.StringIO()
    try:
        console = Console(services, out)
        await console.handle("/why")
        assert "Nothing to explain yet" in out.getvalue()
        await console.handle(f"/origin {name}")
        await console.handle("/why")
    finally:
        await services.close()
    label = console.last.prediction.label
    why = out.getvalue().split(f"Why {label}?\n", 1)[1].splitlines()
    assert why[0].startswith("Read as: ") and "[" in why[0]
    assert why[0].replace("[", "").replace("]", "") == f"Read as: {name.lower()}"
    assert why[1] == f"Toward {label}:" and why[2].startswith("  ")
    assert why[-1].endswith("scored again by origin-tiny")


async def test_why_works_the_same_through_the_inference_service(fake, checkpoints, settings):
    alice = fake.member(fake.guild, "alice")
    async with InferenceWorker(checkpoints=checkpoints, device="cpu", threads=1) as worker:
        server = InferenceServer(worker, port=0)
        await server.start()
        try:
            async with running_bot(fake, settings, HttpInferenceClient(server.url)):
                answer = await ask(fake, alice, "sentiment", text="I loved it, great film!")
                reply, _ = await why(fake, alice, answer)
        finally:
            await server.close()
    [embed] = reply["embeds"]
    assert embed["title"] in ("Why positive?", "Why negative?")
    assert "sentiment-tiny" in embed["footer"]["text"]
    assert sample(worker.registry, EXPLANATIONS, task="sentiment", outcome="ok") == 1
