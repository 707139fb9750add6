"""Questions taught by construction: asking whether something is good does not say it is.

Reviews and tweets rarely ask what they do not answer, so the chat model read a question by
its words: "is it any good?" 83% positive and "where can i buy tickets?" 72% negative, both
sure (training/eval/questions.tsv). None of the three data sets labels a question neutral;
as for the neutral words (training/neutral.py), an example that comes once with each label
teaches 50/50, which the card shows as "not sure". From SST-2's own training phrases:
- asked: each word SST's annotators rated on its own that phrases put after a copula ("is
  dull", "so witty": a quality) is asked about in ASKED_FRAMES frames ("was it P?", "do you
  think the ending is P?"), once with each label;
- asked for a fact: each neutral word that phrases put after "the" (a thing: "the soundtrack")
  in a frame that asks for a fact ("where can i get the N?"), once with each label;
- exclaimed: for EXCLAIMED_SHARE of the qualities, a question whose asker has judged ("why
  is it so P?", "how can it be so P?"), with the quality's own label, so that a question
  mark alone does not come to mean "not sure".
Questions asking agreement ("isn't it P?") are read as their statement by pipeline v5
(inference/chat_text.py), so they need no frame.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from itertools import pairwise, product

from training.neutral import listed, neutral_words

Phrases = list[tuple[str, int]]

COPULAS = {"is", "was", "are", "were", "be", "been", "seems", "so", "very", "too", "looks",
           "feels"}  # a word a phrase puts after one of these names a quality
THE_AT_LEAST = 3  # how often a neutral word follows "the" in the phrases to name a thing
ASKED_FRAMES = 5  # how many frames ask about each quality
EXCLAIMED_SHARE = 0.5
_WORD = re.compile(r"[a-z][a-z'-]*")

SUBJECTS = ("it", "this", "that", "the {thing}")
ASKED = ("is {s} {p}?", "was {s} {p}?", "is {s} really {p}?", "do you think {s} is {p}?",
         "did you find {s} {p}?", "would you say {s} was {p}?", "was {s} {p} or not?",
         "is {s} {p} at all?", "anyone know if {s} is {p}?", "is {s} {p} though?")
EXCLAIMED = ("why is {s} so {p}?", "how is {s} so {p}?", "how can {s} be so {p}?",
             "who knew {s} could be so {p}?", "is it just me or is {s} so {p}?",
             "how did {s} get so {p}?")
FACTS = ("where can i get the {t}?", "has anyone seen the {t}?", "when does the {t} start?",
         "who has the {t}?", "does anyone know where the {t} is?", "what time is the {t}?",
         "can you send me the {t}?", "which {t} is it?", "how do i find the {t}?",
         "did you see the {t}?", "are we doing the {t} today?", "is the {t} here yet?")


def questions(train: Phrases, val: Phrases, seed: int) -> Phrases:
    """The asked, asked-for-a-fact and exclaimed questions of SST-2's training phrases (the
    validation part only keeps words whose label sits there from being called neutral)."""
    rng = random.Random(seed)
    things = _things(train, neutral_words(train, val))
    out: Phrases = []
    for word, label in _qualities(train):
        for frame in rng.sample(ASKED, ASKED_FRAMES):
            asked = _fill(rng, frame, word, things)
            out += [(asked, 0), (asked, 1)]
        if rng.random() < EXCLAIMED_SHARE:
            out.append((_fill(rng, rng.choice(EXCLAIMED), word, things), label))
    for thing in things:
        fact = rng.choice(FACTS).format(t=thing)
        out += [(fact, 0), (fact, 1)]
    return out


def held_out(train: Phrases, val: Phrases, seed: int = 0) -> dict[str, Phrases]:
    """How far "asking is not saying" carries to qualities no question asked about: each
    quality of SST-2's validation part that is not a one-word phrase of its training part,
    asked in every frame ("was the soundtrack P?") and said ("the soundtrack was P"), each
    with the quality's label (benchmarks/sentiment_chat.py)."""
    rng = random.Random(seed)
    things = _things(train, neutral_words(train, val))
    rated = listed(train)
    unseen = dict.fromkeys((text, label) for text, label in _qualities(val, train + val)
                           if text not in rated)
    out: dict[str, Phrases] = {"asked": [], "said": []}
    for (word, label), frame in product(unseen, ASKED):
        subject = _subject(rng, things)
        out["asked"].append((frame.format(s=subject, p=word), label))
        out["said"].append((f"{subject} was {word}", label))
    return out


def _qualities(phrases: Phrases, context: Phrases | None = None) -> Phrases:
    """One-word phrases, with their labels, that some phrase (of `context`, default these)
    puts after a copula."""
    after = {b for text, _ in (context or phrases) for a, b in pairwise(text.split())
             if a in COPULAS}
    return [(text, label) for text, label in phrases if text in after and _WORD.fullmatch(text)]


def _things(phrases: Phrases, neutral: list[str]) -> list[str]:
    """Neutral words that phrases put after "the" at least THE_AT_LEAST times, in order."""
    after_the = Counter(b for text, _ in phrases for a, b in pairwise(text.split()) if a == "the")
    return [w for w in neutral if after_the[w] >= THE_AT_LEAST and _WORD.fullmatch(w)]


def _fill(rng: random.Random, frame: str, quality: str, things: list[str]) -> str:
    return frame.format(s=_subject(rng, things), p=quality)


def _subject(rng: random.Random, things: list[str]) -> str:
    return rng.choice(SUBJECTS).format(thing=rng.choice(things)) if things else "it"
