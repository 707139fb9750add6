"""Negation taught by construction: SST-2's own one- and two-word phrases, negated, and
asked back as negative questions.

SST-2 labels every phrase of its sentences, so it holds "good" (positive) and "a mess"
(negative), but few phrases that negate one ("not bad" is there; "not a mess" is not), and
a model trained on reviews, where "not" mostly comes with complaints, reads "not" as
negative: the shipped IMDB model called "not bad at all" 98.7% negative. Each short phrase
without a negation of its own is added once more behind "not", with the other label, the
convention SST's annotators followed ("not bad" is positive). Only phrases of at most
MAX_WORDS words: the longer the phrase, the less surely one "not" in front reverses it.

Learning that, a model also reverses negative questions, which do not: "isn't this
amazing?" asks for agreement that it is (the chat model called it 92% negative). So each
phrase also comes once as such a question, its label kept; the frame is drawn by a stable
hash of the phrase, so the mixture is the same on every run.
"""

from __future__ import annotations

import zlib

NEGATIONS = {"not", "no", "never", "n't", "nothing", "nobody", "none", "nor", "neither",
             "without", "hardly", "barely"}
MAX_WORDS = 2
QUESTIONS = ("isn't it {}?", "wasn't it {}?", "isn't that {}?", "wasn't that {}?",
             "isn't this {}?", "wasn't this {}?")


def _plain(text: str) -> bool:
    """A short phrase that negates nothing yet."""
    words = text.split()
    return 0 < len(words) <= MAX_WORDS and not NEGATIONS & {w.lower() for w in words}


def negated(phrases: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """("not " + phrase, the other label) for each short phrase that negates nothing yet."""
    return [(f"not {text}", 1 - label) for text, label in phrases if _plain(text)]


def asked(phrases: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """("isn't it " + phrase + "?", the same label) for the same phrases."""
    return [(QUESTIONS[zlib.crc32(text.encode()) % len(QUESTIONS)].format(text), label)
            for text, label in phrases if _plain(text)]
