"""Script and letter evidence: what a name's writing says about its origin.

The origin model reads names transliterated to ASCII ("Müller" and "Muller" read alike), and
its training data is nearly all ASCII, so it cannot learn what the writing itself says. That
evidence enters here, after the model, as likelihood ratios: for each clue in the raw input
(the script it is written in, a letter only some orthographies use, a Han character only one
side writes, how many Han characters a name has), the languages it points to get their
probability multiplied by the clue's ratio, and the result is normalised again:

    p(language | name) ∝ p_model(language | transliterated name) × Π ratio(clue, language)

The tables below say which languages each clue points to; they come from the orthographies
(Wikipedia's articles on each alphabet) and Python's character-set codecs. The ratios, one
per kind of clue, were chosen by measurement (`benchmarks/origin_evidence.py`, whose results
and reasoning are in docs/origin-evidence.md): on the design part of the multi-script dev set
and on the clean validation split, each against switching that kind of clue off.

Torch-free: it works on plain probability lists.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from inference.scripts import chinese_only, japanese_only, name_script, scripts

# The languages of the surnames data each script is written in. A script not here (Hebrew,
# Thai, Devanagari, ...) writes none of them: the answer is then never "sure".
SCRIPT_LANGUAGES: dict[str, tuple[str, ...]] = {
    "Cyrillic": ("Russian",), "Greek": ("Greek",), "Arabic": ("Arabic",),
    "Hangul": ("Korean",), "Kana": ("Japanese",), "Han": ("Chinese", "Japanese"),
}

# Letters (lower case) and the languages of the data whose orthography writes them.
_ACUTE = ("Czech", "Spanish", "Portuguese", "Irish", "Vietnamese")
LETTER_LANGUAGES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys("äöß", ("German",)),
    "ü": ("German", "Spanish"),
    **dict.fromkeys("ąćęłńśźż", ("Polish",)),
    **dict.fromkeys("čďěňřšťůž", ("Czech",)),
    "ý": ("Czech", "Vietnamese"),
    "ñ": ("Spanish",),
    "ç": ("French", "Portuguese"),
    **dict.fromkeys("ãõ", ("Portuguese", "Vietnamese")),
    **dict.fromkeys("âêô", ("French", "Portuguese", "Vietnamese")),
    **dict.fromkeys("îûœæÿ", ("French",)),
    **dict.fromkeys("ëï", ("French", "Dutch")),
    "à": ("French", "Italian", "Portuguese", "Vietnamese"),
    **dict.fromkeys("èù", ("French", "Italian", "Vietnamese")),
    **dict.fromkeys("ìò", ("Italian", "Vietnamese")),
    **dict.fromkeys("áíú", _ACUTE),
    # Czech writes ó only in loanwords.
    "ó": ("Polish", "Spanish", "Portuguese", "Irish", "Vietnamese"),
    "é": ("French", "Italian", *_ACUTE),
    **dict.fromkeys("đăơưĩũỹ", ("Vietnamese",)),
}
# Gaelic patronymic particles: "Ó Súilleabháin", "Ní Bhriain", "MacLeod", "Mc Queen".
GAELIC_WORDS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("ó", "ua", "ní", "uí", "nic", "mhic"), ("Irish",)),
}
GAELIC_PREFIXES: dict[str, tuple[str, ...]] = {"mac": ("Irish", "Scottish"),
                                               "mc": ("Irish", "Scottish")}
# Vietnamese alone stacks a tone mark on a vowel's own mark (ễ, ậ, ự) and writes the dot
# below and the hook above (ạ, ả): these combining marks, or two marks on one letter.
_VIETNAMESE_MARKS = {"\u0323", "\u0309", "\u031b"}



@dataclass(frozen=True)
class Ratios:
    """One likelihood ratio per kind of clue (see the module docstring for how each was
    chosen); 1 switches a kind off."""

    script: float = 1000.0
    letter: float = 1000.0
    han_form: float = 30.0
    # Chinese surnames are nearly all one character, Japanese ones mostly two or three.
    han_length: float = 100.0
    particle: float = 10.0


RATIOS = Ratios()


@dataclass(frozen=True)
class Clue:
    """One piece of evidence: `languages` get their probability multiplied by `ratio`.
    No languages: a script that none of the model's languages is written in."""

    kind: str  # "script", "letter", "particle", "han_form" or "han_length"
    feature: str  # "Hangul", "ü", "马", "1"
    languages: tuple[str, ...]
    ratio: float

    @property
    def text(self) -> str:
        """The clue as people read it on a card or in Why?"""
        if self.kind == "script":
            where = (" (none of my languages)" if not self.languages
                     else f" ({' or '.join(self.languages)})")
            return f"written in {self.feature}{where}"
        if self.kind == "particle":
            return f"the Gaelic particle {self.feature} ({' or '.join(self.languages)})"
        if self.kind == "han_form":
            return f"{self.feature}: a character only {self.languages[0]} writes"
        if self.kind == "han_length":
            n = int(self.feature)
            return (f"{n} Han character{'s' if n > 1 else ''}: "
                    f"{'one' if n == 1 else 'several'}, as {self.languages[0]} surnames are")
        return f"the letter {self.feature} ({', '.join(self.languages)})"

    def to_json(self) -> dict:
        return {"kind": self.kind, "feature": self.feature, "languages": list(self.languages),
                "ratio": self.ratio, "text": self.text}


