"""Which inputs to ask the community about: the least certain ones, but not all alike.

One ranking for the bot's /teach and the learning-loop simulation, so the measured gain of
active learning is the gain of the code that runs. Torch-free: it reads probabilities only.

Uncertainty is the margin between the top two probabilities (small = unsure). Taken alone,
the least certain items of a surname model come in families ("-yama", "-yama", ...), and
votes on the fifth "-yama" teach little the first did not, so the greedy pass skips an item
that repeats a recent one's ending, shares most of its character trigrams, or would give one
predicted label more than `label_share` of the picks; when that leaves too few, the skipped
ones fill up in order of uncertainty.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SUFFIX_CHARS = 3
MAX_SIMILARITY = 0.5  # Jaccard of character-trigram sets above which two items are "alike"
LABEL_SHARE = 0.5


@dataclass(frozen=True)
class Candidate:
    key: int  # a prediction id (bot) or an index (simulation)
    text: str  # the normalised input: what the model read
    label: str  # the model's answer
    top: Sequence[tuple[str, float]]  # probabilities, best first

    @property
    def margin(self) -> float:
        return margin(self.top)


def margin(top: Sequence[tuple[str, float]]) -> float:
    """Top probability minus the runner-up's: 0 = a coin toss, 1 = certain."""
    if not top:
        return 1.0
    return top[0][1] - (top[1][1] if len(top) > 1 else 0.0)


def trigrams(text: str) -> frozenset[str]:
    padded = f"^{' '.join(text.lower().split())}$"
    return frozenset(padded[i:i + 3] for i in range(max(1, len(padded) - 2)))


def suffix(text: str) -> str:
    """The ending a name family shares ("-ama", "-ski"); the last word's for a sentence."""
    words = [w for w in "".join(c if c.isalnum() else " " for c in text.lower()).split()]
    return words[-1][-SUFFIX_CHARS:] if words else ""


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


@dataclass(frozen=True)
class _Seen:
    grams: frozenset[str]
    ending: str
    label: str


def select(
    candidates: Iterable[Candidate],
    k: int,
    *,
    recent: Iterable[tuple[str, str]] = (),
    max_similarity: float = MAX_SIMILARITY,
    label_share: float = LABEL_SHARE,
) -> list[Candidate]:
    """Up to `k` candidates, least certain first, spread over endings, spellings and labels.

    `recent` holds (text, label) of items already shown to the same audience: new picks are
    kept apart from them too, so one user's successive /teach items differ.
    """
    ordered = sorted(candidates, key=lambda c: (c.margin, c.key))
    seen = [_Seen(trigrams(text), suffix(text), label) for text, label in recent]
    label_cap = max(1, math.ceil(label_share * (k + len(seen))))
    labels = Counter(s.label for s in seen)
    chosen: list[Candidate] = []
    skipped: list[Candidate] = []
    for candidate in ordered:
        if len(chosen) == k:
            break
        item = _Seen(trigrams(candidate.text), suffix(candidate.text), candidate.label)
        alike = any(item.ending == s.ending or jaccard(item.grams, s.grams) > max_similarity
                    for s in seen)
        if alike or labels[item.label] >= label_cap:
            skipped.append(candidate)
            continue
        chosen.append(candidate)
        seen.append(item)
        labels[item.label] += 1
    chosen += skipped[: k - len(chosen)]
    return chosen
