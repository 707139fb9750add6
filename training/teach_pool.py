"""Unlabelled candidates for /teach's pool: short sentences from the unlabelled IMDB reviews.

People type short messages, the data set's reviews are long: sentences of a few words from
the 50,000 unlabelled reviews (in neither the training nor the test set) are the nearest
thing to chat the data has. Load the output with `python -m db teach-pool add --task
sentiment FILE`; the bot scores the sentences itself and asks about the least certain ones.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path

from training.data import DataError, iter_imdb

_TAGS = re.compile(r"<[^>]+>")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(A-Z0-9])")


def sentences(review: str) -> Iterator[str]:
    """A review's sentences, HTML line breaks removed and whitespace collapsed."""
    text = " ".join(_TAGS.sub(" ", review).split())
    yield from (s.strip() for s in _SENTENCE_END.split(text) if s.strip())


def extract(source: Path, limit: int, *, seed: int = 0, min_words: int = 4,
            max_words: int = 25) -> list[str]:
    """A uniform sample (reservoir) of `limit` distinct sentences of min..max words."""
    rng = random.Random(seed)
    seen: set[str] = set()
    sample: list[str] = []
    reviews = 0
    for review, _ in iter_imdb(source, "unsup"):
        reviews += 1
        for sentence in sentences(review):
            if not min_words <= len(sentence.split()) <= max_words or sentence in seen:
                continue
            seen.add(sentence)
            if len(sample) < limit:
                sample.append(sentence)
            elif (slot := rng.randrange(len(seen))) < limit:
                sample[slot] = sentence
    if not reviews:
        raise DataError(f"no unlabelled IMDB reviews found in {source}")
    return sample
