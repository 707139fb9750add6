"""/teach and its scheduled post, driven through discord.py's own dispatch on the fake Discord."""

from __future__ import annotations

import pytest

from benchmarks.fakediscord import payloads as p
from bot.cogs.teach import ASK, NOT_ENABLED, NOTHING_LEFT, POST
from bot.settings import Settings
from db import parse_location
from tests.helpers import bot_settings, running_bot, tiny_worker

STRANGER = 999  # the author of the logged answers: never the viewer
VIEW_CHANNEL = 1 << 10


@pytest.fixture
def settings(tmp_path, database) -> Settings:
    """/teach's history and pool in a database of each backend."""
    return bot_settings(tmp_path, db=parse_location(database))


async def log(bot, guild, text, top, task="origin", author=STRANGER, channel=None) -> int:
    """An answer the served model gave in `guild` (in its #general unless `channel` says
    otherwise), with the given probabilities."""
    version = (await bot.services.client.model_versions())[task]
    return await bot.services.store.log_prediction(
        task, text, text.lower(), version, top[0][0], top, guild.id,
        channel or guild.channel_id, author)


async def enable(fake) -> None:
    root = fake.member(fake.guild, "root", admin=True)
    reply = await (await fake.slash(root, "admin teach enable")).final()
    assert reply["flags"] & 64 and reply["content"].startswith("/teach is on")


async def teach(fake, actor, **options) -> dict:
    return await (await fake.slash(actor, "teach", **options)).final()


def shown_id(reply: dict) -> int:
    return int(reply["components"][0]["components"][0]["custom_id"].split(":")[2])


def subject(reply: dict) -> str:
    return reply["embeds"][0]["description"].splitlines()[0].removeprefix("> ")


async def test_nothing_is_shown_until_an_admin_enables_it(fake, bot):
    await log(bot, fake.guild, "Nakamura", [("Japanese", 0.4), ("Chinese", 0.35)])
    alice = fake.member(fake.guild, "alice")
    reply = await teach(fake, alice)
    assert reply["flags"] & 64 and reply["content"] == NOT_ENABLED
    assert reply["components"] == [] and reply["embeds"] == []
    refused = await (await fake.slash(alice, "admin teach enable")).final()
    assert refused["content"] == "Only server administrators can use this command."
    assert await bot.services.store.teach.shown_count(
        bot.services.store.teach.user_viewer(alice.id)) == 0

    await enable(fake)
    assert subject(await teach(fake, alice)) == "Nakamura"


async def test_the_least_certain_answer_comes_with_vote_buttons(fake, bot):
    await enable(fake)
    await log(bot, fake.guild, "Smith", [("English", 0.9), ("Scottish", 0.05)])
    unsure = await log(bot, fake.guild, "Nakamura", [("Japanese", 0.4), ("Chinese", 0.38)])
    await log(bot, fake.guild, "Kowalski", [("Polish", 0.6), ("Czech", 0.3)])
    other_server = fake.add_guild("Elsewhere")
    await log(bot, other_server, "Dvorak", [("Czech", 0.3), ("Polish", 0.3)])  # not here

    alice = fake.member(fake.guild, "alice")
    reply = await teach(fake, alice)
    assert reply["flags"] & 64 and reply["content"] == ASK
    assert subject(reply) == "Nakamura" and shown_id(reply) == unsure
    assert {f"seqbot:vote:{unsure}:right", f"seqbot:vote:{unsure}:wrong"} <= \
        {c["custom_id"] for c in reply["components"][0]["components"]}

    click = await fake.click(alice, reply, f"seqbot:vote:{unsure}:right")
    await click.followup()
    tally = await bot.services.store.tally(unsure)
    assert (tally.voters, tally.said_right) == (1, 1)


async def test_a_user_never_sees_the_same_item_twice(fake, bot):
    await enable(fake)
    first = await log(bot, fake.guild, "Nakamura", [("Japanese", 0.4), ("Chinese", 0.39)])
    await log(bot, fake.guild, "Schmidt", [("German", 0.5), ("Dutch", 0.3)])
    await log(bot, fake.guild, "Rossi", [("Italian", 0.6), ("Spanish", 0.2)])
    # the same input asked again by someone else: the same item, so never shown again either
    await log(bot, fake.guild, "NAKAMURA", [("Japanese", 0.41), ("Chinese", 0.39)], author=5)
    alice, bob = fake.member(fake.guild, "alice"), fake.member(fake.guild, "bob")

    seen = [subject(await teach(fake, alice)) for _ in range(3)]
    assert seen == ["Nakamura", "Schmidt", "Rossi"]
    assert (await teach(fake, alice))["content"] == NOTHING_LEFT
    assert shown_id(await teach(fake, bob)) == first  # bob has his own history


