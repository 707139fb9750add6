"""Surnames as people type them, on the card and in Why?, through discord.py's own code paths
on the fake Discord: not sure, known names, scripts and letters, and names the community
agrees on joining and leaving the memory."""

from __future__ import annotations

import pytest

from bot.present import prediction_card
from bot.services import Answer
from inference.checkpoint import load_checkpoint
from inference.predictor import Predictor
from inference.results import Prediction
from tests.helpers import component_id, running_bot, tiny_worker, write_ready_origin

EPHEMERAL = 64


def description(message: dict) -> list[str]:
    return message["embeds"][0]["description"].splitlines()


async def ask(fake, actor, name: str) -> dict:
    return await (await fake.slash(actor, "origin", name=name)).final()


def pred_id_of(message: dict) -> int:
    return int(component_id(message, "seqbot:vote:").split(":")[2])


@pytest.fixture
async def ready_bot(fake, checkpoints, settings, tmp_path):
    """seqbot serving an origin checkpoint made ready to serve: known names, and a not-sure
    threshold every model answer is below."""
    served = {**checkpoints, "origin": write_ready_origin(tmp_path / "origin.safetensors")}
    async with running_bot(fake, settings, tiny_worker(served)) as bot:
        yield bot


async def test_below_the_threshold_the_card_is_not_sure(fake, ready_bot):
    lines = description(await ask(fake, fake.member(fake.guild, "alice"), "Kowalczyk"))
    [headline] = [line for line in lines if line.startswith("**")]
    assert headline.startswith("**Not sure — maybe ") and " or " in headline
    assert "Most likely" not in "\n".join(lines)


async def test_a_known_name_says_so_and_names_every_label_in_the_data(fake, ready_bot):
    alice = fake.member(fake.guild, "alice")
    smith = description(await ask(fake, alice, "SMITH"))
    [headline] = [line for line in smith if line.startswith("**")]
    assert headline.startswith("**Known name: ") and headline.endswith(" in the data**")
    assert {w.strip(",*") for w in headline.split(": ")[1].split()} >= {
        "English", "Scottish", "Czech"}
    nakamura = description(await ask(fake, alice, "Nakamura"))
    assert "**Known name: Japanese in the data**" in nakamura
    assert "```" in nakamura and any(line.startswith("Japanese") for line in nakamura)


async def test_the_card_says_which_script_a_name_is_written_in(fake, ready_bot):
    alice = fake.member(fake.guild, "alice")
    assert "*Written in Hangul (Korean)*" in description(await ask(fake, alice, "김"))
    assert "*Written in Han characters: it could be Chinese or Japanese*" in description(
        await ask(fake, alice, "山田"))
    hebrew = description(await ask(fake, alice, "כהן"))
    assert any(line.startswith("**Written in Hebrew, which none of my languages uses — maybe ")
               for line in hebrew)
    turkish = description(await ask(fake, alice, "Yılmaz"))
    assert any(line.startswith("**Written with ı (Turkish), which none of my languages uses — "
                               "maybe ") for line in turkish)


async def test_why_shows_the_writing_and_the_known_name(fake, ready_bot):
    alice = fake.member(fake.guild, "alice")
    answer = await ask(fake, alice, "Müller")
    reply = await (await fake.click(alice, answer, component_id(answer, "seqbot:why:"))).final(
        timeout=10)
    assert reply["flags"] & EPHEMERAL
    text = reply["embeds"][0]["description"]
    assert "**How it is written**" in text
    assert "`ü` the letter ü (German)" in text and "without it" in text
    known = await ask(fake, alice, "Nakamura")
    reply = await (await fake.click(alice, known, component_id(known, "seqbot:why:"))).final(
        timeout=10)
    text = reply["embeds"][0]["description"]
    assert "*Known name: Japanese in the data, so that is the answer" in text
    # a Han name's pinyin letters move nothing once its odds are even: the clues answer
    han = await ask(fake, alice, "山田")
    reply = await (await fake.click(alice, han, component_id(han, "seqbot:why:"))).final(timeout=10)
    text = reply["embeds"][0]["description"]
    assert "2 Han characters: several, as Japanese surnames are" in text
    assert "the answer comes from how it is written" in text


