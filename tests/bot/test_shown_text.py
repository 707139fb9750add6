"""User text shown back, on Discord (bot.embeds.escape) and in a terminal (db.shown.visible):
properties over hostile and random text, then the bot and the console end to end."""

from __future__ import annotations

import re
import subprocess
import sys

from hypothesis import given
from hypothesis import strategies as st

from bot.embeds import escape
from db.shown import visible
from tests.bot.test_console import env  # noqa: F401  (the console's fixture)
from tests.helpers import FRAGMENTS

HOSTILE = [*FRAGMENTS, "[a](https://x.example)", "[b](<https://y.example>)", "](", ")[",
           "<t:1700000000:R>", "</ban:123456789012345678>", "<:pepe:123456789012345678>",
           "<a:dance:123456789012345678>", "<id:customize>", "-# small", "## big", "1. item",
           "+ item", "\u202e", "\u2067", "\u200b", "\u2060", "\u200c", "\u200d", "é", "👍",
           "\x1b]0;pwned\x07", "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\",
           "\x1b[2J", "\x1b[1;31m", "\x1bc", "\x9b31m", "\x07", "\x08", "\x00", "\x7f", "\x85",
           "\n", "\t", "\\", "@everyone", "@here", "<@&123456789012345678>"]
TEXT = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=8)), max_size=12).map(
    "".join)
INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e"
                       "\u2060-\u2069\ufeff]")


def unescape(shown: str) -> str:
    """What Discord displays: a backslash shows the character after it; the zero-width
    space escape_mentions puts after an @ is not seen."""
    return re.sub(r"\\(.)", r"\1", shown.replace("\u200b", ""), flags=re.S)


def live_syntax(shown: str) -> list[str]:
    """Markdown and token syntax left unescaped in `shown`. An escaped character still
    stands where it is (so `\\--` starts no list): it becomes a plain letter here."""
    bare = re.sub(r"\\.", "x", shown, flags=re.S)
    return [*re.findall(r"[*_~`|\[\]<>]", bare),
            *re.findall(r"^\s*(?:#|-|\+|\d+\.)", bare, re.M),
            *re.findall(r"@(?:everyone|here)", shown)]


def hidden(text: str) -> list[str]:
    """Invisible or reordering characters, but a joiner between two non-ASCII characters
    and the zero-width space after an @."""
    return [m[0] for m in INVISIBLE.finditer(text)
            if not (m[0] in "\u200c\u200d" and 0 < m.start() < len(text) - 1
                    and not text[m.start() - 1].isascii() and not text[m.start() + 1].isascii())
            and not (m[0] == "\u200b" and text[m.start() - 1:m.start()] == "@")]


@given(TEXT)
def test_discord_shows_user_text_as_typed_and_nothing_in_it_is_live(text: str) -> None:
    shown = escape(text)
    assert unescape(shown) == visible(text)
    assert live_syntax(shown) == []
    assert hidden(shown.replace("\n", "").replace("\t", "")) == []


@given(TEXT)
def test_a_terminal_gets_no_escape_sequence_control_or_invisible_character(text: str) -> None:
    shown = visible(text)
    assert "\x1b" not in shown and "\x9b" not in shown
    assert hidden(shown) == []
    assert visible(shown) == shown
    assert visible("plain Müller 👍 نام‌ها") == "plain Müller 👍 نام‌ها"  # joiner kept


def test_every_masked_link_and_token_is_escaped() -> None:
    shown = escape("[a](https://x) [b](https://y) <t:1:R> </c:1> <:e:1> <a:e:1> \u202eoh")
    assert shown == (r"\[a\](https://x) \[b\](https://y) \<t:1:R\> \</c:1\> \<:e:1\> "
                     r"\<a:e:1\> oh")


def test_the_console_prints_no_terminal_control(env, tmp_path):  # noqa: F811
    line = "/sentiment \x1b]0;pwned\x07 nice \x1b[2J\x08\x00 film \u202egnp.exe\n/quit\n"
    result = subprocess.run([sys.executable, "-m", "bot"], input=line, env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    [subject] = [" ".join(line.split()) for line in result.stdout.splitlines()
                  if line.startswith("Sentiment:")]
    assert subject == "Sentiment: nice film gnp.exe"
    for control in ("\x1b", "\x07", "\x08", "\x00", "\u202e"):
        assert control not in result.stdout
