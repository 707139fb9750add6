"""Right / Wrong votes: buttons and select menus clicked through discord.py's dispatch."""

from __future__ import annotations

import pytest

from benchmarks.fakediscord import FakeDiscord
from db import FeedbackStore, Hasher, parse_location
from tests.helpers import bot_settings, db_held, running_bot, sqlite_only, tiny_worker

NO_PINGS = {"parse": []}


@pytest.fixture
async def fake():
    async with FakeDiscord() as fake:
        fake.guild = fake.add_guild()
        fake.mod_role = fake.add_role(fake.guild, "moderators")
        yield fake


@pytest.fixture
def settings(fake, tmp_path, database):
    """Votes land in a database of each backend."""
    return bot_settings(tmp_path, db=parse_location(database),
                        moderator_role_ids=frozenset({fake.mod_role}))


async def ask(fake, actor, command="origin", **options):
    """Run a command and return its public answer message."""
    record = await fake.slash(actor, command, **options)
    return await record.final()


def pred_id_of(message) -> int:
    custom_id = message["components"][0]["components"][0]["custom_id"]
    return int(custom_id.split(":")[2])


async def test_right_vote_lands_in_db_and_count_shows_on_message(fake, bot):
    alice, bob = fake.member(fake.guild, "alice"), fake.member(fake.guild, "bob")
    answer = await ask(fake, alice, name="Nakamura")
    right = fake.find_component(answer, "seqbot:vote:")
    click = await fake.click(bob, answer, right)
    await click.acknowledged()
    assert click.response_type == 7  # the answer itself is updated...
    assert fake.messages[int(answer["id"])]["content"] == "1 of 1 voter agrees with this answer"
    ack = await click.followup()
    assert ack["flags"] & 64 and "Thanks" in ack["content"]  # ...and thanked privately
    assert all(b["allowed_mentions"] == NO_PINGS for b in click.message_bodies())
    tally = await bot.services.store.tally(pred_id_of(answer))
    assert (tally.voters, tally.said_right) == (1, 1)


async def test_wrong_opens_labels_and_the_correction_is_recorded(fake, bot):
    alice, bob = fake.member(fake.guild, "alice"), fake.member(fake.guild, "bob")
    answer = await ask(fake, alice, name="Nakamura")
    model_label = (await bot.services.store.get_prediction(pred_id_of(answer))).label
    wrong = fake.find_component(answer, "seqbot:vote:").replace(":right", ":wrong")
    click = await fake.click(bob, answer, wrong)
    menu = await click.final()
    assert menu["flags"] & 64  # only bob sees the menu
    [select] = menu["components"][0]["components"]
    labels = [o["value"] for o in select["options"]]
    assert len(labels) == 17 and model_label not in labels  # every other origin label
    assert "Japanese" in labels or model_label == "Japanese"
    choice = "Japanese" if model_label != "Japanese" else "Korean"
    pick = await fake.choose(bob, menu, select["custom_id"], [choice])
    await pick.acknowledged()
    assert pick.response_type == 7 and choice in fake.messages[int(menu["id"])]["content"]
    await fake.wait_until(lambda: fake.messages[int(answer["id"])]["content"] != "")
    assert fake.messages[int(answer["id"])]["content"] == "0 of 1 voter agrees with this answer"
    tally = await bot.services.store.tally(pred_id_of(answer))
    assert tally.counts == {choice: 1} and not tally.by_moderator


@sqlite_only  # PostgreSQL's pool answers the click beside a long read
async def test_wrong_is_acknowledged_in_time_when_the_database_is_slow(fake, bot):
    # Discord drops a click not acknowledged within 3 s (the fake does too): while a long read
    # holds the database, Wrong must defer (privately) first, then show its menu.
    alice, bob = fake.member(fake.guild, "alice"), fake.member(fake.guild, "bob")
    answer = await ask(fake, alice, name="Nakamura")
    async with db_held(bot.services.store):
        click = await fake.click(bob, answer, f"seqbot:vote:{pred_id_of(answer)}:wrong")
        ack = await click.acknowledged(timeout=fake.ack_deadline_s)  # while still held
        assert ack.status == 200 and ack.body["type"] == 5  # "thinking...", edited later
        assert ack.body["data"]["flags"] & 64
    menu = await click.final()
    assert menu["flags"] & 64 and "What is the right answer?" in menu["content"]
    assert all(b["allowed_mentions"] == NO_PINGS for b in click.message_bodies())
    [select] = menu["components"][0]["components"]
    pick = await fake.choose(bob, menu, select["custom_id"], [select["options"][0]["value"]])
    await pick.acknowledged()
    assert (await bot.services.store.tally(pred_id_of(answer))).voters == 1
    assert not [c for c in click.calls + pick.calls if c.status >= 400]


