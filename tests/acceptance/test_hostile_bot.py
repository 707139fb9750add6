"""Hostile and odd input through the whole bot: /origin, /sentiment and "Analyze sentiment"
with the hostile-input strategies in tests/helpers.py, and hostile user names in admin replies.

Whatever the input: a reply comes and no error is logged; no payload can ping (allowed
mentions parse nothing, and no @everyone, @here or id mention is left unescaped); every
payload fits Discord's limits; an answered input is stored verbatim in SQLite, but for the
ids of user, role and channel mentions; and its Why? button gives a private reply that is
just as safe.
"""

from __future__ import annotations

import logging
import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from benchmarks.fakediscord import InteractionRecord
from bot.services import without_mentions
from tests.helpers import FRAGMENTS, HYPOTHESIS, hostile_text, long_text

RAW_MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d{17,20}>")
EPHEMERAL = 64
BOT_SETTINGS = settings(HYPOTHESIS, max_examples=50)


def units(text: str | None) -> int:
    """Length in UTF-16 code units: at least Discord's count of characters."""
    return len((text or "").encode("utf-16-le")) // 2


def check_fits_discord(body: dict) -> None:
    assert units(body.get("content")) <= 2000
    embeds = body.get("embeds") or []
    assert len(embeds) <= 10
    total = 0
    for embed in embeds:
        title, text = embed.get("title"), embed.get("description")
        footer = (embed.get("footer") or {}).get("text")
        fields = embed.get("fields") or []
        assert units(title) <= 256 and units(text) <= 4096 and units(footer) <= 2048
        assert len(fields) <= 25
        assert all(units(f["name"]) <= 256 and units(f["value"]) <= 1024 for f in fields)
        total += units(title) + units(text) + units(footer) + sum(
            units(f["name"]) + units(f["value"]) for f in fields)
    assert total <= 6000
    rows = body.get("components") or []
    assert len(rows) <= 5
    for row in rows:
        assert len(row["components"]) <= 5
        for item in row["components"]:
            assert len(item.get("custom_id", "")) <= 100 and len(item.get("options", [])) <= 25


def check_cannot_ping(body: dict) -> None:
    assert body["allowed_mentions"] == {"parse": []}
    texts = [body.get("content") or ""]
    for embed in body.get("embeds") or []:
        texts += [embed.get("title") or "", embed.get("description") or "",
                  (embed.get("footer") or {}).get("text") or ""]
        texts += [f["name"] + f["value"] for f in embed.get("fields") or []]
    assert not any(RAW_MENTION.search(t) for t in texts)


def check_safe(record: InteractionRecord) -> None:
    bodies = record.message_bodies()
    assert bodies and not [c for c in record.calls if c.status >= 400]
    for body in bodies:
        check_fits_discord(body)
        check_cannot_ping(body)


async def check_reply(fake, bot, record: InteractionRecord, text: str) -> None:
    """A safe reply; an answer is stored verbatim (mentions without their ids) and its Why?
    reply is safe too."""
    reply = await record.final(timeout=10)
    check_safe(record)
    if not reply["components"]:
        assert reply["flags"] & EPHEMERAL  # a refusal, seen only by the asker
        return
    pred_id = int(reply["components"][0]["components"][0]["custom_id"].split(":")[2])
    stored = (await bot.services.store.get_prediction(pred_id)).input_text
    assert stored == without_mentions(text)
    why = await fake.click(fake.member(fake.guild, "carol"), reply, f"seqbot:why:{pred_id}")
    assert (await why.final(timeout=10))["flags"] & EPHEMERAL
    check_safe(why)


def errors(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@BOT_SETTINGS
@given(text=hostile_text)
@example(text=long_text("𒐫"))  # one token of 4,000 digits (anyascii), 2 UTF-16 units a character
async def test_any_text_gets_a_safe_reply_and_is_stored_verbatim(fake, bot, caplog, text):
    alice = fake.member(fake.guild, "alice")
    await check_reply(fake, bot, await fake.slash(alice, "origin", name=text), text)
    await check_reply(fake, bot, await fake.slash(alice, "sentiment", text=text), text)
    target = fake.user_message(fake.member(fake.guild, "bob"), text)
    await check_reply(fake, bot, await fake.message_command(alice, "Analyze sentiment", target),
                      text)
    assert not errors(caplog)


# Discord user names are at most 32 characters.
hostile_names = st.one_of(
    st.text(min_size=1, max_size=32),
    st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=4).map(lambda p: "".join(p)[:32]),
)


@BOT_SETTINGS
@given(name=hostile_names)
async def test_hostile_user_names_in_admin_replies_cannot_ping(fake, bot, caplog, name):
    root = fake.member(fake.guild, "root", admin=True, user_id=int(fake.owner["id"]))  # owner
    user = fake.member(fake.guild, name)
    record = await fake.slash(root, "admin quarantine", user=user)
    reply = await record.final(timeout=10)
    assert reply["content"].startswith("Votes by ")
    for body in record.message_bodies():
        check_fits_discord(body)
        check_cannot_ping(body)
    assert not errors(caplog)