async def test_one_name_pattern_does_not_fill_the_queue(fake, bot):
    await enable(fake)
    for i, name in enumerate(("Nakayama", "Maruyama", "Katayama")):
        await log(bot, fake.guild, name, [("Japanese", 0.34 + i / 100), ("Chinese", 0.33)])
    await log(bot, fake.guild, "Kowalski", [("Polish", 0.5), ("Czech", 0.2)])
    alice = fake.member(fake.guild, "alice")
    seen = [subject(await teach(fake, alice)) for _ in range(4)]
    # by uncertainty alone all three "-yama" would come first
    assert seen == ["Nakayama", "Kowalski", "Maruyama", "Katayama"]


async def test_teach_is_rate_limited_per_user(fake, checkpoints, tmp_path):
    settings = bot_settings(tmp_path, cooldown_rate=1, cooldown_per=60.0)
    async with running_bot(fake, settings, tiny_worker(checkpoints)) as bot:
        await enable(fake)
        await log(bot, fake.guild, "Nakamura", [("Japanese", 0.4), ("Chinese", 0.38)])
        alice, bob = fake.member(fake.guild, "alice"), fake.member(fake.guild, "bob")
        assert subject(await teach(fake, alice)) == "Nakamura"
        again = await teach(fake, alice)
        assert again["flags"] & 64 and again["content"].startswith("Slow down a little")
        assert subject(await teach(fake, bob)) == "Nakamura"


async def test_pool_candidates_are_scored_logged_and_votable(fake, bot):
    await enable(fake)
    store = bot.services.store
    assert await store.teach.add_to_pool("origin", ["Tanaka", "Ivanov", "  ", "😀😀"], "test") == 3
    alice = fake.member(fake.guild, "alice")
    reply = await teach(fake, alice, task="origin")
    record = await store.get_prediction(shown_id(reply))
    assert record.input_text in {"Tanaka", "Ivanov"}
    assert (record.guild_id, record.author_hash) == (None, None)  # nobody asked it
    assert (await store.teach.pool_stats())["origin"] == {"pooled": 2, "scored": 2}
    click = await fake.click(alice, reply, f"seqbot:vote:{record.id}:right")
    await click.followup()
    assert (await store.tally(record.id)).said_right == 1


async def test_scheduled_post_only_when_enabled_and_in_the_chosen_channel(fake, bot):
    teach_cog = bot.get_cog("Teach")
    root = fake.member(fake.guild, "root", admin=True)
    await log(bot, fake.guild, "Nakamura", [("Japanese", 0.4), ("Chinese", 0.38)])
    await log(bot, fake.guild, "Kowalski", [("Polish", 0.5), ("Czech", 0.3)])
    reply = await (await fake.slash(root, "admin teach post", every_hours=6)).final()
    assert "once /teach is on" in reply["content"]
    assert await teach_cog.post_due() == 0  # scheduled, but /teach is off
    await enable(fake)
    assert await teach_cog.post_due() == 1
    [post] = [c for c in fake.calls if c.path.endswith("/messages") and c.method == "POST"
              and c.path.startswith("/channels/")]
    assert post.path == f"/channels/{fake.guild.channel_id}/messages"
    assert post.body["content"] == POST and post.body["allowed_mentions"] == {"parse": []}
    assert await teach_cog.post_due() == 0  # at most once per interval

    message = next(m for m in fake.messages.values() if m["content"] == POST)
    assert subject(message) == "Nakamura"
    bob = fake.member(fake.guild, "bob")
    await (await fake.click(bob, message, f"seqbot:vote:{shown_id(message)}:right")).followup()
    assert (await bot.services.store.tally(shown_id(message))).voters == 1

    reply = await (await fake.slash(root, "admin teach post", every_hours=0)).final()
    assert reply["content"] == "No more scheduled /teach posts in this server."
    assert (await bot.services.teach.due_posts()) == []


async def test_forget_me_clears_what_teach_showed(fake, bot):
    await enable(fake)
    await log(bot, fake.guild, "Nakamura", [("Japanese", 0.4), ("Chinese", 0.38)])
    alice = fake.member(fake.guild, "alice")
    await teach(fake, alice)
    viewer = bot.services.store.teach.user_viewer(alice.id)
    assert await bot.services.store.teach.shown_count(viewer) == 1
    confirm = await (await fake.slash(alice, "forget-me")).final()
    await (await fake.click(alice, confirm, f"seqbot:forget:{alice.id}:yes")).acknowledged()
    assert await bot.services.store.teach.shown_count(viewer) == 0
    assert subject(await teach(fake, alice)) == "Nakamura"  # history gone: asked afresh


