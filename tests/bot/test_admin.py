"""/admin commands, their server-side permission checks, and publishing the commands."""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil

import pytest

from benchmarks.fakediscord import FakeDiscord, pointed_at
from bot import cli
from db import FeedbackStore
from inference.worker import InferenceWorker
from tests.helpers import (
    HASHER,
    bot_settings,
    db_held,
    promote,
    running_bot,
    write_checkpoint,
)

OWNER = 777
NOT_OWNER = "Only the bot's owners can use this command."


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """Two promoted versions of each model, the second CURRENT."""
    folder = tmp_path_factory.mktemp("models")
    for task in ("origin", "sentiment"):
        promote(folder, task, f"{task}-v1", seed=1)
        promote(folder, task, f"{task}-v2", seed=2)
    return folder


@pytest.fixture
def models(tmp_path, model_dir):
    """The registry is changed by rollback: each test has its own copy."""
    return _copy(model_dir, tmp_path / "models")


@pytest.fixture
def settings(fake, tmp_path, models):
    return bot_settings(tmp_path, model_dir=models, owner_ids=frozenset({OWNER}),
                        model_sync_s=0.02)


@pytest.fixture
async def bot(fake, settings, models):
    worker = InferenceWorker(model_dir=models, device="cpu", threads=1)
    async with running_bot(fake, settings, worker) as bot:
        yield bot


def _copy(source, target):
    shutil.copytree(source, target)
    return target


def checksum(models, version: str) -> str:
    task = version.split("-")[0]
    return hashlib.sha256((models / task / f"{version}.safetensors").read_bytes()).hexdigest()


async def reply_to(fake, actor, command, **options) -> dict:
    return await (await fake.slash(actor, command, **options)).final()


def owner_of(fake):
    return fake.member(fake.guild, "owner", admin=True, user_id=OWNER)


async def test_non_admins_are_refused_server_side(fake, bot):
    # default_permissions only hides the command; a server can change that, so the bot checks.
    member = fake.member(fake.guild, "mallory")
    for command in ("admin status", "admin stats", "admin rollback"):
        options = {"task": "origin"} if command.endswith("rollback") else {}
        reply = await reply_to(fake, member, command, **options)
        assert reply["flags"] & 64
        assert reply["content"] == "Only server administrators can use this command."
    assert bot.services.client.versions()["origin"] == "origin-v2"  # nothing rolled back


async def test_commands_for_every_server_are_for_owners_only(fake, bot):
    # Anyone can create a server and invite the bot: its admin must not change the models
    # every server is served, nor ignore voters of other servers.
    alice = fake.member(fake.guild, "alice")
    answer = await reply_to(fake, alice, "origin", name="Smith")
    await (await fake.click(alice, answer, fake.find_component(answer, "seqbot:vote:"))).followup()
    mallory = fake.member(fake.add_guild("Mallory's own server"), "mallory", admin=True)
    for command, options in [("admin rollback", {"task": "origin"}),
                             ("admin reload", {"task": "origin", "version": "origin-v1"}),
                             ("admin quarantine", {"user": alice})]:
        reply = await reply_to(fake, mallory, command, **options)
        assert reply["flags"] & 64 and reply["content"] == NOT_OWNER, command
    assert bot.services.client.versions()["origin"] == "origin-v2"
    assert (await bot.services.store.stats())["ignored_voters"] == 0