@dataclass(frozen=True)
class NameEvidence:
    """Everything the writing of one name says, and how it moves the model's answer."""

    script: str
    clues: tuple[Clue, ...]

    @property
    def unknown_script(self) -> bool:
        """Written in a script none of the languages is written in."""
        return any(c.kind == "script" and not c.languages for c in self.clues)

    def log_factors(self, labels: Sequence[str],
                    without: Clue | None = None) -> list[float]:
        """Per label, the log of the product of the ratios of the clues pointing to it."""
        out = [0.0] * len(labels)
        index = {label: i for i, label in enumerate(labels)}
        for clue in self.clues:
            if clue is without:
                continue
            for language in clue.languages:
                if language in index:
                    out[index[language]] += math.log(clue.ratio)
        return out

    def apply(self, probs: Sequence[float], labels: Sequence[str],
              without: Clue | None = None) -> list[float]:
        """The model's probabilities combined with the clues (optionally all but one)."""
        logs = [math.log(max(p, 1e-45)) + f
                for p, f in zip(probs, self.log_factors(labels, without), strict=True)]
        top = max(logs)
        weights = [math.exp(v - top) for v in logs]
        total = sum(weights)
        return [w / total for w in weights]

    def to_json(self) -> dict:
        return {"script": self.script, "clues": [c.to_json() for c in self.clues]}


def vietnamese_letter(char: str) -> bool:
    marks = [m for m in unicodedata.normalize("NFD", char) if unicodedata.combining(m)]
    return bool(_VIETNAMESE_MARKS & set(marks)) or len(marks) >= 2


def letter_languages(char: str) -> tuple[str, ...]:
    """The languages of the data whose orthography writes this letter; () for plain ASCII
    letters and letters none of them writes."""
    lower = char.lower()
    if lower in LETTER_LANGUAGES:
        return LETTER_LANGUAGES[lower]
    return ("Vietnamese",) if vietnamese_letter(lower) else ()


def _particles(lower: str, ratio: float) -> list[Clue]:
    words = [w for w in re.split(r"[\s'’-]+", lower) if w]
    if len(words) >= 2 and words[0] in GAELIC_WORDS:
        return [Clue("particle", words[0], GAELIC_WORDS[words[0]], ratio)]
    for prefix, languages in GAELIC_PREFIXES.items():
        if words and words[0].startswith(prefix) and (len(words[0]) > len(prefix) + 2
                                                     or len(words) >= 2):
            return [Clue("particle", prefix, languages, ratio)]
    return []


def name_evidence(raw: str, ratios: Ratios = RATIOS) -> NameEvidence:
    """The clues in a name as typed (after NFC, so "u" + combining diaeresis is "ü")."""
    text = unicodedata.normalize("NFC", raw)
    script = name_script(text)
    clues: list[Clue] = []
    if script not in ("Latin", ""):
        clues.append(Clue("script", script, SCRIPT_LANGUAGES.get(script, ()), ratios.script))
    if script == "Han":
        han = [c for c in text if scripts(c)["Han"]]
        for char in dict.fromkeys(han):
            if chinese_only(char):
                clues.append(Clue("han_form", char, ("Chinese",), ratios.han_form))
            elif japanese_only(char):
                clues.append(Clue("han_form", char, ("Japanese",), ratios.han_form))
        language = "Chinese" if len(han) == 1 else "Japanese"
        clues.append(Clue("han_length", str(len(han)), (language,), ratios.han_length))
    if script == "Latin":
        clues += _particles(text.lower(), ratios.particle)
        for char in ("" if text.isascii() else dict.fromkeys(text.lower())):
            if languages := letter_languages(char):
                clues.append(Clue("letter", char, languages, ratios.letter))
    return NameEvidence(script, tuple(clues))
