"""Contrast taught by construction: in "A, but B" the speaker's verdict is B.

A chat message often concedes before it judges ("a bit slow at first, but then great"), and
the chat model, pooling over both clauses, read such a message by whichever word weighed
more: on words of SST-2's validation part that no training phrase lists, "although it was
A, it was B" read as B about half the time (docs/results.md, "Contrasts, measured, not
shipped"). SST-2 labels its sentences by the verdict too, but has few short ones that
concede. From its own one-word phrases: each word SST's annotators rated, as the verdict B,
in FRAMES frames with a conceded word A of the other label drawn for each, with B's label.
Every rated word is a verdict and, drawn at random, a concession too, so neither clause's
position nor a word's own weight alone tells the label.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence

from training.negation import NEGATIONS
from training.neutral import listed

Phrases = list[tuple[str, int]]

FRAMES = 2  # frames each verdict word comes in
SUBJECTS = ("it", "this", "that", "the movie", "the food", "the show", "the game", "the trip")
CONCEDING = (  # {a}: the conceded word, {b}: the verdict, {s}: a subject
    "{a}, but {s} was {b}", "{a} but {b}", "{a} at first, but then {b}",
    "although {s} was {a}, {s} was {b}", "{s} was {b}, even if a bit {a}",
    "{s} is {b}, though a little {a}", "{a} in places, but {b} overall",
    "a bit {a}, but {b}", "{b}, despite being {a}", "sure it's {a}, but it's also {b}",
    "{s} started {a} but ended up {b}", "{a}, and yet {s} is {b}")
# A frame saying "{s} was {a}" teaches that a plain "it was P" may not be the verdict: with
# four such frames of twelve, statements of held-out words ("it was P") read right 3 points
# less often; the verdict follows a copula at least as often as the concession does.
_WORD = re.compile(r"[a-z][a-z'-]*")


def contrasted(train: Phrases, seed: int) -> Phrases:
    """Each one-word phrase of SST-2's training part as the verdict of FRAMES frames, each
    with a conceded word of the other label, and the verdict's label."""
    rng = random.Random(seed)
    return _verdicts(rng, _rated(train), lambda: rng.sample(CONCEDING, FRAMES))


def held_out(train: Phrases, val: Phrases, seed: int = 0) -> Phrases:
    """How far contrast carries to words no frame used: each one-word phrase of SST-2's
    validation part that is not one of its training part, as the verdict in every frame,
    conceding one such word of the other label (benchmarks/sentiment_chat.py)."""
    rated = listed(train)
    unseen = [(w, y) for w, y in dict.fromkeys(_rated(val)) if w not in rated]
    return _verdicts(random.Random(seed), unseen, lambda: CONCEDING)


def _verdicts(rng: random.Random, words: Phrases,
              frames: Callable[[], Sequence[str]]) -> Phrases:
    """Each word as the verdict of the `frames()` drawn for it, each conceding a word of
    the other label drawn from `words`, with the verdict's label."""
    by_label = {y: [w for w, label in words if label == y] for y in (0, 1)}
    return [(_fill(rng, frame, rng.choice(by_label[1 - label]), word), label)
            for word, label in words if by_label[1 - label] for frame in frames()]


def _rated(phrases: Phrases) -> Phrases:
    return [(text, label) for text, label in phrases
            if _WORD.fullmatch(text) and text not in NEGATIONS]


def _fill(rng: random.Random, frame: str, conceded: str, verdict: str) -> str:
    return frame.format(s=rng.choice(SUBJECTS), a=conceded, b=verdict)
