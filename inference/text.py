"""Text preprocessing shared by training and serving: the building blocks of every task's
input pipeline, and the Pipeline that chains them.

Models see text only through a Pipeline. Each task lists its pipelines by version in its spec
(inference/tasks.py) and every checkpoint records the version it was trained with, so a model
is always served with the pipeline it was trained with. A version, once shipped, never
changes: a new behaviour is a new function here and a new version in the spec.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial

from anyascii import anyascii

from inference.errors import InputError
from inference.spelling import ENGLISH, respelt

MAX_NAME_CHARS = 64
MAX_TEXT_CHARS = 4000  # longer texts are cut (head + tail), and flagged as truncated
# Reviews longer than this many tokens keep their head and their tail: the verdict of a
# review is often in its last sentences, so cutting only the end would lose it.
MAX_TOKENS = 400
HEAD_TOKENS = 150

PAD, UNK = "<pad>", "<unk>"
SPECIALS = (PAD, UNK)
PAD_ID, UNK_ID = 0, 1

_NAME_KEEP = re.compile(r"[^A-Za-z' -]+")
_SPACES = re.compile(r"\s+")
_HTML_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[!?]")


# anyascii spells Greek "ου" as "oy"; names are romanised with "ou" (Papadopoulos).
_GREEK_DIGRAPHS = (("\u03bf\u03c5", "ou"), ("\u039f\u03c5", "Ou"), ("\u039f\u03a5", "OU"),
                   ("\u03bf\u03cd", "ou"), ("\u039f\u03cd", "Ou"))


def transliterate(text: str) -> str:
    """Any script to ASCII Latin, with the romanisation conventions of the surnames data."""
    for greek, latin in _GREEK_DIGRAPHS:
        text = text.replace(greek, latin)
    return anyascii(text)


def _has_word_chars(raw: str) -> bool:
    return any(unicodedata.category(c)[0] in "LN" for c in raw)


def _clean_unicode(raw: str) -> str:
    """NFKC, and control/format characters (NUL, zero-width, RTL overrides) as spaces."""
    text = unicodedata.normalize("NFKC", raw)
    return "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text)


def without_symbols(raw: str) -> str:
    """Emoji and other symbols (Unicode's S categories, with the selectors that pick an
    emoji's look) as spaces: beside a surname they say nothing of where it comes from, and
    transliterated they would be read as words ("Nakamura 🙂" as "Nakamura slight smile")."""
    return "".join(" " if unicodedata.category(c)[0] == "S" else c for c in raw
                   if not "\ufe00" <= c <= "\ufe0f")


# One problem, one explanation: "", "123" and "😀😀" all lack what the model reads.
NO_LETTERS = "That name has no letters I can read."
NO_WORDS = "That text has no words I can read."


def normalize_name(raw: str) -> str:
    """Transliterate a surname in any script to the Latin form the model scores."""
    if len(raw) > MAX_NAME_CHARS:
        raise InputError(f"Names can be at most {MAX_NAME_CHARS} characters long.")
    if not _has_word_chars(raw):
        raise InputError(NO_LETTERS)
    latin = transliterate(_clean_unicode(raw))
    name = _SPACES.sub(" ", _NAME_KEEP.sub(" ", latin)).strip(" -'")
    if not any(c.isalpha() for c in name):
        raise InputError(NO_LETTERS)
    return name


def name_key(raw: str) -> str:
    """A surname as typed, folded only in ways that never make it another name: spacing,
    case, Unicode composition (the known-name memory's key, inference/memory.py). Accents
    and scripts stay: "Müller" is not "Muller", and "김" is not "Gim" (a Russian name in the
    data that its transliteration would meet)."""
    return " ".join(unicodedata.normalize("NFC", raw).split()).casefold().strip(" -'")


def name_chars(name: str) -> list[str]:
    """Characters the origin model reads: case folded, since capitals carry no origin."""
    return list(name.lower())


def normalize_text(raw: str) -> str:
    """Clean a review or chat message down to the ASCII text the tokenizer reads."""
    if not _has_word_chars(raw):
        raise InputError(NO_WORDS)
    text = _HTML_BREAK.sub(" ", _clean_unicode(raw))
    text = _SPACES.sub(" ", transliterate(text)).strip()
    if not tokenize(text):
        raise InputError(NO_WORDS)
    return text


def tokenize(text: str) -> list[str]:
    """Lower-cased words (with their contractions) plus ! and ?, which carry sentiment."""
    return _TOKEN.findall(text.lower())


def clip_chars(raw: str, max_chars: int = MAX_TEXT_CHARS) -> tuple[str, bool]:
    """Bound the work on huge inputs the same way tokens are cut: keep head and tail."""
    if len(raw) <= max_chars:
        return raw, False
    head = max_chars * HEAD_TOKENS // MAX_TOKENS
    return raw[:head] + " " + raw[len(raw) - (max_chars - head) :], True


def truncate(tokens: Sequence[str], max_tokens: int = MAX_TOKENS) -> tuple[list[str], bool]:
    """Keep the head and the tail of a long review; report whether anything was cut."""
    if len(tokens) <= max_tokens:
        return list(tokens), False
    tail = max_tokens - HEAD_TOKENS
    return [*tokens[:HEAD_TOKENS], *tokens[-tail:]], True


@dataclass(frozen=True)
class Vocab:
    """Token <-> id mapping saved inside every checkpoint."""

    itos: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.itos[: len(SPECIALS)] != SPECIALS:
            raise ValueError("a vocabulary must start with the special tokens")
        stoi = {t: i for i, t in enumerate(self.itos)}
        object.__setattr__(self, "_stoi", stoi)
        # bounded: a server meets new misspellings for as long as it runs
        object.__setattr__(self, "_respelt", lru_cache(maxsize=1 << 16)(partial(respelt, ids=stoi)))
        object.__setattr__(self, "_respelt_english", lru_cache(maxsize=1 << 16)(
            partial(respelt, ids=stoi, english=ENGLISH)))

    @classmethod
    def build(
        cls, sequences: Iterable[Sequence[str]], *, min_freq: int = 1, max_size: int | None = None
    ) -> Vocab:
        counts = Counter(t for seq in sequences for t in seq)
        kept = (t for t, c in counts.items() if c >= min_freq)
        ranked = sorted(kept, key=lambda t: (-counts[t], t))
        if max_size is not None:
            ranked = ranked[: max_size - len(SPECIALS)]
        return cls((*SPECIALS, *ranked))

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: object) -> bool:
        return token in self._stoi  # type: ignore[attr-defined]

    def __reduce__(self) -> tuple[type[Vocab], tuple[tuple[str, ...]]]:
        return Vocab, (self.itos,)  # its lookups are rebuilt, not pickled

    def encode(self, tokens: Iterable[str], *, respell: bool = False,
               english: bool = False) -> list[int]:
        """Token ids; a token the vocabulary lacks is `<unk>`, or with `respell` the most
        frequent known word one edit away where there is one, with `english` only an
        inflection of a real word (inference/spelling.py)."""
        stoi: dict[str, int] = self._stoi  # type: ignore[attr-defined]
        if not respell:
            return [stoi.get(t, UNK_ID) for t in tokens]
        near: Callable[[str], int | None] = (
            self._respelt_english if english else self._respelt)  # type: ignore[attr-defined]
        # no known word is <pad> (id 0), so "or" only replaces a None
        return [stoi[t] if t in stoi else near(t) or UNK_ID for t in tokens]


@dataclass(frozen=True)
class Pipeline:
    """One version of a task's input pipeline: raw input -> normalised text -> units -> ids.

    Training, evaluation and serving all call `encode` of the checkpoint's own version, so
    they cannot drift apart.
    """

    normalize: Callable[[str], str]  # raw input -> clean text; raises InputError
    tokenize: Callable[[str], list[str]]  # normalised text -> every unit the model could read
    joiner: str  # how units are written back together: "" for characters, " " for words
    max_units: int | None = None  # longer inputs keep their head and tail units (truncate)
    max_raw_chars: int | None = None  # longer raw inputs keep head and tail (clip_chars)
    # units as people read them, each with how many units it stands for (explanations remove
    # and name these); None: every unit as it is
    shown: Callable[[list[str]], list[tuple[str, int]]] | None = None
    # the older version whose units this one keeps but for some inputs it reads otherwise:
    # a checkpoint of that version may be trained on (--init) under this one, vocabulary and
    # all, and then records this one; None: none
    extends: int | None = None
    # a word the vocabulary lacks is read as the known word one typing error away
    # (inference/spelling.py); units, and so explanations, keep the word as typed
    respell: bool = False
    # ... but a real English word only as its inflection, never as another word
    # ("defective" is not "detective"; inference/spelling.py)
    respell_english: bool = False

    def units(self, normalized: str) -> tuple[list[str], bool]:
        """What the model reads of a normalised input, one unit per token id, and whether a
        long input was cut to get there (explanations name these units)."""
        tokens = self.tokenize(normalized)
        if self.max_units is None:
            return tokens, False
        return truncate(tokens, self.max_units)

    def shown_units(self, units: list[str]) -> list[tuple[str, int]]:
        return self.shown(units) if self.shown else [(unit, 1) for unit in units]

    def read_as(self, normalized: str) -> str:
        """What the model reads of a normalised input, as one string: inputs it reads alike
        ("Jäger" and "Jager", "Sick film!" and "sick film") give the same string."""
        return self.joiner.join(self.units(normalized)[0])

    def encode(self, vocab: Vocab, raw: str) -> tuple[str, list[int], bool]:
        """The whole pipeline: (normalised text, token ids, truncated?)."""
        cut_chars = False
        if self.max_raw_chars is not None:
            raw, cut_chars = clip_chars(raw, self.max_raw_chars)
        normalized = self.normalize(raw)
        units, cut_units = self.units(normalized)
        return normalized, self.ids(vocab, units), cut_chars or cut_units

    def respellings(self, vocab: Vocab, units: Iterable[str]) -> dict[str, str]:
        """Each unit this version reads as another word, and that word ("horible": "horrible"):
        explanations keep the units as typed and say what was read."""
        if not self.respell:
            return {}
        return {unit: vocab.itos[i] for unit in units if unit not in vocab
                and (i := self.ids(vocab, [unit])[0]) != UNK_ID}

    def ids(self, vocab: Vocab, units: Iterable[str]) -> list[int]:
        """The token ids of these units, a word the vocabulary lacks read as this version
        reads it."""
        return vocab.encode(units, respell=self.respell, english=self.respell_english)
