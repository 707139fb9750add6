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

But a vocabulary of 40,000 words lacks real words too, and v4 read them as their neighbours:
"arrived defective" as "arrived detective", "cheerier" as "cheesier", "eases" as "cases".
Pipeline v6 asks an English dictionary (pyspellchecker's, read on first use) before it
respells: a word the dictionary knows is no typo, so it is read only as a known word that
differs from it in the last letter, as its inflection ("frauds" as "fraud", "approves" as
"approved"), and otherwise stays `<unk>`.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from functools import cache
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


def inflection(word: str, other: str) -> bool:
    """Whether two words one edit apart differ only in the last letter: one letter more or
    less, or another ("fraud", "frauds"; "approved", "approves")."""
    return word[:-1] == other[:-1] or word[:-1] == other or other[:-1] == word


def respelt(word: str, ids: Mapping[str, int],
            english: Container[str] = frozenset()) -> int | None:
    """The id of the most frequent known word one edit from `word` (a word the vocabulary
    lacks), or None when the word is not one to respell or has no known neighbour. A word
    `english` holds is real, so only its inflections count."""
    if not (MIN_LETTERS <= len(word) <= MAX_LETTERS and word.isascii() and word.isalpha()):
        return None
    near = one_edit(word)
    if word in english:
        near = {w for w in near if inflection(word, w)}
    return min((ids[w] for w in near if w in ids), default=None)


class EnglishWords(Container[str]):
    """The English words of pyspellchecker's dictionary (about 160,000, lower case), loaded
    when first asked: only a pipeline that respells real words carefully needs them."""

    def __contains__(self, word: object) -> bool:
        return word in _english_words()


@cache
def _english_words() -> frozenset[str]:
    from spellchecker import SpellChecker

    return frozenset(SpellChecker(language="en", distance=1).word_frequency.keys())


ENGLISH = EnglishWords()
