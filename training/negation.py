"""Negation taught by construction: SST-2's own one- and two-word phrases, negated.

SST-2 labels every phrase of its sentences, so it holds "good" (positive) and "a mess"
(negative), but few phrases that negate one ("not bad" is there; "not a mess" is not), and
a model trained on reviews, where "not" mostly comes with complaints, reads "not" as
negative: the shipped IMDB model called "not bad at all" 98.7% negative. Each short phrase
without a negation of its own is added once more behind "not", with the other label, the
convention SST's annotators followed ("not bad" is positive). Only phrases of at most
MAX_WORDS words: the longer the phrase, the less surely one "not" in front reverses it.
"""

from __future__ import annotations

NEGATIONS = {"not", "no", "never", "n't", "nothing", "nobody", "none", "nor", "neither",
             "without", "hardly", "barely"}
MAX_WORDS = 2


def negated(phrases: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """("not " + phrase, the other label) for each short phrase that negates nothing yet."""
    out = []
    for text, label in phrases:
        words = text.split()
        if 0 < len(words) <= MAX_WORDS and not NEGATIONS & {w.lower() for w in words}:
            out.append((f"not {text}", 1 - label))
    return out
