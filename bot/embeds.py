"""Discord rendering of the shared presentation: embeds, with user text escaped."""

from __future__ import annotations

import re
from collections.abc import Sequence

import discord

from bot.present import HELP, Card, WhyCard, about_lines
from bot.services import ModelStatus
from db import VoterGroup, VoterStats
from db.shown import visible
from inference.tasks import task_spec

# A task's answers are drawn in the colour its spec names by key (CardStyle.colour).
COLOURS = {"blurple": discord.Colour.blurple(), "teal": discord.Colour.teal()}


def task_colour(task: str) -> discord.Colour:
    return COLOURS[task_spec(task).card.colour]


DESCRIPTION_UNITS = 4096  # Discord counts UTF-16 code units, as JavaScript does


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# Escaped wherever they stand: emphasis, code, spoilers, masked links ([text](url)) and
# Discord's tokens (<t:…>, </cmd:id>, <:emoji:id>, <a:…>, <@…>, <#…>).
_ALWAYS = re.compile(r"[\\*_~`|\[\]<>]")
# Escaped at the start of a line: headings (#, -#) and lists (-, +, 1.); quotes are > above.
_LINE_START = re.compile(r"^(\s*)(#|-|\+|\d+\.)", re.MULTILINE)


def escape(text: str) -> str:
    """Show user text as typed: no markdown effects, no links but the URL itself, no
    Discord tokens or mention syntax, nothing invisible or reordering (db.shown.visible).

    discord.py's escape_markdown is not enough: it leaves every masked link but the first,
    and timestamps, emoji and command tokens, live. A backslash before any punctuation is
    shown as the punctuation alone, so escaping more than needed costs nothing."""
    text = _ALWAYS.sub(r"\\\g<0>", visible(text))
    text = _LINE_START.sub(lambda m: f"{m[1]}{m[2][:-1]}\\{m[2][-1]}", text)
    return discord.utils.escape_mentions(text)


def card_embed(card: Card) -> discord.Embed:
    lines = [f"> {escape(card.subject)}"]
    if card.read_as is not None:
        lines.append(f"Read as: {escape(card.read_as)}")
    lines += [f"**{card.headline}**", "```", *card.chart, "```"]
    lines += [f"*{note}*" for note in card.notes]
    embed = discord.Embed(title=card.title, description="\n".join(lines),
                          colour=task_colour(card.task))
    return embed.set_footer(text=card.footer)


def about_embed(models: list[ModelStatus], stats: dict) -> discord.Embed:
    return discord.Embed(title="About seqbot", description="\n".join(about_lines(models, stats)),
                         colour=discord.Colour.blurple())


def help_embed() -> discord.Embed:
    embed = discord.Embed(title="How to use seqbot", colour=discord.Colour.blurple())
    for usage, what in HELP:
        embed.add_field(name=usage, value=what, inline=False)
    return embed.set_footer(text="Answers are guesses from small models: your votes improve them.")


def status_embed(models: list[ModelStatus], stats: dict) -> discord.Embed:
    embed = discord.Embed(title="Model status", colour=discord.Colour.dark_grey())
    production = stats["production_versions"]
    for m in models:
        registered = production.get(m.task) or "none registered"
        accuracy = "not recorded" if m.test_accuracy is None else f"{m.test_accuracy:.1%}"
        macro_f1 = "" if m.test_macro_f1 is None else f"\ntest macro-F1 {m.test_macro_f1:.1%}"
        device = "" if m.device is None else f" on {m.device}"
        embed.add_field(
            name=m.task,
            value=f"serving `{m.version}`{device}\ntest accuracy {accuracy}{macro_f1}\n"
                  f"production in db: `{registered}`",
        )
    return embed


def stats_embed(stats: dict, voters: Sequence[VoterStats],
                groups: Sequence[VoterGroup] = ()) -> discord.Embed:
    embed = discord.Embed(title="Feedback statistics", colour=discord.Colour.dark_grey())
    for task, count in stats["predictions"].items():
        embed.add_field(name=task, value=f"{count} answers\n{stats['agreed_examples'][task]} "
                                         "agreed inputs")
    embed.add_field(name="votes", value=f"{stats['votes']} votes by {stats['voters']} voters\n"
                                        f"{stats['ignored_voters']} voters quarantined")
    if voters:
        rows = [f"`{v.voter_hash[:12]}` "
                + ("moderator" if v.moderator else
                   f"trust {v.trust:.2f} ({v.evaluated} checked)")
                + f", {v.agreed}/{v.decided} agree"
                + (f", in `{v.group}`" if v.group else "")
                + (" (quarantined)" if v.ignored else "") for v in voters]
        embed.add_field(name="voters to check", value="\n".join(rows), inline=False)
    if groups:
        rows = [f"`{g.group_id}` {len(g.members)} voters"
                + (" (quarantined)" if g.quarantined else "") + ": " + "; ".join(g.reasons)
                for g in groups[:5]]
        embed.add_field(name="flagged groups (`/admin quarantine group:`)",
                        value="\n".join(rows)[:1024], inline=False)
    return embed


def _unquoted(text: str) -> str:
    """Safe inside an inline code span, which a backtick would close."""
    return text.replace("`", "'")


def why_embed(card: WhyCard) -> discord.Embed:
    """Parts that pushed toward the answer in bold (words with ↑), away from it with ↓."""
    read = card.joiner.join(f"**{escape(text)}**{card.arrow(mark)}" if mark else escape(text)
                            for text, mark in card.read)
    rest = []
    for heading, rows in card.sections:
        if rows:
            rest.append(f"**{heading}**")
            rest += [f"`{_unquoted(part)}` {effect}" for part, effect in rows]
    rest += [f"*{note}*" for note in card.notes]
    description = "\n".join([f"> {escape(card.subject)}", f"Read as: {read}", *rest])
    if utf16_units(description) > DESCRIPTION_UNITS:  # escaping can double odd text
        description = "\n".join([f"> {escape(card.subject)}", *rest])
    embed = discord.Embed(title=card.title, description=description,
                          colour=task_colour(card.task))
    return embed.set_footer(text=card.footer)
