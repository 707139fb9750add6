"""Neutral words, as SST's annotators rated them: "not sure" taught by the data itself.

SST (Socher et al. 2013) rated every phrase of its parse trees, each word on its own
included, from very negative to very positive; GLUE's SST-2 keeps the phrases outside the
neutral middle only. So a word of SST-2's training phrases that SST-2 does not list as a
one-word phrase was rated neutral: "ok", "sure", "yes", "film", names. None of the three
data sets has a neutral class, and without one the chat model read "ok" 68% positive and
"meh" 80% negative, sure of both. Each neutral word becomes an example twice, once with each
label: the loss is lowest at 50/50, which the card shows as "not sure".
"""

from __future__ import annotations

Phrases = list[tuple[str, int]]


def neutral_words(train: Phrases, val: Phrases) -> list[str]:
    """The words of SST-2's training phrases that are not one-word phrases of its training
    file: of either part, so a word whose label sits in the validation part is not called
    neutral. In a stable order."""
    return sorted(_words(train) - listed(train + val))


def both_labels(words: list[str]) -> list[tuple[str, int]]:
    """Each word once negative, once positive."""
    return [(w, label) for w in words for label in (0, 1)]


def unseen_neutral_words(train: Phrases, val: Phrases) -> list[str]:
    """The neutral words of SST-2's validation part that no training phrase has: how well
    "not sure" carries to neutral words the model never met (benchmarks/sentiment_chat.py)."""
    return sorted(_words(val) - listed(train + val) - _words(train))


def _words(phrases: Phrases) -> set[str]:
    return {w for text, _ in phrases for w in text.split()}


def listed(phrases: Phrases) -> set[str]:
    """The words these phrases list on their own: the ones SST's annotators rated."""
    return {text for text, _ in phrases if len(text.split()) == 1}
