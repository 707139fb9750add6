"""Idioms in which a negation does not reverse what is said, taught by construction.

Chat is full of them, and every frame the model learnt negation from says the opposite: the
model shipped on 5 December (`sentiment-20261205-093617`) read "not gonna lie it was good" as 82%
negative, "couldn't be happier" as 72% negative and "doesn't get any better than this" as 92%
negative (training/eval/idioms.tsv). Three kinds, each filled with SST-2's own rated
one-word phrases and carrying the word's label:
- candour, a negated verb of lying or kidding that vouches for what follows: "not gonna lie,
  it was P", "i kid you not, P";
- a quality at its limit, a negated comparative: "couldn't be more P", "i've never been so P",
  "it doesn't get any P-er than this", for the words the data uses as adjectives (after a
  degree word: "very P", "so P") and the comparatives it writes before "than";
- an exception, which keeps only what it names: "nothing but P", "nothing short of P".
Taught alone, the idioms drowned the negation frames' one reversing example of each word in
six that keep it: negated verbs of saying ("i can't say it was P") fell from 86% right to
58%. So each idiom of candour and of exception comes beside its minimal pair, the same words
with a negation that does reverse them and the other label. The words of SST-2's validation
part that no training phrase lists are never taught (`held_out`), to measure how far the
idioms carry (docs/results.md, "Sentiment: idioms, measured, not shipped": they carry, but
held-out statements lose 2 to 4 points).
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterator, Sequence

from training.negation import NEGATIONS, SAYERS, SAYING
from training.neutral import listed

Phrases = list[tuple[str, int]]
Frames = Sequence[tuple[str, str | None]]  # an idiom, and its minimal pair if it has one

SUBJECTS = ("it", "this", "that", "the movie", "the food", "the show", "the game", "the service")
# Marks of candour; those that open with "no" or "without" ("no joke", "no doubt") are left
# out: they taught a "no" that keeps, and "no regrets" and "no problems" lost their sureness.
CANDOUR = ("not gonna lie", "not going to lie", "i'm not gonna lie", "i'm not going to lie",
           "not kidding", "i'm not kidding", "not even kidding", "i kid you not", "not to mention")
# {m} a mark of candour, {s} a subject, {w} the word, {c} its comparative; {n} the negation of
# the clause after it in a pair: half the time a negated verb of saying ("i can't say it was
# P", the negation frames' own, which the marks would otherwise teach to keep), half the
# time its copula ("it wasn't P"). A pair of the mark with the clause negated ("not gonna
# lie, it wasn't P") taught twice-negated frames ("i can't say it wasn't P") the other label.
VOUCHED = (("{m}, {s} was {w}", "{n} {s} was {w}"), ("{m} {s} is {w}", "{n} {s} is {w}"),
           ("{m}, {w}", "not {w}"), ("{s} was {w}, {m}", "{n} {s} was {w}"),
           ("{m}, {s} is so {w}", "{n} {s} is so {w}"), ("{m} that was {w}", "{n} that was {w}"))
EXCEPTING = (("nothing but {w}", "nothing {w}"), ("{s} was nothing but {w}", "{s} was nothing {w}"),
             ("nothing short of {w}", "nothing {w} about it"),
             ("{s} was nothing short of {w}", "there was nothing {w} about {s}"),
             ("nothing less than {w}", "nothing {w} here"),
             ("{s} is nothing less than {w}", "{s} is nothing {w}"))
# At the limit, unpaired: its pairs ("couldn't be less P", "i've never been P") differ from
# it by a word or two, and with them the held-out words read right at the limit 37% of the
# time, against 44% without.
AT_THE_LIMIT = tuple((frame, None) for frame in (
    "couldn't be more {w}", "i couldn't be more {w}", "{s} couldn't have been more {w}",
    "never been more {w}", "i've never been so {w}", "never seen anything so {w}",
    "nothing could be more {w}", "{s} doesn't get more {w} than this"))
COMPARED = tuple((frame, None) for frame in (
    "couldn't be {c}", "{s} couldn't be {c}", "{s} couldn't have been {c}", "never been {c}",
    "{s} doesn't get any {c} than this", "{s} can't get any {c}", "can't get much {c} than that",
    "nothing is {c} than this"))
SAID = tuple(f"{who} {verb}" for who in SAYERS for verb in SAYING)
# frames a word comes in, of each kind it fits; a comparative (two dozen words, "better" and
# "worse" among them) in all of its frames, COMPARED_ROUNDS times: in each once, "couldn't be
# happier" still read 61% negative
FRAMES = {"candour": 1, "exception": 1, "limit": 2, "compared": len(COMPARED)}
COMPARED_ROUNDS = 4
SAYING_SHARE = 0.5  # of the pairs of candour, those negating a verb of saying
_DEGREE = re.compile(r"\b(?:very|so|too|more|most|quite|rather|really|extremely|incredibly)"
                     r" ([a-z]+)\b")
_WORDS = re.compile(r"[a-z]+")
_THAN = re.compile(r"\b([a-z]+) than\b")
MIN_DEGREE = 3  # texts with a degree word before it: the data uses it as an adjective
MIN_DEGREE_SHARE = 0.05  # of the texts that hold it: not a noun met once after "so"


class Usage:
    """Which words the data uses as adjectives, and which comparatives it writes ("P-er
    than"), read from the short training texts."""

    def __init__(self, texts: list[str]) -> None:
        self.degree, self.seen, self.than = Counter(), Counter(), Counter()
        for text in {t.lower() for t in texts}:
            self.degree.update(set(_DEGREE.findall(text)))
            self.seen.update(set(_WORDS.findall(text)))
            self.than.update(set(_THAN.findall(text)))

    def adjective(self, word: str) -> bool:
        return (not word.endswith("ly") and self.degree[word] >= MIN_DEGREE
                and self.degree[word] >= MIN_DEGREE_SHARE * self.seen[word])

    def comparative(self, word: str) -> str | None:
        """The word's -er form, if the data writes it before "than" ("better" and "worse"
        are rated phrases of their own)."""
        if word in ("better", "worse") or (word.endswith("er") and self.than[word]):
            return word
        if not self.adjective(word):
            return None
        if word.endswith("e"):
            form = word + "r"
        elif len(word) > 2 and word.endswith("y") and word[-2] not in "aeiou":
            form = word[:-1] + "ier"
        elif (len(word) >= 3 and sum(c in "aeiou" for c in word) == 1
              and word[-1] not in "aeiouwxy" and word[-2] in "aeiou"):
            form = word + word[-1] + "er"  # one syllable, one vowel: sad -> sadder
        else:
            form = word + "er"
        return form if self.than[form] else None


def idioms(train: Phrases, tweets: Phrases, seed: int) -> Phrases:
    """Each one-word phrase of SST-2's training part in FRAMES frames of each kind of idiom
    it fits (read from its phrases and the training `tweets`), with its own label, each
    beside its minimal pair if it has one."""
    rng = random.Random(seed)
    out = []
    for idiom, pair, _ in _kinds(rng, rated_words(train), short_usage(train, tweets), every=False):
        out += [idiom] if pair is None else [idiom, pair]
    return out


def held_out(train: Phrases, val: Phrases, tweets: Phrases,
             seed: int = 0) -> dict[str, Phrases]:
    """How far the idioms carry to words they never framed: each one-word phrase of SST-2's
    validation part that is not one of its training part, in every idiom of each kind it
    fits (benchmarks/sentiment_chat.py)."""
    rated = listed(train)
    unseen = [(w, y) for w, y in rated_words(val) if w not in rated]
    kinds: dict[str, Phrases] = {"candour": [], "limit": [], "exception": []}
    for idiom, _, kind in _kinds(random.Random(seed), unseen, short_usage(train, tweets),
                                 every=True):
        kinds[kind].append(idiom)
    return kinds


Example = tuple[str, int]


def _kinds(rng: random.Random, words: Phrases, usage: Usage,
           every: bool) -> Iterator[tuple[Example, Example | None, str]]:
    """(idiom, its minimal pair or None, kind) for each word in every frame of each kind it
    fits, or in FRAMES of them drawn."""
    for word, label in words:
        fits: list[tuple[str, Frames]] = [("candour", VOUCHED), ("exception", EXCEPTING)]
        if usage.adjective(word):
            fits.append(("limit", AT_THE_LIMIT))
        if form := usage.comparative(word):
            fits.append(("compared", COMPARED))
        for kind, frames in fits:
            for idiom, pair in frames if every else _drawn(rng, frames, kind):
                fill = {"s": rng.choice(SUBJECTS), "m": rng.choice(CANDOUR), "w": word,
                        "c": form}
                saying = rng.random() < SAYING_SHARE
                fill["n"] = rng.choice(SAID) if saying else ""
                yield ((idiom.format(**fill), label),
                       None if pair is None else (_paired(pair, fill, saying), 1 - label),
                       "limit" if kind == "compared" else kind)


def _drawn(rng: random.Random, frames: Frames, kind: str) -> Frames:
    rounds = COMPARED_ROUNDS if kind == "compared" else 1
    return [frame for _ in range(rounds) for frame in rng.sample(frames, FRAMES[kind])]


def _paired(pair: str, fill: dict[str, str | None], saying: bool) -> str:
    """The minimal pair: {n} a negated verb of saying, or, when not `saying`, the clause's
    copula negated instead ("it wasn't P")."""
    if "{n}" not in pair or saying:
        return pair.format(**fill)
    return re.sub(r"\b(was|is)\b", r"\1n't", pair.replace("{n} ", "").format(**fill), count=1)


def short_usage(train: Phrases, tweets: Phrases) -> Usage:
    """How the short training texts use their words: SST-2's training phrases and the
    training tweets, the same for the idioms taught and the ones held out."""
    return Usage([text for text, _ in train + tweets])


def rated_words(phrases: Phrases) -> Phrases:
    """SST-2's rated words, each once (its phrases repeat)."""
    return list(dict.fromkeys((text, label) for text, label in phrases
                              if _WORDS.fullmatch(text) and text not in NEGATIONS))
