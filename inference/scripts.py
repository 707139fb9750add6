"""Which writing system a name is in, and which of its Han characters only one side uses.

Torch-free. The script of a letter is read from its Unicode character name ("CYRILLIC SMALL
LETTER ZHE", "HANGUL SYLLABLE GIM", "CJK UNIFIED IDEOGRAPH-5C71"), so no table of code point
ranges is kept here. Han characters are told apart with the character sets that Python's own
codecs carry: GB 2312 (the simplified Chinese set), Big5 (traditional Chinese) and Shift_JIS
(JIS X 0208, the Japanese set).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from functools import lru_cache

# Unicode name prefixes -> the script shown to people ("written in Hangul").
_PREFIXES = (
    ("LATIN", "Latin"), ("CYRILLIC", "Cyrillic"), ("GREEK", "Greek"), ("ARABIC", "Arabic"),
    ("HEBREW", "Hebrew"), ("HANGUL", "Hangul"), ("HIRAGANA", "Kana"), ("KATAKANA", "Kana"),
    ("CJK UNIFIED IDEOGRAPH", "Han"), ("CJK COMPATIBILITY IDEOGRAPH", "Han"),
    ("IDEOGRAPHIC ITERATION MARK", "Han"), ("THAI", "Thai"), ("DEVANAGARI", "Devanagari"),
    ("BENGALI", "Bengali"), ("TAMIL", "Tamil"), ("GEORGIAN", "Georgian"),
    ("ARMENIAN", "Armenian"), ("ETHIOPIC", "Ethiopic"), ("KHMER", "Khmer"), ("LAO", "Lao"),
    ("MYANMAR", "Myanmar"), ("SINHALA", "Sinhala"), ("GUJARATI", "Gujarati"),
    ("GURMUKHI", "Gurmukhi"), ("TIBETAN", "Tibetan"), ("MONGOLIAN", "Mongolian"),
)


@lru_cache(maxsize=4096)
def char_script(char: str) -> str | None:
    """The script of one letter, "Other" for a letter of a script not listed, None for
    anything that is not a letter (spaces, digits, apostrophes, the kana length mark)."""
    if unicodedata.category(char)[0] != "L" and char != "\u3005":  # 々 is a Han letter
        return None
    name = unicodedata.name(char, "")
    return next((script for prefix, script in _PREFIXES if name.startswith(prefix)), "Other")


def scripts(text: str) -> Counter[str]:
    """How many letters of each script the text has."""
    return Counter(s for s in map(char_script, text) if s is not None)


def name_script(text: str) -> str:
    """The script a name is written in: its script other than Latin with the most letters
    (Latin letters in a Cyrillic name are a typo, not a second script), Kana for Japanese
    written with kana (with or without kanji), Latin if it has no other, "" if no letter."""
    if text.isascii():  # most names: no need to look at each letter
        return "Latin" if any(c.isalpha() for c in text) else ""
    counts = scripts(text)
    if counts["Kana"]:
        return "Kana"
    others = [(n, s) for s, n in counts.items() if s != "Latin"]
    if others:
        return max(others)[1]
    return "Latin" if counts else ""


def _in_charset(char: str, codec: str) -> bool:
    try:
        char.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


def chinese_only(char: str) -> bool:
    """A simplified Chinese character that Japanese does not write (张, 马, 叶): in GB 2312,
    not in JIS X 0208."""
    return _in_charset(char, "gb2312") and not _in_charset(char, "shift_jis")


def japanese_only(char: str) -> bool:
    """A Japanese character form that Chinese does not write (辻, 畑, 沢): in JIS X 0208,
    in neither GB 2312 nor Big5."""
    return (_in_charset(char, "shift_jis") and not _in_charset(char, "gb2312")
            and not _in_charset(char, "big5"))