async def test_only_owners_see_the_voters_of_every_server(fake, bot):
    alice, bob = fake.member(fake.guild, "alice"), fake.member(fake.guild, "bob")
    answer = await reply_to(fake, alice, "origin", name="Smith")
    for voter in (alice, bob):
        await (await fake.click(voter, answer,
                                fake.find_component(answer, "seqbot:vote:"))).followup()
    admin = fake.member(fake.guild, "root", admin=True)
    [embed] = (await reply_to(fake, admin, "admin stats"))["embeds"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["votes"].startswith("2 votes by 2 voters")  # the counts stay
    assert "voters to check" not in fields
    assert "owners only" in embed["footer"]["text"]
    [embed] = (await reply_to(fake, owner_of(fake), "admin stats"))["embeds"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["voters to check"].count("trust 0.25 (0 checked), 1/1 agree") == 2
    assert "footer" not in embed


async def test_admin_commands_need_a_server(fake, bot):
    reply = await reply_to(fake, fake.dm_user("dora"), "admin status")
    assert reply["content"] == "This command only works inside a server."


async def test_status_shows_served_versions(fake, bot):
    reply = await reply_to(fake, fake.member(fake.guild, "root", admin=True), "admin status")
    fields = {f["name"]: f["value"] for f in reply["embeds"][0]["fields"]}
    assert reply["flags"] & 64
    assert "serving `origin-v2` on cpu" in fields["origin"]
    assert "test accuracy not recorded" in fields["origin"]  # tiny checkpoints, empty db
    assert "serving `sentiment-v2`" in fields["sentiment"]


async def test_rollback_and_reload(fake, bot):
    root = owner_of(fake)
    reply = await reply_to(fake, root, "admin rollback", task="origin")
    assert reply["content"] == "origin: rolled back, now serving `origin-v1`."
    assert bot.services.client.versions()["origin"] == "origin-v1"
    reply = await reply_to(fake, root, "admin reload", task="origin", version="origin-v2")
    assert reply["content"] == "origin: now serving `origin-v2`."
    reply = await reply_to(fake, root, "admin reload", task="origin", version="nope")
    assert reply["content"].startswith("Refused, the current model keeps serving:")
    assert bot.services.client.versions()["origin"] == "origin-v2"


async def test_rollback_and_reload_keep_the_version_table_in_step(fake, bot, models):
    store = bot.services.store
    for version in ("origin-v1", "origin-v2"):  # registered before the registry kept bytes
        await store.add_model_version("origin", version, f"/models/{version}",
                                      checksum(models, version), {}, status="production")
    root = owner_of(fake)
    await reply_to(fake, root, "admin rollback", task="origin")
    status = {m.version: m.status for m in await store.model_versions("origin")}
    assert status == {"origin-v1": "production", "origin-v2": "retired"}
    assert bot.services.client.versions()["origin"] == "origin-v1"
    await reply_to(fake, root, "admin reload", task="origin", version="origin-v2")
    assert (await store.production_version("origin")).version == "origin-v2"


async def test_a_promotion_by_another_process_is_served_and_rolled_back(
        fake, bot, settings, tmp_path):
    """finetune, a process of its own, publishes into the database; the bot fetches the
    checkpoint into its empty-of-it folder and swaps it in without restart, and a rollback
    moves the registry's production row back for every process."""
    made = write_checkpoint(tmp_path / "made.safetensors", "origin", "origin-v3", seed=3)
    async with await FeedbackStore.open(settings.db, HASHER) as finetune:
        await finetune.add_model_version(
            "origin", "origin-v2", "p", checksum(settings.models, "origin-v2"), {},
            status="production")
        await finetune.add_model_version(
            "origin", "origin-v3", "p", hashlib.sha256(made.read_bytes()).hexdigest(), {},
            weights=made.read_bytes())
        await finetune.set_model_status("origin", "origin-v3", "production")
    for _ in range(1000):
        if bot.services.client.versions()["origin"] == "origin-v3":
            break
        await asyncio.sleep(0.01)
    assert bot.services.client.versions()["origin"] == "origin-v3"
    reply = await reply_to(fake, owner_of(fake), "admin rollback", task="origin")
    assert reply["content"] == "origin: rolled back, now serving `origin-v2`."
    assert (await bot.services.store.production_version("origin")).version == "origin-v2"


async def test_stats_and_quarantine_a_voter(fake, bot):
    root = owner_of(fake)
    troll = fake.member(fake.guild, "troll")
    answer = await reply_to(fake, troll, "origin", name="Smith")
    await (await fake.click(troll, answer, fake.find_component(answer, "seqbot:vote:"))).followup()
    reply = await reply_to(fake, root, "admin quarantine", user=troll)
    assert reply["content"] == "Votes by troll are now quarantined: they no longer count."
    reply = await reply_to(fake, root, "admin quarantine", user=troll)
    assert reply["content"] == "Votes by troll were already quarantined."
    stats = await reply_to(fake, root, "admin stats")
    fields = {f["name"]: f["value"] for f in stats["embeds"][0]["fields"]}
    assert fields["votes"] == "1 votes by 1 voters\n1 voters quarantined"
    assert fields["origin"].startswith("1 answers")
    assert "(quarantined)" in fields["voters to check"]
    reply = await reply_to(fake, root, "admin release", user=troll)
    assert reply["content"] == "Votes by troll are now counted again."
    reply = await reply_to(fake, root, "admin release")
    assert reply["content"].startswith("Name either a user or a group")


async def test_owners_see_a_flagged_group_and_quarantine_it_in_one_command(fake, bot):
    """Three accounts correct answers the model is sure of, together: /admin stats names the
    group and why; one command stops all their votes, and the group's votes count again
    once released."""
    store = bot.services.store
    colluders = [fake.member(fake.guild, f"c{i}") for i in range(3)]
    for i in range(6):
        pred = await store.log_prediction("origin", f"Kuzawa{i}", f"kuzawa{i}", "origin-v2",
                                          "Japanese", [("Japanese", 0.99)], fake.guild.id, 1,
                                          None)
        for member in colluders:
            await store.record_vote(pred, int(member.user["id"]), "Russian")
    root = owner_of(fake)
    [embed] = (await reply_to(fake, root, "admin stats"))["embeds"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    groups = fields["flagged groups (`/admin quarantine group:`)"]
    assert "3 voters: 3 voters voted together on 6 items" in groups
    assert "6 contradict a model at least 90% sure" in groups
    group = groups.split("`")[1]
    assert fields["voters to check"].count(f"in `{group}`") == 3

    reply = await reply_to(fake, root, "admin quarantine", group=group)
    assert reply["content"] == (f"Votes by group {group} (3 voters) are now quarantined: "
                                "they no longer count.")
    assert (await store.stats())["ignored_voters"] == 3
    reply = await reply_to(fake, root, "admin release", group=group)
    assert reply["content"] == f"Votes by group {group} (3 voters) are now counted again."
    reply = await reply_to(fake, root, "admin release", group=group)
    assert reply["content"] == f"No quarantined group {group!r}."


async def test_sync_is_owner_only_and_registers_commands(fake, bot):
    admin = fake.member(fake.guild, "root", admin=True)
    reply = await reply_to(fake, admin, "admin sync")
    assert reply["content"] == NOT_OWNER
    assert fake.commands == {}
    reply = await reply_to(fake, owner_of(fake), "admin sync", scope="here")
    assert reply["content"] == "Synced 8 commands to this server."
    names = {c["name"] for c in fake.commands[fake.guild.id]}
    assert names == {"origin", "sentiment", "Analyze sentiment", "about", "help", "forget-me",
                     "admin", "teach"}


@pytest.mark.parametrize(("command", "options", "answer"), [
    ("admin teach enable", {}, "/teach is on in this server."),
    ("admin teach disable", {}, "/teach and its scheduled post are off in this server."),
    ("admin teach post", {"every_hours": 6}, "I will post a question in this channel every 6 h"),
])
async def test_teach_settings_are_acknowledged_in_time_when_the_database_is_slow(
        fake, bot, command, options, answer):
    # The setting is a write, queued behind a long read: defer (privately) first, answer after.
    root = fake.member(fake.guild, "root", admin=True)
    async with db_held(bot.services.store):
        record = await fake.slash(root, command, **options)
        ack = await record.acknowledged(timeout=fake.ack_deadline_s)  # while still held
        assert ack.status == 200 and ack.body["type"] == 5 and ack.body["data"]["flags"] & 64
    reply = await record.final()
    assert reply["flags"] & 64 and reply["content"].startswith(answer)
    settings = await bot.services.store.teach.guild(fake.guild.id)
    assert settings is not None and settings.enabled == command.endswith("enable")
    assert settings.every_hours == options.get("every_hours")


def _option(payload: list[dict], command: str, option: str) -> dict:
    [entry] = [c for c in payload if c["name"] == command]
    [opt] = [o for o in entry["options"] if o["name"] == option]
    return opt


async def test_sync_cli_dry_run_prints_the_payload(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    assert await cli.sync(bot_settings(tmp_path), None, dry_run=True) == 0
    payload = json.loads(capsys.readouterr().out)
    assert _option(payload, "origin", "name")["max_length"] == 64
    assert _option(payload, "origin", "name")["min_length"] == 1
    assert _option(payload, "sentiment", "text")["max_length"] == 4000  # what the model reads
    [menu] = [c for c in payload if c["name"] == "Analyze sentiment"]
    assert menu["type"] == 3
    [admin] = [c for c in payload if c["name"] == "admin"]
    assert admin["default_member_permissions"] == 8 and admin["contexts"] == [0]
    assert {o["name"] for o in admin["options"]} == {"status", "reload", "rollback", "stats",
                                                     "quarantine", "release", "sync", "teach"}
    [teach] = [c for c in payload if c["name"] == "teach"]
    assert teach["contexts"] == [0]  # servers only: the opt-in is per server


def test_sync_cli_parses_its_options():
    args = cli.build_parser().parse_args(["sync", "--guild", "42", "--dry-run"])
    assert (args.command, args.guild, args.dry_run, args.everywhere) == ("sync", 42, True, False)
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["sync", "--guild", "42", "--global"])


async def test_sync_cli_logs_in_over_http_only_and_syncs(tmp_path, capsys):
    async with FakeDiscord() as fake:
        guild = fake.add_guild()
        settings = bot_settings(tmp_path, token=fake.token)
        with pointed_at(fake):
            assert await cli.sync(settings, guild.id, dry_run=False) == 0
            assert await cli.sync(settings, None, dry_run=False) == 0
            assert await cli.sync(settings, 12345, dry_run=False) == 1  # not in that server
        assert len(fake.commands[guild.id]) == len(fake.commands[None]) == 8
        assert fake.sessions == []  # no gateway connection, so no models were needed
        assert [c.method for c in fake.calls if "/commands" in c.path] == ["PUT", "PUT", "PUT"]
    err = capsys.readouterr().err
    assert "synced 8 commands (global)" in err
    assert "Discord refused the sync (guild 12345): 403 Forbidden" in err and "Traceback" not in err
