"""Words said alone, as sure as the tweets are of them: a one-word reply such as "ok",
"k" or "lol" is a chat message of its own, and none of the three data sets labels one.

The model read a word alone from its weight in longer texts, and was surer than the data:
"ok" 71% positive and sure, while 55% of the 760 training tweets that hold it are positive;
"lol" 77% against 63%. Each word of at least MIN_TWEETS training tweets comes COPIES times
alone, as many of them positive as the tweets' (Laplace-smoothed) positive share says, so
that the loss is lowest at that share and a word the tweets use alike in both classes reads
as not sure. Words SST-2 lists as one-word phrases are left out: its annotators rated them,
and that label is already taught. A tenth of the words, chosen by a hash of the word, is
never taught (`held_out`), to measure how far it carries to words it did not teach.

Emoji were read alone the same way, and less surely than the tweets marked with them teach
(training/chat_marks.py): "🔥" 53% positive and not sure, where 68% of the tweets carrying
it are positive. With `--emoji-alone` each mark comes alone too (`said_alone` over
`chat_marks.mark_shares`), a tenth held out by the same hash.
"""

from __future__ import annotations

import hashlib
from collections import Counter

from inference.chat_text import normalize_chat, tokenize_chat
from training.neutral import listed

Phrases = list[tuple[str, int]]

MIN_TWEETS = 50  # a word's share is read from at least this many training tweets
COPIES = 10  # examples of each word alone: its share to the nearest tenth
HELD_OUT = 10  # one word in HELD_OUT is never taught


def tweet_shares(tweets: Phrases, sst: Phrases) -> dict[str, float]:
    """Each word of at least MIN_TWEETS tweets that SST-2 does not rate on its own, and
    the share of those tweets that are positive, smoothed: (positive + 1) / (tweets + 2)."""
    seen, positive = Counter(), Counter()
    for text, label in tweets:
        for word in set(tokenize_chat(normalize_chat(text))):
            seen[word] += 1
            positive[word] += label
    rated = listed(sst)
    return {w: (positive[w] + 1) / (n + 2) for w, n in sorted(seen.items())
            if n >= MIN_TWEETS and w.isalpha() and w not in rated}


def said_alone(shares: dict[str, float]) -> Phrases:
    """COPIES examples of each word not held out: round(COPIES × share) of them positive."""
    out = []
    for word, share in shares.items():
        if not _held(word):
            ones = round(COPIES * share)
            out += [(word, 1)] * ones + [(word, 0)] * (COPIES - ones)
    return out


def held_out(shares: dict[str, float]) -> dict[str, float]:
    """The words `said_alone` never teaches, with their shares (benchmarks/sentiment_chat.py)."""
    return {word: share for word, share in shares.items() if _held(word)}


def _held(word: str) -> bool:
    return int(hashlib.sha1(word.encode()).hexdigest(), 16) % HELD_OUT == 0