def mods_only(guild: p.Guild, channel_id: int, mods: int) -> dict:
    """A text channel @everyone cannot see, but the `mods` role can."""
    channel = p.text_channel(channel_id, guild.id, "mods-only")
    channel["permission_overwrites"] = [
        {"id": str(guild.id), "type": 0, "allow": "0", "deny": str(VIEW_CHANNEL)},
        {"id": str(mods), "type": 0, "allow": str(VIEW_CHANNEL), "deny": "0"}]
    return channel


def thread(guild: p.Guild, thread_id: int, parent_id: int, *, private: bool = False) -> dict:
    return {"id": str(thread_id), "type": 12 if private else 11, "guild_id": str(guild.id),
            "parent_id": str(parent_id), "owner_id": str(guild.owner_id), "name": "thread",
            "thread_metadata": {"archived": False, "auto_archive_duration": 1440,
                                "archive_timestamp": p.iso_now(), "locked": False},
            "message_count": 0, "member_count": 1, "rate_limit_per_user": 0, "flags": 0,
            "last_message_id": None}


@pytest.fixture
def rooms(fake, monkeypatch) -> dict[str, int]:
    """The server as the bot will see it on connecting: #general, a public #random, a
    #mods-only channel with a public thread, and a private thread in #general."""
    guild = fake.guild
    ids = {"mods": fake.add_role(guild, "mods"), "general": guild.channel_id,
           "random": p.snowflake(), "mods-only": p.snowflake(), "mod thread": p.snowflake(),
           "private thread": p.snowflake()}
    extra_channels = [p.text_channel(ids["random"], guild.id, "random"),
                      mods_only(guild, ids["mods-only"], ids["mods"])]
    threads = [thread(guild, ids["mod thread"], ids["mods-only"]),
               thread(guild, ids["private thread"], ids["general"], private=True)]
    create = guild.payload
    monkeypatch.setattr(guild, "payload", lambda: {
        **create(), "channels": [*create()["channels"], *extra_channels], "threads": threads})
    return ids


async def test_members_are_only_shown_answers_from_channels_they_can_read(
        fake, checkpoints, tmp_path, rooms):
    async with running_bot(fake, bot_settings(tmp_path), tiny_worker(checkpoints)) as bot:
        await enable(fake)
        # by uncertainty alone the mods' questions come first
        for name, room in (("Nakamura", "mods-only"), ("Dvorak", "mod thread"),
                           ("Suzuki", "private thread"), ("Rossi", "random"),
                           ("Kowalski", "general")):
            await log(bot, fake.guild, name, [("Japanese", 0.4), ("Chinese", 0.3)],
                      channel=rooms[room])
        await log(bot, fake.guild, "Ivanov", [("Russian", 0.4), ("Czech", 0.3)],
                  channel=p.snowflake())  # a channel deleted since, or never seen by the bot
        member = fake.member(fake.guild, "member")
        mod = fake.member(fake.guild, "mod", roles=[rooms["mods"]])

        seen = {subject(await teach(fake, member)) for _ in range(2)}
        assert seen == {"Rossi", "Kowalski"}
        assert (await teach(fake, member))["content"] == NOTHING_LEFT
        # a private thread is left out even for those who read its channel: who is in it
        # cannot be told
        seen = {subject(await teach(fake, mod)) for _ in range(4)}
        assert seen == {"Nakamura", "Dvorak", "Rossi", "Kowalski"}
        assert (await teach(fake, mod))["content"] == NOTHING_LEFT


async def test_scheduled_post_only_carries_answers_asked_in_its_channel(
        fake, checkpoints, tmp_path, rooms):
    async with running_bot(fake, bot_settings(tmp_path), tiny_worker(checkpoints)) as bot:
        await log(bot, fake.guild, "Nakamura", [("Japanese", 0.4), ("Chinese", 0.38)],
                  channel=rooms["mods-only"])
        await log(bot, fake.guild, "Rossi", [("Italian", 0.4), ("Spanish", 0.38)],
                  channel=rooms["random"])
        await log(bot, fake.guild, "Kowalski", [("Polish", 0.6), ("Czech", 0.3)])
        root = fake.member(fake.guild, "root", admin=True)
        await (await fake.slash(root, "admin teach post", every_hours=6)).final()
        await enable(fake)
        assert await bot.get_cog("Teach").post_due() == 1
        [message] = [m for m in fake.messages.values() if m["content"] == POST]
        assert int(message["channel_id"]) == rooms["general"]
        assert subject(message) == "Kowalski"