async def test_sentiment_correction_offers_the_other_label(fake, bot):
    alice = fake.member(fake.guild, "alice")
    answer = await ask(fake, alice, "sentiment", text="I loved it!")
    model_label = (await bot.services.store.get_prediction(pred_id_of(answer))).label
    click = await fake.click(alice, answer, f"seqbot:vote:{pred_id_of(answer)}:wrong")
    menu = await click.final()
    [select] = menu["components"][0]["components"]
    assert [o["value"] for o in select["options"]] == \
        [{"positive": "negative", "negative": "positive"}[model_label]]


async def test_a_new_vote_replaces_the_old_one(fake, bot):
    alice, bob = fake.member(fake.guild, "alice"), fake.member(fake.guild, "bob")
    answer = await ask(fake, alice, name="Schmidt")
    pred_id = pred_id_of(answer)
    await (await fake.click(bob, answer, f"seqbot:vote:{pred_id}:right")).followup()
    menu = await (await fake.click(bob, answer, f"seqbot:vote:{pred_id}:wrong")).final()
    [select] = menu["components"][0]["components"]
    label = select["options"][0]["value"]
    await (await fake.choose(bob, menu, select["custom_id"], [label])).acknowledged()
    replaced = "0 of 1 voter agrees with this answer"
    await fake.wait_until(lambda: fake.messages[int(answer["id"])]["content"] == replaced)
    tally = await bot.services.store.tally(pred_id)
    assert tally.voters == 1 and tally.counts == {label: 1}


async def test_moderators_vote_as_moderators(fake, bot):
    alice = fake.member(fake.guild, "alice")
    mod = fake.member(fake.guild, "mod", roles=[fake.mod_role])
    answer = await ask(fake, alice, name="Rossi")
    await (await fake.click(mod, answer, f"seqbot:vote:{pred_id_of(answer)}:right")).followup()
    tally = await bot.services.store.tally(pred_id_of(answer))
    assert tally.by_moderator and tally.consensus == tally.top_label


async def test_vote_on_an_erased_prediction_gets_a_clear_private_message(fake, bot):
    alice, bob = fake.member(fake.guild, "alice"), fake.member(fake.guild, "bob")
    answer = await ask(fake, alice, name="Kowalski")
    await bot.services.store.forget_user(alice.id)
    click = await fake.click(bob, answer, f"seqbot:vote:{pred_id_of(answer)}:right")
    reply = await click.final()
    assert reply["flags"] & 64 and "can't find that answer" in reply["content"]


async def test_buttons_keep_working_after_a_restart(fake, checkpoints, settings):
    alice, bob = fake.member(fake.guild, "alice"), fake.member(fake.guild, "bob")
    async with running_bot(fake, settings, tiny_worker(checkpoints)):
        answer = await ask(fake, alice, name="Nguyen")
    async with running_bot(fake, settings, tiny_worker(checkpoints)) as fresh:
        click = await fake.click(bob, answer, f"seqbot:vote:{pred_id_of(answer)}:right")
        await click.followup()
        assert (await fresh.services.store.tally(pred_id_of(answer))).said_right == 1
    async with await FeedbackStore.open(settings.db, Hasher(settings.hash_secret)) as store:
        prediction = await store.get_prediction(pred_id_of(answer))
        assert prediction is not None and prediction.input_text == "Nguyen"


async def test_forget_me_erases_after_confirmation(fake, bot):
    alice, bob = fake.member(fake.guild, "alice"), fake.member(fake.guild, "bob")
    mine = await ask(fake, alice, name="Silva")
    theirs = await ask(fake, bob, name="Abe")
    await (await fake.click(alice, theirs, f"seqbot:vote:{pred_id_of(theirs)}:right")).followup()
    confirm = await (await fake.slash(alice, "forget-me")).final()
    assert confirm["flags"] & 64
    await (await fake.click(alice, confirm, f"seqbot:forget:{alice.id}:no")).acknowledged()
    assert fake.messages[int(confirm["id"])]["content"] == "Nothing was erased."
    assert fake.messages[int(confirm["id"])]["components"] == []
    assert await bot.services.store.get_prediction(pred_id_of(mine)) is not None

    confirm = await (await fake.slash(alice, "forget-me")).final()
    await (await fake.click(alice, confirm, f"seqbot:forget:{alice.id}:yes")).acknowledged()
    assert "erased 1 of your questions and 1 of your votes" in \
        fake.messages[int(confirm["id"])]["content"]
    assert await bot.services.store.get_prediction(pred_id_of(mine)) is None
    assert (await bot.services.store.tally(pred_id_of(theirs))).voters == 0
