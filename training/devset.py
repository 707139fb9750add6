"""The multi-script surname dev set: real surnames as people type them, none in the data.

`training/eval/surnames_multiscript.tsv` holds them with their language, script, sources,
common romanisations and part: two thirds `design` (for choosing the evidence table and
thresholds) and one third `heldout` (scored once, for the final figure). Within each language
the names are ordered by the sha1 of their spelling and every third, from the third on, is
held out, so the split is fixed by the names alone.

A dev name must not be in the labelled data under any spelling the model or a person might
use, or the known-name memory would answer it: `collisions` compares each dev name and each
of its romanisations with every name of the data, through the model's own normalisation and
through a looser key that forgives the usual differences between transliterations.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from inference.text import transliterate
from training.data import read_name

DEVSET_PATH = Path(__file__).resolve().parent / "eval" / "surnames_multiscript.tsv"
GIVEN_NAMES_PATH = DEVSET_PATH.with_name("given_names.tsv")
# The sets of names beside the dev set, each a TSV of language, name and source, kept apart
# from it so that measuring one way of writing never touches its held-out third:
# - han_common: common Chinese and Japanese surnames in Han characters, the names the two
#   are most often told apart on;
# - han_full_names: well-known people's full names in Han characters, as they write them:
#   Chinese ones (a surname and a given name, 周杰伦) and Japanese ones (宮崎駿);
# - script_full_names: well-known people's full names as they are written in chat: in Hangul
#   without a space (손흥민), in Cyrillic, Greek, Arabic and kana, and Korean, Chinese and
#   Vietnamese ones in Latin letters (Son Heung-min, Tsai Ing-wen, Nguyen Van Thieu).
# - pinyin_tones: common Chinese surnames in pinyin with their tones (Wáng, Lǐ, Zhāng), as a
#   learner or a dictionary writes them.
# - with_accents: common surnames of seven languages typed with their accents (Lê, Gómez,
#   Dvořák, Wójcik, Schröder, Lefèvre, Cantù); many are in the data without them, so the
#   served memory answers those.
NAME_SETS = {"han_common": DEVSET_PATH.with_name("surnames_han_common.tsv"),
             "han_full_names": DEVSET_PATH.with_name("han_full_names.tsv"),
             "script_full_names": DEVSET_PATH.with_name("script_full_names.tsv"),
             "pinyin_tones": DEVSET_PATH.with_name("surnames_pinyin_tones.tsv"),
             "with_accents": DEVSET_PATH.with_name("surnames_with_accents.tsv")}
# Surnames of languages the model was not taught, written with letters of their own alphabets
# (Yılmaz, Győri, Åkesson; inference.evidence OTHER_ALPHABETS): what they should be told is
# "unknown_language", so they are never scored by label.
OTHER_ALPHABETS_PATH = DEVSET_PATH.with_name("surnames_other_alphabets.tsv")
# Where a full name puts the surname first, as people of these languages write it in Latin
# letters too (Zhang Wei, Kim Min-jun, Nguyen Anh); the rest put the given name first.
SURNAME_FIRST = frozenset({"Chinese", "Korean", "Vietnamese"})
PARTS = ("design", "heldout")

# Spellings one transliteration writes where another writes the other: "Shchukin" and
# "Schukin", "Vlachos" and "Vlahos", "Schaeuble" and "Schauble", "MacQueen" and "McQueen".
_LOOSE = (("ae", "a"), ("oe", "o"), ("ue", "u"), ("shch", "sc"), ("sch", "sc"), ("tch", "c"),
          ("ch", "c"), ("kh", "h"), ("zh", "j"), ("ts", "c"), ("tz", "c"), ("ph", "f"),
          ("w", "v"), ("y", "i"), ("j", "i"), ("ks", "x"), ("ck", "k"), ("q", "k"), ("ou", "u"),
          ("oo", "u"), ("ee", "i"), ("dh", "d"), ("th", "t"), ("gh", "g"), ("bh", "v"),
          ("mh", "v"))
# Particles that may be written apart, joined, or left out: "Ó Catháin" and "Cathain".
_PARTICLE = re.compile(r"^(o|mac|mc|ni|nic|ui|de|van|von|der|den|le|la|al|el|d)\s+")


@dataclass(frozen=True)
class DevName:
    language: str
    name: str
    script: str
    part: str
    romanized: tuple[str, ...]
    source: str


def load_devset(path: Path = DEVSET_PATH, part: str | None = None) -> list[DevName]:
    """The dev names, all of them or one part's ("design" or "heldout")."""
    with open(path, encoding="utf-8", newline="") as fh:
        rows = [DevName(r["language"], r["name"], r["script"], r["part"],
                        tuple(v for v in r["romanized"].split("|") if v), r["source"])
                for r in csv.DictReader(fh, delimiter="\t")]
    return [r for r in rows if part is None or r.part == part]


