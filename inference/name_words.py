"""A full name read word by word: "Zhang Wei", "Pierre Dubois", "Иван Петров".

The origin model learned from surnames, one to a line, so read whole, a full name is one long
surname it has never seen ("Zhang Wei": Russian 57%). Read word by word, each word is a name
of the kind it learned, and one of them is the surname; which one, the order does not say
(Zhang Wei, Pierre Dubois). So the answer is the mean of the words' answers: a mixture over
which word is the surname, sharpened by a power chosen on validation (NAME_WORDS). On the
validation surnames with a given name of their own language, the mean and the geometric
mean both beat the whole-string reading (0.845 and 0.848 against 0.775); with a given name
common to most of the languages (Anna, David), the mean keeps most of the surname's own
accuracy (0.794; geometric 0.731, whole 0.735, the surname alone 0.835), and so it was
chosen (docs/origin-evidence.md, "Full names, word by word").

A particle belongs to the surname it introduces, not to a word of its own: "van der Berg",
"De la Cruz", "Ó Súilleabháin" and "Mac Giolla Phádraig" start one word, as the data holds
them ("De la cruz", "Von brandt", "Ter Avest"). A lone letter (an initial: "J. Smith") says
nothing of a language and is not read unless nothing else is; nor is a title ("Dr.", "Mr",
"Frau", "Signora"), which says where the writer is from, not the name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

# Particles as the model reads them (lower-case, transliterated: "Ó" is "o"), from
# Wikipedia's "Nobiliary particle" and the surname conventions of the data's languages:
# Dutch van, der, den, ter, ten, te; German von, vom, zu, zum, zur; French de, du, des, la, le;
# Italian di, da, del, della, dei, degli, lo; Spanish and Portuguese de, del, la, da, das, do,
# dos, y, e; Gaelic o (Ó), ua, ni, ui, nic, mhic, mac, mc; Arabic bin, ibn, bint, abu (al- is
# joined by a hyphen: "Al-Khatib" is one word already, and "Al" alone is a given name); saints'
# names: st, san, santa, santo.
PARTICLES = frozenset((
    "van der den ter ten te von vom zu zum zur de du des la le di da del della dei degli lo "
    "das do dos y e o ua ni ui nic mhic mac mc bin ibn bint abu st san santa santo").split())
# Titles before a name in the data's languages (lower-case, without their dot). Not "pan"
# (Polish "Mr", and the Chinese surname Pan) nor "don", names too.
TITLES = frozenset((
    "mr mrs ms miss mx dr prof sir dame rev herr frau monsieur madame mme mlle sr sra srta "
    "signor signora sig").split())
SPACE = " "


def _letters(units: Sequence[str]) -> int:
    return sum(u.isalpha() for u in units)


def word_spans(units: Sequence[str]) -> list[tuple[int, int]]:
    """The (start, end) spans of a name's units (its characters, as the model reads them)
    that the model reads one at a time: each word with the particles before it. One span, the
    whole name, when it is one word."""
    words: list[tuple[int, int]] = []
    start = None
    for i, unit in enumerate((*units, SPACE)):
        if unit == SPACE:
            if start is not None:
                words.append((start, i))
            start = None
        elif start is None:
            start = i
    if len(words) < 2:
        return [(0, len(units))]
    spans: list[tuple[int, int]] = []
    opened = None  # where the particles before the current word begin
    for s, e in words:
        word = "".join(units[s:e]).strip(".").lower()
        first = s if opened is None else opened
        if word in PARTICLES and (s, e) != words[-1]:
            opened = first
            continue
        spans.append((first, e))
        opened = None
    named = [(s, e) for s, e in spans if _letters(units[s:e]) > 1
             and "".join(units[s:e]).strip(".").lower() not in TITLES]
    return named or [(0, len(units))]


@dataclass(frozen=True)
class WordReading:
    """How a task's model reads an input of several words (TaskSpec.words)."""

    spans: Callable[[Sequence[str]], list[tuple[int, int]]]  # the words, from the units
    # The words' mean answer, raised to this power and renormalised: a mixture is as unsure
    # as its least sure word, while two words that agree are stronger evidence than either.
    power: float = 1.0


NAME_WORDS = WordReading(word_spans, power=1.8)
