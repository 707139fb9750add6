"""The chat tokenizer: sentiment's input pipeline v2 (inference/tasks.py), for models trained
on chat as well as reviews. v1 (inference.text) stays as it is for the checkpoints that
record it.

What v2 reads that v1 loses or splits apart:
- negations: "didn't", "isn't", "can't", "won't" are the verb and "not" ("did not"), so
  every negation is the one token "not";
- emoji as tokens of their own: anyascii's name with a prefix ("😍" -> `emoji_heart_eyes`),
  so "heart" the word and ❤️ the emoji differ;
- emoticons as tokens (":)" -> `emo_smile`, ":(" -> `emo_frown`, "<3" -> `emo_heart`), which
  v1 dropped with the punctuation;
- elongation: a letter repeated three times or more is kept twice ("soooo" -> "soo",
  "loooove" -> "loove"), so every elongation of a word is one token;
- placeholders: links are `<url>`, @mentions and Discord mentions `<user>`;
- treebank spacing: SST-2's "does n't", "ca n't" and "it 's" are read as "doesn't", "can't"
  and "it's", the way people type them;
- case: a word in capitals (two letters or more) is preceded by `<caps>`.

v3 (`tokenize_chat_v3`) is v2 and two more rules:
- negations typed without their apostrophe ("dont", "isnt", "cant", "wont") are read as
  with it ("do not"): v2 read each as a word of its own, and "it wasnt good" came out 96%
  positive;
- a question that opens with a negated auxiliary and its subject ("isn't this amazing?",
  "wasn't that a great game?", "don't you hate it when...?") asks for agreement with what
  it says: its "not" negates nothing, so the auxiliary is read without it ("is this
  amazing?"). Linguists call this outer negation (Ladd 1981). A "not" anywhere else,
  in a question or not ("why isn't it working?", "it isn't great?"), is read as before.

v5 (`tokenize_chat_v5`) is v4 (v3's units, typos respelt) with outer negation read as the
statement it asks agreement with, without its auxiliary and question mark ("isn't this
amazing?" -> "this amazing"): v5 models are taught that a question which asks whether
something is so does not say it is (training/questions.py), and v3's reading made "isn't this
amazing?" the same units as "is this amazing?".
Torch-free.
"""

from __future__ import annotations

import re

from inference.errors import InputError
from inference.text import _HTML_BREAK, _SPACES, NO_WORDS, _clean_unicode, transliterate

URL, USER, CAPS = "<url>", "<user>", "<caps>"
EMOTICONS = {
    "emo_smile": (":)", ":-)", ":]", "=)", ":d", ":-d", "xd", "^^", "^_^"),
    "emo_frown": (":(", ":-(", ":[", "=("),
    "emo_cry": (":'(", ":'-(", "t_t"),
    "emo_wink": (";)", ";-)"),
    "emo_tongue": (":p", ":-p"),
    "emo_skeptical": (":/", ":-/", ":\\"),
    "emo_surprise": (":o", ":-o"),
    "emo_heart": ("<3",),
    "emo_broken_heart": ("</3",),
}
_EMOTICON = {face: name for name, faces in EMOTICONS.items() for face in faces}
_LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION = re.compile(r"<[@#][!&]?\d+>|@\w+")
_EMOJI_NAME = re.compile(r":([a-z0-9_+\-]+):")
_FACE = re.compile(r"(?<!\S)(?:" + "|".join(re.escape(f) for f in sorted(_EMOTICON, key=len,
                                                                         reverse=True))
                   + r")(?=\s|$)", re.IGNORECASE)
_NEGATED = {"can't": "can", "won't": "will", "shan't": "shall", "ain't": "is"}
_CHAT_TOKEN = re.compile(r"<url>|<user>|emo_[a-z_]+|emoji_[a-z0-9_+\-]+|[a-z0-9]+(?:'[a-z]+)?"
                         r"|[!?]")
# a token other than "!" and "?": every word, placeholder, emoticon and emoji name has one
_READABLE = re.compile(r"[A-Za-z0-9]")
_REPEATS = re.compile(r"([a-z])\1{2,}")
_SPLIT_CLITIC = re.compile(r"(?<=[a-z]) (n't|'(?:s|re|ve|ll|d|m))\b", re.IGNORECASE)
_CAPS_WORD = re.compile(r"\b[A-Z]{2,}\b")
# a negated auxiliary opening a sentence, its subject next, and the sentence a question
_SUBJECTS = ("i|you|we|he|she|it|they|this|that|these|those|there|the|a|an|my|your|his|her"
             "|its|our|their|everyone|everybody|anyone|anybody|someone|somebody")
