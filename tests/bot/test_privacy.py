"""What the bot keeps about people, through discord.py's own code paths on the fake Discord:
an analysed message is its author's to erase, and mentions leave no raw Discord id behind."""

from __future__ import annotations

from pathlib import Path

from benchmarks.fakediscord import payloads as p
from db import Hasher
from inference.tasks import ORIGIN

NO_PINGS = {"parse": []}


def answer_id(reply: dict) -> int:
    return int(reply["components"][0]["components"][0]["custom_id"].split(":")[2])


async def forget_me(fake, actor) -> None:
    """/forget-me and its confirmation button, as the user would press them."""
    confirm = await (await fake.slash(actor, "forget-me")).final()
    await (await fake.click(actor, confirm, f"seqbot:forget:{actor.id}:yes")).final()


async def test_an_analysed_message_is_erased_by_its_author_not_by_who_analysed_it(fake, bot):
    alice, bob = fake.member(fake.guild, "alice"), fake.member(fake.guild, "bob")
    target = fake.user_message(alice, "my diary: I hated my sister's wedding")
    reply = await (await fake.message_command(bob, "Analyze sentiment", target)).final()
    pred_id = answer_id(reply)
    store = bot.services.store
    author = Hasher(bot.settings.hash_secret).hash_user(alice.id)
    assert (await store.get_prediction(pred_id)).author_hash == author
    vote = await fake.click(bob, reply, f"seqbot:vote:{pred_id}:right")
    await vote.followup()
    assert (await store.tally(pred_id)).voters == 1

    # bob only asked: his /forget-me takes his vote, not alice's words
    await forget_me(fake, bob)
    assert (await store.tally(pred_id)).voters == 0
    assert (await store.get_prediction(pred_id)).input_text == target["content"]

    await forget_me(fake, alice)
    assert await store.get_prediction(pred_id) is None


async def test_mentions_are_scored_and_stored_without_their_ids(fake, bot):
    alice, bob = fake.member(fake.guild, "alice"), fake.member(fake.guild, "bob")
    role, channel = p.snowflake(), p.snowflake()
    text = f"<@{bob.id}> and <@!{bob.id}> told <@&{role}> in <#{channel}> it was awful"
    plain = "@user and @user told @role in #channel it was awful"
    store = bot.services.store

    reply = await (await fake.slash(alice, "sentiment", text=text)).final()
    record = await store.get_prediction(answer_id(reply))
    assert record.input_text == plain  # stored is what was scored: the model reads mentions
    assert record.normalized == "<user> and <user> told <user> in #channel it was awful"
    assert plain in reply["embeds"][0]["description"]

    target = fake.user_message(alice, f"<@{bob.id}> ruined the party")
    reply = await (await fake.message_command(bob, "Analyze sentiment", target)).final()
    assert (await store.get_prediction(answer_id(reply))).input_text == "@user ruined the party"


async def test_origin_refuses_a_mention_everyone_and_here(fake, bot):
    """A mention given as a name carries an id, never the name; @everyone and @here name
    nobody either: all are refused, without pinging anyone."""
    alice, bob = fake.member(fake.guild, "alice"), fake.member(fake.guild, "bob")
    for name in (f"<@{bob.id}>", "@everyone", "@here"):
        record = await fake.slash(alice, "origin", name=name)
        refused = await record.final()
        assert refused["flags"] & 64 and refused["content"] == ORIGIN.command.mention_error
        assert all(body["allowed_mentions"] == NO_PINGS for body in record.message_bodies())
    assert (await bot.services.feedback.stats())["predictions"]["origin"] == 0


def files_bytes(db_path) -> bytes:
    """The SQLite file with its WAL and shared memory, as they are on disk now."""
    siblings = [Path(db_path), Path(f"{db_path}-wal"), Path(f"{db_path}-shm")]
    return b"".join(path.read_bytes() for path in siblings if path.exists())


async def test_forget_me_leaves_no_copy_in_the_database_or_its_wal_while_the_bot_runs(
        fake, bot):
    alice, bob = fake.member(fake.guild, "alice"), fake.member(fake.guild, "bob")
    diary = "zq my private diary: I loathed the wedding zq"
    reply = await (await fake.slash(alice, "sentiment", text=diary)).final()
    await (await fake.click(alice, reply, f"seqbot:vote:{answer_id(reply)}:right")).followup()
    for n in range(5):  # other people's rows keep the database busy, as in a live server
        await (await fake.slash(bob, "sentiment", text=f"bob's line {n}")).final()
    user_hash = Hasher(bot.settings.hash_secret).hash_user(alice.id).encode()
    db_path = bot.settings.db.sqlite_path
    assert diary.encode() in files_bytes(db_path) and user_hash in files_bytes(db_path)

    await forget_me(fake, alice)

    on_disk = files_bytes(db_path)  # the bot and its connection are still up
    assert diary.encode() not in on_disk
    assert user_hash not in on_disk
    assert b"bob's line 4" in on_disk
