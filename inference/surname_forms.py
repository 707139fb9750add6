"""The other gender's form of a Slavic surname, for the known-name memory.

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
"""

from __future__ import annotations

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
