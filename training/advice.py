"""Advice in the imperative, whose negation keeps the verdict: "don't waste your money".

The negation frames teach that a negation reverses the word it governs ("i don't like it"),
and chat's commonest verdict in a review's last line does not work that way: telling someone
not to spend on a thing condemns it, telling them not to miss it praises it. The models
trained with the frames in all their epochs read "don't waste your money" and "don't bother"
as positive, and every model before them read "don't miss this movie" as a coin flip and
"don't let this one pass you by" as negative (training/eval/advice.tsv, written before this
module). The reviewers' warnings and recommendations, a closed set of verbs of spending,
going and waiting, are written here by hand, each in the ways chat negates an imperative and
with its endings; the probe holds other verbs and objects, to measure how far they carry.
"""

from __future__ import annotations

from itertools import product

WARNINGS = ("waste your money", "waste your time", "waste your money on this",
            "waste your time on it", "bother", "bother with it", "bother with this one",
            "even bother", "buy it", "buy this", "go there", "go see it", "watch it",
            "expect much", "believe the hype", "fall for it", "get your hopes up", "pay for it",
            "order it", "eat here")
RECOMMENDATIONS = ("miss it", "miss this one", "miss out", "hesitate", "hesitate to go", "wait",
                   "think twice", "pass it up", "pass this one up", "sleep on it",
                   "sleep on this one", "let it get away")
IMPERATIVES = ("don't", "do not", "dont", "please don't", "just don't")
ENDINGS = ("", ".", "!", ", trust me", ", seriously")


def advice() -> list[tuple[str, int]]:
    """Every warning (negative, 0) and recommendation (positive, 1) in every imperative and
    ending."""
    return [(f"{neg} {what}{end}", label)
            for label, said in ((0, WARNINGS), (1, RECOMMENDATIONS))
            for neg, what, end in product(IMPERATIVES, said, ENDINGS)]
