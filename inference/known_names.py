"""Names the labelled data (and, later, the community) already answers: the known-name memory.

A name found here is answered from what is known of it ("known name: English, Scottish, Czech
in the data") instead of the model's guess. The key is the name as typed, case-folded and
NFC-normalised, with its accents kept: "Müller" (German in the data) and "Muller" (Russian in
the data) stay two names. A name in another script is keyed by its transliteration, so
"Иванов" finds "Ivanov".

Entries come from two sources. The data's are fixed when the memory is built: serving builds
it from every split, while an evaluation builds it without the split it scores, so no test
name is ever answered from memory (`from_pairs` takes exactly the pairs it is given).
Agreed names join and leave at runtime through `agree` and `revoke`, each under a reference
(a consensus id, say) that its revocation names again: the trust-weighted consensus of the
loop-trust issue (issue 17) calls them when a name is agreed, when agreement is withdrawn and
when its voters are forgotten. Nothing calls them today.

Torch-free; reads and writes are dict operations, safe between the event loop and the model
thread under the GIL.
"""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from inference.scripts import name_script
from inference.text import transliterate


def memory_key(raw: str) -> str:
    """The name as typed, folded only in ways that never change which name it is."""
    text = " ".join(unicodedata.normalize("NFC", raw).split())
    if name_script(text) not in ("Latin", ""):
        text = transliterate(text)
    return text.casefold().strip(" -'")


@dataclass(frozen=True)
class KnownAnswer:
    """What the memory knows of a name: its labels, most common first, and their shares."""

    labels: tuple[tuple[str, float], ...]
    sources: tuple[str, ...]  # "data", "agreed"

    @property
    def text(self) -> str:
        names = [label for label, _ in self.labels]
        listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        where = " and ".join({"data": "in the data", "agreed": "agreed by the community"}[s]
                             for s in self.sources)
        return f"known name: {listed} {where}"

    def to_json(self) -> dict:
        return {"labels": [[label, round(share, 6)] for label, share in self.labels],
                "sources": list(self.sources), "text": self.text}


class KnownNames:
    """The memory: per key, how many entries name each label, from the data and agreed."""

    def __init__(self) -> None:
        self._data: dict[str, Counter[str]] = defaultdict(Counter)
        self._agreed: dict[str, tuple[str, str]] = {}  # reference -> (key, label)
        self._agreed_counts: dict[str, Counter[str]] = defaultdict(Counter)

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> KnownNames:
        """From (name, label) pairs; each distinct spelling counts once per label, so a name
        repeated on 2,000 lines (Arabic.txt) weighs what it weighs once."""
        memory = cls()
        for name, label in set(pairs):
            memory._data[memory_key(name)][label] += 1
        return memory

    def __len__(self) -> int:
        return len(self._data.keys() | self._agreed_counts.keys())

    def agree(self, name: str, label: str, reference: str) -> None:
        """A name the community has agreed on joins at once (replacing what `reference`
        said before)."""
        self.revoke(reference)
        key = memory_key(name)
        self._agreed[reference] = (key, label)
        self._agreed_counts[key][label] += 1

    def revoke(self, reference: str) -> bool:
        """The agreement under `reference` leaves; False if there was none."""
        entry = self._agreed.pop(reference, None)
        if entry is None:
            return False
        key, label = entry
        counts = self._agreed_counts[key]
        counts[label] -= 1
        if counts[label] <= 0:
            del counts[label]
        if not counts:
            del self._agreed_counts[key]
        return True

    def lookup(self, raw: str) -> KnownAnswer | None:
        key = memory_key(raw)
        counts = Counter(self._data.get(key, {}))
        agreed = Counter(self._agreed_counts.get(key, {}))
        if not counts and not agreed:
            return None
        sources = tuple(s for s, c in (("data", counts), ("agreed", agreed)) if c)
        counts.update(agreed)
        total = sum(counts.values())
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return KnownAnswer(tuple((label, n / total) for label, n in ranked), sources)