async def test_an_agreed_name_joins_the_memory_and_leaves_with_its_voters(fake, bot):
    """Votes -> agreed -> the next /origin answers from the memory ("known name"), before
    any finetune; the voters' /forget-me takes it out again."""
    alice, bob, carol, dave = (fake.member(fake.guild, n) for n in
                               ("alice", "bob", "carol", "dave"))
    name = "Zwoelfkuzawa"
    first = await ask(fake, alice, name)
    assert not any(line.startswith("**Known name") for line in description(first))
    said = (await bot.services.store.get_prediction(pred_id_of(first))).label
    agreed = "Japanese" if said != "Japanese" else "Korean"
    for n, voter in enumerate((bob, carol), start=1):
        menu = await (await fake.click(voter, first, component_id(first, "seqbot:vote:")
                                       .replace(":right", ":wrong"))).final()
        [select] = menu["components"][0]["components"]
        await (await fake.choose(voter, menu, select["custom_id"], [agreed])).acknowledged()
        # the answer shows the new count once the vote is in
        await fake.wait_until(lambda n=n: f"of {n} voter" in
                              fake.messages[int(first["id"])]["content"])
    await bot.services.agreed.settled()

    known = description(await ask(fake, dave, name.upper()))
    assert f"**Known name: {agreed} agreed by the community**" in known

    for voter in (bob, carol):
        confirm = await (await fake.slash(voter, "forget-me")).final()
        await (await fake.click(voter, confirm, f"seqbot:forget:{voter.id}:yes")).final()
    await bot.services.agreed.settled()
    again = description(await ask(fake, dave, name))
    assert not any(line.startswith("**Known name") for line in again)


async def test_a_name_a_flagged_group_agreed_stays_out_of_the_memory(fake, bot):
    """Three accounts flagged for correcting confident answers together, plus one other
    voter, agree on a name: it may train (capped), but the memory answers it only once a
    moderator agrees."""
    store = bot.services.store
    colluders = [int(fake.member(fake.guild, f"c{i}").user["id"]) for i in range(3)]
    for i in range(6):
        pred = await store.log_prediction("origin", f"Kuzawa{i}", f"kuzawa{i}", "v", "Japanese",
                                          [("Japanese", 0.99)], fake.guild.id, 1, None)
        for voter in colluders:
            await store.record_vote(pred, voter, "Russian")
    name = "Zwoelfkuzawa"
    first = await ask(fake, fake.member(fake.guild, "alice"), name)
    said = (await store.get_prediction(pred_id_of(first))).label
    agreed = "Japanese" if said != "Japanese" else "Korean"
    for voter in (*colluders, int(fake.member(fake.guild, "bob").user["id"])):
        await store.record_vote(pred_id_of(first), voter, agreed)
    [example] = [e for e in await store.agreed_examples("origin") if e.input_text == name]
    assert example.voter_group and example.label == agreed
    bot.services.agreed.changed()
    await bot.services.agreed.settled()
    dave = fake.member(fake.guild, "dave")
    assert not any(line.startswith("**Known name") for line in
                   description(await ask(fake, dave, name)))

    moderator = int(fake.member(fake.guild, "mod").user["id"])
    await store.record_vote(pred_id_of(first), moderator, agreed, is_moderator=True)
    bot.services.agreed.changed()
    await bot.services.agreed.settled()
    known = description(await ask(fake, dave, name))
    assert f"**Known name: {agreed} agreed by the community**" in known


def test_the_card_lists_the_runners_up_when_not_sure() -> None:
    top = [("Polish", 0.4), ("Czech", 0.3), ("Russian", 0.2)]
    p = Prediction("origin", "Wróbel", "Wrobel", "Polish", 0.4, top, "v", confidence="not_sure")
    card = prediction_card(Answer(p, None))
    assert card.headline == "Not sure — maybe Polish, Czech or Russian"
    sure = prediction_card(Answer(Prediction("origin", "Nowak", "Nowak", "Polish", 0.9,
                                             [("Polish", 0.9)], "v"), None))
    assert sure.headline == "Most likely Polish (90.0%)"


async def test_a_full_name_is_answered_word_by_word(fake, ready_bot, tmp_path):
    """The card answers "Zhang Wei" as the model reads it, word by word
    (inference/name_words.py), not as one long surname."""
    ckpt = load_checkpoint(tmp_path / "origin.safetensors")
    top = {by_word: [label for label, _ in Predictor(ckpt, by_word=by_word).predict(
        ["Zhang Wei"])[0].top] for by_word in (True, False)}
    assert top[True] != top[False]  # the two readings differ: the card shows which it used
    lines = description(await ask(fake, fake.member(fake.guild, "alice"), "Zhang Wei"))
    [headline] = [line for line in lines if line.startswith("**")]
    assert headline == f"**Not sure — maybe {top[True][0]}, {top[True][1]} or {top[True][2]}**"
    assert "*Read word by word: Zhang · Wei*" in lines


async def test_the_card_says_what_of_a_name_was_read(fake, ready_bot):
    alice = fake.member(fake.guild, "alice")
    assert "Read as: Nakamura" in description(await ask(fake, alice, "Dr. Nakamura"))
    particles = description(await ask(fake, alice, "Maria de la Cruz"))
    assert "*Read word by word: Maria · de la Cruz*" in particles
    alone = description(await ask(fake, alice, "Kowalczyk"))
    assert not any("Read" in line for line in alone)
