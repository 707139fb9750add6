"""Other forms of a surname that name the same one, for the known-name memory: the other
gender's form of a Slavic surname, and a name typed with the accents the data leaves out.

Russian, Czech and Polish surnames change with gender: Ivanov and Ivanova, Sokolovsky and
Sokolovskaya, Tolstoy and Tolstaya (Russian); Novák and Nováková, Novotný and Novotná
(Czech); Kowalski and Kowalska (Polish). The tutorial data lists mostly the men's forms: of
its 9,408 Russian lines none ends in -ova, while 26 Czech ones do, so the model reads
"Smirnova" as Czech. When a name is not known but its masculine form is, under a language
that makes that feminine, the memory answers from the masculine form
(inference/memory.py). Sources: Wikipedia's "Eastern Slavic naming customs", "Czech name"
and "Polish name".

Forms work on memory keys (case-folded, accents kept), so "Nováková" meets "Novák" and
"Novakova" meets "Novak", as typed.

The data writes most names without their accents (Vietnamese "Le" and "Ly", Spanish
"Gomez"), and a name typed with them ("Lê", "Lý") is not the same key. When it is not known
but its unaccented form is, under a language whose alphabet writes every marked letter of
it (or, for pinyin with its tones, Chinese too: inference/evidence.py), the memory answers
from that form: the model alone reads "Lê" French 89% (ê is French too) and "Lý" Czech 69%;
the data holds both as Vietnamese. A letter no language of the 18 writes ("ø") keeps a name
from every language, so it finds nothing.
"""

from __future__ import annotations

from inference.evidence import letter_clues, unmarked

# (feminine ending, a masculine ending it comes from, the languages that form it so)
_RULES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    *(("skaya", m, ("Russian",)) for m in ("sky", "skiy", "skii", "ski")),
    *(("aya", m, ("Russian",)) for m in ("oy", "oi", "iy", "ii", "y")),
    ("ova", "ov", ("Russian",)),  # Ivanova -> Ivanov
    ("ova", "", ("Czech",)),  # Novakova -> Novak, as typed without the accent
    ("ova", "a", ("Czech",)),  # Svobodova -> Svoboda
    ("eva", "ev", ("Russian",)),
    ("ina", "in", ("Russian",)),
    ("yna", "yn", ("Russian",)),
    ("ová", "", ("Czech",)),
    ("ová", "a", ("Czech",)),
    ("ská", "ský", ("Czech",)),
    ("cká", "cký", ("Czech",)),
    ("ska", "ski", ("Polish",)),
    ("ska", "sky", ("Czech",)),  # Russian makes -skaya of -sky
    ("cka", "cki", ("Polish",)),
    ("cka", "cky", ("Czech",)),
)
_MIN_STEM = 3  # letters left before the masculine ending: "Ina" is not a form of "In"


def masculine_forms(key: str) -> list[tuple[str, tuple[str, ...]]]:
    """(masculine key, the languages it may be the masculine of), for a feminine key."""
    out = []
    for feminine, masculine, languages in _RULES:
        stem = key.removesuffix(feminine)
        if stem != key and len(stem) >= _MIN_STEM and stem[-1].isalpha():
            out.append((stem + masculine, languages))
    return out


def unaccented_forms(key: str) -> list[tuple[str, tuple[str, ...]]]:
    """(the key without its accents, the languages every marked letter's clue points to, as
    the name's evidence reads them), for a key with accents; [] for one without, or one
    with a letter no language writes."""
    bare = unmarked(key)[0]
    if bare == key or not bare.isascii():
        return []
    clues = letter_clues(key)
    marked = [clues.get(c, ()) for c in dict.fromkeys(key) if not c.isascii()]  # a lone mark too
    languages = tuple(lang for lang in marked[0] if all(lang in m for m in marked[1:]))
    return [(bare, languages)] if languages else []


def name_forms(key: str) -> list[tuple[str, tuple[str, ...], str]]:
    """Every other form of a surname key the memory may answer from, with its languages and
    how the card names it, the masculine form first."""
    return ([(form, langs, "its masculine form") for form, langs in masculine_forms(key)]
            + [(form, langs, "without its accents") for form, langs in unaccented_forms(key)])