_NEGATED_OPENING = (r"(?:^|(?<=[.!?] ))((?:is|are|was|were|do|does|did|have|has|had|could|would"
                    r"|should|ca|wo|ai)n'?t)")
_OUTER_NEGATION = re.compile(_NEGATED_OPENING + r"(?= (?:" + _SUBJECTS + r")\b[^.!?]*\?)",
                             re.IGNORECASE)
# the same question: the statement after its auxiliary in group 2, then its question marks
_AGREEMENT_ASKED = re.compile(_NEGATED_OPENING + r" ((?:" + _SUBJECTS + r")\b[^.!?]*?) *\?+",
                              re.IGNORECASE)


def normalize_chat(raw: str) -> str:
    """Clean a chat message: placeholders for links and mentions, emoticons and emoji named,
    the rest transliterated to ASCII as v1 does. Case is kept (the tokenizer reads it)."""
    text = _cleaned(raw)
    if not _READABLE.search(text):  # "!!!" alone says nothing to score
        raise InputError(NO_WORDS)
    return text


def _cleaned(raw: str) -> str:
    text = _SPLIT_CLITIC.sub(r"\1", _HTML_BREAK.sub(" ", _clean_unicode(raw)))
    text = _MENTION.sub(f" {USER} ", _LINK.sub(f" {URL} ", text))
    text = _FACE.sub(lambda m: f" {_EMOTICON[m[0].lower()]} ", text)
    text = _EMOJI_NAME.sub(lambda m: f" emoji_{m[1]} ", transliterate(text))
    return _SPACES.sub(" ", text).strip()


def _word(token: str) -> list[str]:
    if token in _NEGATED:
        return [_NEGATED[token], "not"]
    if token.endswith("n't"):
        return [token[:-3], "not"] if len(token) > 3 else ["not"]
    return [token]


def shown_chat(units: list[str]) -> list[tuple[str, int]]:
    """Units as the message wrote them, for explanations: a capitals mark and its word are
    one part ("AWESOME"), an emoticon its face, an emoji its :name:."""
    out: list[tuple[str, int]] = []
    i = 0
    while i < len(units):
        unit = units[i]
        if unit == CAPS and i + 1 < len(units):
            out.append((units[i + 1].upper(), 2))
            i += 2
            continue
        if unit in EMOTICONS:
            unit = EMOTICONS[unit][0]
        elif unit.startswith("emoji_"):
            unit = f":{unit.removeprefix('emoji_')}:"
        out.append((unit, 1))
        i += 1
    return out


def tokenize_chat_v3(text: str) -> list[str]:
    """The units a v3 chat model reads: v2's, with negations typed without an apostrophe
    read as negations and outer negation read as none."""
    text = _OUTER_NEGATION.sub(lambda m: _auxiliary(m[1]), text)
    return [unit for token in tokenize_chat(text) for unit in _BARE_NEGATIONS.get(token, [token])]


def tokenize_chat_v5(text: str) -> list[str]:
    """The units a v5 chat model reads: v3's, with outer negation read as a statement."""
    return tokenize_chat_v3(_AGREEMENT_ASKED.sub(lambda m: f"{m[2]} .", text))


def _auxiliary(negated: str) -> str:
    """A negated auxiliary without its negation, as typed ("Isn't", "isnt" -> "Is", "is")."""
    return _NEGATED.get(_apostrophed(negated.lower()),
                        negated[:-3] if "'" in negated else negated[:-2])


def _apostrophed(negated: str) -> str:
    return negated if "'" in negated else negated[:-2] + "n't"  # "dont" -> "don't"


# each negation typed without its apostrophe, read as v2 reads it with one ("dont" -> do not)
_BARE_NEGATIONS = {bare: _word(_apostrophed(bare)) for bare in (
    "dont doesnt didnt isnt arent wasnt werent havent hasnt hadnt couldnt wouldnt shouldnt "
    "mustnt neednt cant wont aint shant").split()}


def tokenize_chat(text: str) -> list[str]:
    """The units a chat model reads (see the module's docstring)."""
    text = _CAPS_WORD.sub(lambda m: f"\x00 {m[0]}", text)  # \x00: a <caps> mark
    out: list[str] = []
    for token in re.findall(r"\x00|" + _CHAT_TOKEN.pattern, _REPEATS.sub(r"\1\1",
                                                                         text.lower())):
        out.extend([CAPS] if token == "\x00" else _word(token))
    return out
