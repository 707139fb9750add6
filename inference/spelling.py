"""Typos read as the word meant: sentiment's pipeline v4 (inference/tasks.py).

A word the vocabulary lacks is otherwise `<unk>`, so "horible acting" and "so disapointing"
came out coin flips and "the wrost pizza in town" 72% positive. Chat is typed fast: a word the
vocabulary lacks is read as the most frequent word it has one edit away, an edit being a letter
left out, added, changed, or two neighbours swapped (Damerau's four, which cover most single
typing errors; Norvig's corrector, "How to Write a Spelling Corrector", 2007, works this way).
The vocabulary ranks its words by how often training met them, so the lowest id is the most
frequent. A word with no known neighbour stays `<unk>`.

The units stay as typed, so explanations name "horible", not "horrible". The language check
(inference/predictor.py `new_words`) asks what the model reads, so a respelt typo is not a new
word there: "terible servise" was "I read English" before. Torch-free.

A spelling library (symspellpy and the like) would bring a dictionary of its own and build an
index of deletions at load; the vocabulary is the dictionary here, and one edit away from a
word of at most MAX_LETTERS letters is at most 54 * 20 + 25 candidates to look up.
"""

from __future__ import annotations

from collections.abc import Mapping
from string import ascii_lowercase

# shorter words are respelt too easily into another word ("lol" is one edit from "low"),
# longer ones are seldom typos and cost more to look up
MIN_LETTERS, MAX_LETTERS = 4, 20


def one_edit(word: str) -> set[str]:
    """Every string one edit from `word`: a letter deleted, two neighbours swapped, a letter
    replaced, a letter inserted (lowercase ASCII letters only)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deleted = {a + b[1:] for a, b in splits if b}
    swapped = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaced = {a + c + b[1:] for a, b in splits if b for c in ascii_lowercase}
    inserted = {a + c + b for a, b in splits for c in ascii_lowercase}
    return deleted | swapped | replaced | inserted


def respelt(word: str, ids: Mapping[str, int]) -> int | None:
    """The id of the most frequent known word one edit from `word` (a word the vocabulary
    lacks), or None when the word is not one to respell or has no known neighbour."""
    if not (MIN_LETTERS <= len(word) <= MAX_LETTERS and word.isascii() and word.isalpha()):
        return None
    return min((ids[w] for w in one_edit(word) if w in ids), default=None)
