"""How much of a message is in words a word-level model does not know (inference.verdict's
"unknown_language" for a model of English text).

A word of the raw message is new to the model when it is
- written with letters outside ASCII (another script, or accented Latin: "фильм", "película",
  "świetny"): the model only ever reads their transliteration, which is no English word;
- not in the model's vocabulary once tokenised as the model's pipeline does ("langweilig");
- or one of a short list of everyday function words of other languages written in Latin
  letters (below): IMDB reviews quote foreign titles, so "und", "les" and "muy" made it into
  the vocabulary, yet a message made of them is not English. Only words that are not also
  English words are listed ("die", "son", "come", "fine", "me" are not).
A message of one word counts as new only when that word has letters outside ASCII (an English
slang word the vocabulary lacks, "goated", is still answered). The threshold on the new share
is chosen on validation data for each model (training/short_text.py) and travels in its
checkpoint's verdicts as `unknown_words_at_least`.

Torch-free.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_NOT_WORDS = re.compile(r"(?:https?://|www\.)\S+|@\w+|<[@#][!&]?\d+>")  # links, mentions

# Frequent function words of German, French, Spanish, Italian, Portuguese, Dutch, Turkish and
# Indonesian/Malay that are not English words; ASCII forms only (accented ones are new anyway).
FOREIGN_FUNCTION_WORDS = frozenset("""
der das und ist nicht ich sie wir ihr ein eine einen mit sehr auf zu den dem auch noch wie
aber oder wenn dass heute viel nur schon immer mein dein sein
le les et je tu nous vous une des du est pas elle ils avec pour mais tres qui que sur ce cette
mon ton ces aussi bien merci aujourd'hui c'est j'ai
el los las muy y del con por para pero una esta este estoy eso hoy nada gracias donde cuando
il della che non molto sono questo questa anche grazie oggi niente
os nao muito com uma foi obrigado obrigada voce isso hoje
het een niet ik van wat heel ook maar dat voor
bir ve bu cok ben sen
dan yang sangat ini itu tidak saya
""".split())


def words(raw: str) -> list[str]:
    """The words of a raw message, case folded: runs of letters (any script), with an
    apostrophe inside ("aujourd'hui", "don't"); links and @mentions are no words."""
    return _WORD.findall(_NOT_WORDS.sub(" ", unicodedata.normalize("NFKC", raw).casefold()))


def new_word_share(raw: str, known: Callable[[str], bool]) -> float:
    """The share of the message's words that are new to a model whose vocabulary `known`
    answers for an ASCII word (0.0 for a message without words)."""
    found = words(raw)
    if not found:
        return 0.0
    if len(found) == 1 and found[0].isascii():
        return 0.0
    foreign = [not w.isascii() or w in FOREIGN_FUNCTION_WORDS for w in found]
    unknown = sum(not f and not known(w) for w, f in zip(found, foreign, strict=True))
    if not any(foreign) and unknown == 1:
        return 0.0  # one word the vocabulary lacks in English letters: a typo or slang
    return (sum(foreign) + unknown) / len(found)
