"""Negation taught by construction: SST-2's own one- and two-word phrases, negated.

SST-2 labels every phrase of its sentences, so it holds "good" (positive) and "a mess"
(negative), but few phrases that negate one ("not bad" is there; "not a mess" is not), and
a model trained on reviews, where "not" mostly comes with complaints, reads "not" as
negative: the shipped IMDB model called "not bad at all" 98.7% negative. Each short phrase
without a negation of its own is added once more behind "not", with the other label, the
convention SST's annotators followed ("not bad" is positive). Only phrases of at most
MAX_WORDS words: the longer the phrase, the less surely one "not" in front reverses it.

`framed` (data sets "...+negation") puts SST-2's one-word phrases, the words its annotators
rated positive or negative, in the frames chat negates with, since "not" in front was the
only one taught and the chat model still read "no regrets" and "i don't hate it" as negative
(training/eval/negation.tsv):
- one negation, the other label: "not P", "no P", "never P", "it wasn't P", "i don't P",
  and a negated verb of saying over a clause, "i wouldn't say it was P";
- two, for DOUBLE_SHARE of the words, the word's own label: a negated clause inside a
  negating frame, "i can't say it wasn't P", "it's not that it wasn't P", "it isn't not P".
Framing the two-word phrases too (fragments such as "of saucy" and "weak and") taught the
flip too well: real negated texts of the validation split lost 1 to 1.6 points and "don't
waste your money" read positive (docs/results.md, "Sentiment: negation in chat's frames").

With `twice` (data sets "...+negation+double"), every word comes twice negated, in TWICE
frames drawn for it, instead of half the words once: framed as above, double negation did
not carry to words the frames never negated. Of SST-2's validation words that no training
phrase lists (`held_out`), the model read 84% right negated once but 28% negated twice,
worse than a coin: two negations read as one (docs/results.md, "Sentiment: double negation").
"""

from __future__ import annotations

import random

from training.neutral import listed

NEGATIONS = {"not", "no", "never", "n't", "nothing", "nobody", "none", "nor", "neither",
             "without", "hardly", "barely"}
MAX_WORDS = 2
FRAMED_WORDS = 1  # framed: SST-2's one-word phrases only
DOUBLE_SHARE = 0.5  # of the phrases, how many also come twice negated
TWICE = 2  # with `twice`: how many frames negate each phrase twice

SUBJECTS = ("i", "it", "this", "that", "they", "we", "you", "he", "she")
NEGATED_AUXILIARIES = ("isn't", "wasn't", "aren't", "weren't", "don't", "didn't", "doesn't",
                       "can't", "couldn't", "wouldn't", "won't", "shouldn't")
SAYERS = ("i", "you")  # who says it in a frame of saying
SAYING = ("can't say", "wouldn't say", "won't say", "don't think", "didn't think")
COPULAS = ("it was", "it's", "it is", "this is", "that was", "they were", "he was",
           "she is", "i was", "we were")
NOT_THAT = ("it's not that", "not that", "it's not like", "it's not as if", "it isn't that")


def negated(phrases: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """("not " + phrase, the other label) for each short phrase that negates nothing yet."""
    return [(f"not {text}", 1 - label) for text, label in _short(phrases, MAX_WORDS)]


def framed(phrases: list[tuple[str, int]], seed: int,
           twice: bool = False) -> list[tuple[str, int]]:
    """Each phrase of at most FRAMED_WORDS words that negates nothing yet, once in a frame
    that negates it (the other label) and in frames that negate it twice (its own label):
    for DOUBLE_SHARE of them once, or with `twice` each in TWICE frames."""
    rng = random.Random(seed)
    out = []
    for text, label in _short(phrases, FRAMED_WORDS):
        out.append((_once(rng, text), 1 - label))
        if twice:
            out += [(_twice(rng, text), label) for _ in range(TWICE)]
        elif rng.random() < DOUBLE_SHARE:
            out.append((_twice(rng, text), label))
    return out


def held_out(train: list[tuple[str, int]], val: list[tuple[str, int]], seed: int = 0,
             draws: int = 3) -> dict[str, list[tuple[str, int]]]:
    """How far the frames carry to words they never negated: each one-word phrase of SST-2's
    validation part that is not one of its training part, negated once and twice in `draws`
    frames each, and said ("it was P"), with the label each should read
    (benchmarks/sentiment_chat.py)."""
    rng = random.Random(seed)
    rated = listed(train)
    unseen = dict.fromkeys((text, label) for text, label in _short(val, FRAMED_WORDS)
                           if text not in rated)
    return {"once": [(_once(rng, t), 1 - y) for t, y in unseen for _ in range(draws)],
            "twice": [(_twice(rng, t), y) for t, y in unseen for _ in range(draws)],
            "said": [(f"it was {t}", y) for t, y in unseen]}


def _short(phrases: list[tuple[str, int]], max_words: int) -> list[tuple[str, int]]:
    return [(text, label) for text, label in phrases
            if 0 < len(words := text.split()) <= max_words
            and not NEGATIONS & {w.lower() for w in words}]


def _negated_clause(rng: random.Random, phrase: str) -> str:
    return f"{rng.choice(SUBJECTS)} {rng.choice(NEGATED_AUXILIARIES)} {phrase}"


def _once(rng: random.Random, phrase: str) -> str:
    frame = rng.randrange(5)
    if frame == 0:
        return f"{rng.choice(('not', 'no', 'never'))} {phrase}"
    if frame in (1, 2):
        return _negated_clause(rng, phrase)
    if frame == 3:
        return f"{rng.choice(SAYERS)} {rng.choice(SAYING)} {rng.choice(COPULAS)} {phrase}"
    return f"{rng.choice(NOT_THAT)} {rng.choice(COPULAS)} {phrase}"


def _twice(rng: random.Random, phrase: str) -> str:
    frame = rng.randrange(3)
    if frame == 0:
        return f"{rng.choice(SAYERS)} {rng.choice(SAYING)} {_negated_clause(rng, phrase)}"
    if frame == 1:
        return f"{rng.choice(NOT_THAT)} {_negated_clause(rng, phrase)}"
    return f"{rng.choice(SUBJECTS)} {rng.choice(NEGATED_AUXILIARIES)} not {phrase}"