def in_latin(d: DevName) -> str:
    """A dev name as many type it, in plain Latin letters: its first romanisation (Smirnova,
    Al-Khatib), else its letters without their accents (Müller -> Muller)."""
    return d.romanized[0] if d.romanized else transliterate(d.name)


def load_names(which: str) -> list[tuple[str, str]]:
    """(name, language) of one of NAME_SETS."""
    return read_names(NAME_SETS[which])


def read_names(path: Path) -> list[tuple[str, str]]:
    """(name, language) of a TSV with those columns."""
    with open(path, encoding="utf-8", newline="") as fh:
        return [(r["name"], r["language"]) for r in csv.DictReader(fh, delimiter="\t")]


def heldout_by_rule(devset: Iterable[DevName]) -> set[str]:
    """The names the split rule holds out (see the module docstring)."""
    by_language: dict[str, list[str]] = defaultdict(list)
    for d in devset:
        by_language[d.language].append(d.name)
    out: set[str] = set()
    for names in by_language.values():
        ordered = sorted(names, key=lambda n: hashlib.sha1(n.encode("utf-8")).hexdigest())
        out |= {n for i, n in enumerate(ordered) if i % 3 == 2}
    return out


def strict_key(name: str) -> str:
    """What the model reads of a name, spaces and apostrophes aside."""
    return re.sub(r"[\s'-]", "", read_name(name))


def loose_key(name: str) -> str:
    """The model's reading with transliteration differences folded away."""
    key = re.sub("[^a-z]", "", read_name(name).replace("mac", "mc"))
    for spelled, folded in _LOOSE:
        key = key.replace(spelled, folded)
    return re.sub(r"(.)\1+", r"\1", key)


def skeleton(name: str) -> str:
    """Consonants only, without the article: Arabic script writes no short vowels, so
    "الحربي" (lhrby) meets "Harb" here."""
    key = re.sub("^(al|el)", "", re.sub("[^a-z]", "", read_name(name)))
    return re.sub(r"(.)\1+", r"\1", re.sub("[aeiouy]", "", key))


def variants(d: DevName) -> list[str]:
    """The dev name, its romanisations, and each without a leading particle."""
    spellings = [d.name, *d.romanized]
    bare = [_PARTICLE.sub("", read_name(s)) for s in spellings]
    return spellings + [b for b in bare if b]


def collisions(devset: Iterable[DevName],
               data: Iterable[tuple[str, str]]) -> list[tuple[str, str, str, list[str]]]:
    """(dev name, its spelling that matched, key kind, data names matched) for every dev
    name that the data holds under some spelling; empty when the dev set is clean."""
    data = list(data)
    index: dict[str, dict[str, set[str]]] = {"strict": defaultdict(set),
                                             "loose": defaultdict(set)}
    arabic: dict[str, set[str]] = defaultdict(set)
    for name, lang in data:
        index["strict"][strict_key(name)].add(f"{name} ({lang})")
        index["loose"][loose_key(name)].add(f"{name} ({lang})")
        if lang == "Arabic":
            arabic[skeleton(name)].add(name)
    found = []
    for d in devset:
        for spelling in variants(d):
            for kind, key in (("strict", strict_key(spelling)), ("loose", loose_key(spelling))):
                if key and key in index[kind]:
                    found.append((d.name, spelling, kind, sorted(index[kind][key])))
            if d.language == "Arabic" and skeleton(spelling) in arabic:
                found.append((d.name, spelling, "skeleton", sorted(arabic[skeleton(spelling)])))
    return found


def load_given_names(path: Path = GIVEN_NAMES_PATH) -> dict[str, dict[str, list[str]]]:
    """Given names by kind ("own": common in one language, by language; "shared": common to
    most of the languages, under "*"), in plain Latin letters, to make full names of the
    test surnames (`full_names`)."""
    out: dict[str, dict[str, list[str]]] = defaultdict(dict)
    with open(path, encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            out[r["kind"]][r["language"]] = r["names"].split()
    return dict(out)


def full_names(pairs: Iterable[tuple[str, str]], given: dict[str, list[str]]
               ) -> list[tuple[str, str]]:
    """Each (surname, language) as a full name, with a given name of `given` for its
    language (or "*" for any), chosen by the sha1 of the surname, in the language's order."""
    out = []
    for surname, language in pairs:
        names = given.get(language) or given["*"]
        first = names[int(hashlib.sha1(surname.encode("utf-8")).hexdigest(), 16) % len(names)]
        full = f"{surname} {first}" if language in SURNAME_FIRST else f"{first} {surname}"
        out.append((full, language))
    return out
