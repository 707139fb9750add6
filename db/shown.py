"""Stored user text made safe to show in a terminal or a spreadsheet (the bot's console, CSV
exports); Discord's own escaping is bot.embeds.escape, built on `visible`.

Terminals obey escape sequences (ANSI colours, OSC titles and links, cursor moves) and control
characters (BEL, backspace, NUL): a message could clear the screen or retitle the window.
Bidirectional overrides and zero-width characters reorder or hide what is shown ("a file
named exe.txt" that is really "txt.exe"). They are all removed. A zero-width joiner or
non-joiner between two non-ASCII characters is kept: it shapes emoji sequences and scripts
such as Persian and Devanagari, and hides nothing there.
"""

import re

_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC ... BEL or ST (titles, hyperlinks)
    r"|\x1b[P^_X][^\x1b]*(?:\x1b\\)?"  # DCS, PM, APC, SOS ... ST
    r"|\x1b\[[0-?]*[ -/]*[@-~]?"  # CSI: colours, cursor moves, clearing
    r"|\x1b[ -/]*[0-~]?"  # any other escape
    r"|\x9b[0-?]*[ -/]*[@-~]?"  # the 8-bit CSI
)
_JOINERS = "\u200c\u200d"
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f"  # control characters but tab and newline
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidirectional marks and overrides
    "\u200b\u2060-\u2064\ufeff\u180e\u034f\u115f\u1160\u3164\uffa0"  # zero-width, fillers
    f"{_JOINERS}]")


def visible(text: str) -> str:
    """`text` without escape sequences, control characters (tab and newline stay),
    bidirectional controls or invisible characters."""
    text = _ESCAPE_SEQUENCE.sub("", text)
    return _INVISIBLE.sub(lambda m: m[0] if _joins(text, m.start()) else "", text)


def _joins(text: str, i: int) -> bool:
    if text[i] not in _JOINERS or i == 0 or i + 1 >= len(text):
        return False
    before, after = text[i - 1], text[i + 1]
    return not before.isascii() and not after.isascii() and not before.isspace() \
        and not after.isspace() and _INVISIBLE.fullmatch(before) is None \
        and _INVISIBLE.fullmatch(after) is None
