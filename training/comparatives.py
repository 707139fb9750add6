"""Comparatives that judge by what they say was possible: "it could have been more boring".

A counterfactual or a speaker's experience judges against its comparative: "could have been
worse" says it was fine, "i've seen better" that it was not. No data set teaches that, and
the models read every such comparative by its own sign: the shipped model of 6 December
read "could've been worse" and "i've seen worse" 97% negative (training/eval/comparatives.tsv,
written before this module). SST-2's rated words the data uses as adjectives are compared
here, "more P" with P's label and "less P" with the other, and said three ways:
- as a counterfactual ("it could have been more P"), which reverses the comparison;
- as the speaker's experience ("i've seen more P ones"), which reverses it too;
- plainly ("it was more P than i expected"), which keeps it: each reversal's minimal pair.
A word the data writes an -er form of before "than" is compared by it ("funnier"), not by
"more". "better" and "worse", and the words they compare ("good", "bad"), are never compared
here, so the probe, whose reversals all compare by them, measures how far the construction
carries to the words chat compares with most.
"""

from __future__ import annotations

import random

from training.idioms import Phrases, rated_words, short_usage

SUBJECTS = ("it", "this", "that", "the movie", "the plot", "the acting", "the story", "the show")
DEGREES = (("more", True), ("less", False))  # and whether the comparison keeps P's sign
HELD_OUT = ("good", "bad", "well", "better", "worse", "best", "worst")  # the probe's
# {s} a subject, {c} the word compared ("more dull", "less dull", "funnier")
REVERSED = ("{s} could have been {c}", "{s} could've been {c}", "{s} could have been a lot {c}",
            "{s} might have been {c}", "{s} could be {c}", "i've seen {c} ones", "i've seen {c}",
            "i have seen much {c}", "we've seen {c}")
KEPT = ("{s} was {c} than i expected", "{s} was {c}", "{s} is {c}", "{s} was a lot {c}",
        "{s} was even {c}", "{s} got {c}", "{s} is way {c} than the first one")
FRAMES = 3  # drawn per word and degree: a reversal and its kept pair each time


def compared(train: Phrases, tweets: Phrases, seed: int) -> Phrases:
    """Each of SST-2's rated adjectives (read from its training phrases and the training
    `tweets`, as training/idioms.py reads them) compared with "more" and with "less", each
    in FRAMES reversing frames and as many kept ones, labelled by what they say."""
    rng = random.Random(seed)
    usage = short_usage(train, tweets)
    out = []
    for word, label in rated_words(train):
        if word in HELD_OUT or not usage.adjective(word):
            continue
        er = usage.comparative(word)
        for degree, keeps in DEGREES:
            said = label if keeps else 1 - label
            comparison = er if er and keeps else f"{degree} {word}"
            for reversed_frame, kept_frame in zip(rng.sample(REVERSED, FRAMES),
                                                  rng.sample(KEPT, FRAMES), strict=True):
                fill = {"s": rng.choice(SUBJECTS), "c": comparison}
                out += [(reversed_frame.format(**fill), 1 - said),
                        (kept_frame.format(**fill), said)]
    return out
