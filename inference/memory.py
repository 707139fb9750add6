"""The known-input memory: inputs that the labelled data, or the community, already answers.

An input found here is answered from what is known of it ("known name: English, Scottish,
Czech in the data") instead of the model's guess, and the card says so. Which inputs count
as the same is the task's `KnownInputs.key` (inference/tasks.py): for surnames the name as
typed, case-folded, its accents and its script kept ("Müller", German in the data, and
"Muller", Russian in the data, stay two names; "김" does not meet the data's Russian "Gim",
its transliteration). The data is written in Latin letters, so a name in another script is
answered from the community's agreed names only.

Entries come from two sources:
- the data's, fixed when the memory is made: a checkpoint carries the (input, label) pairs
  of every split of its data set (`Checkpoint.known_inputs`, written by
  `python -m training known-inputs`), and serving uses them all; an evaluation never does
  (a Predictor answers from a memory only when given one), so no test input is answered
  from memory;
- the community's agreed labels, at runtime: `set_agreed` replaces them with the agreed set
  the bot reads from its store (bot/known.py), at start and whenever the consensus changes,
  so an agreed input joins at once and leaves when its agreement is revoked or its voters
  are forgotten.

A name it does not know may answer from another form of it that it knows, where the task
says which forms count: a Slavic feminine surname from its masculine form, under the
languages that form it so, or a name typed with accents from its unaccented form, under the
languages that write them (inference/surname_forms.py), and the card says which form.

Each distinct spelling counts once per label, however often the data repeats it (Arabic.txt
holds some names hundreds of times). Torch-free. Lookups run on the model thread while the
event loop replaces the agreed set: the agreed counts are rebuilt aside and swapped in one
assignment, so a lookup sees the old set or the new one, never half of one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from inference.evidence import KNOWN, Evidence

DATA, AGREED = "data", "agreed"
# Other forms of a key that name the same thing, each with the labels that form it that way
# and how a card names the form (inference/surname_forms.py).
Forms = Callable[[str], list[tuple[str, tuple[str, ...], str]]]
_WHERE = {DATA: "in the data", AGREED: "agreed by the community"}


@dataclass(frozen=True)
class AgreedInput:
    """One input the community agreed on: `reference` names the agreement (the store's key
    of the input), so a later agreed set replaces or drops it."""

    reference: str
    input: str
    label: str

    def to_json(self) -> dict:
        return {"reference": self.reference, "input": self.input, "label": self.label}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AgreedInput:
        values = (data["reference"], data["input"], data["label"])
        if not all(isinstance(v, str) for v in values):
            raise TypeError("reference, input and label must be strings")
        return cls(*values)


@dataclass(frozen=True)
class KnownAnswer:
    """What the memory knows of an input: its labels with their shares, most common first
    (ties alphabetical), and where they come from."""

    labels: tuple[tuple[str, float], ...]
    sources: tuple[str, ...]  # DATA and/or AGREED
    form: str = ""  # the other form of the input that is known ("Ivanov" for "Ivanova")
    relation: str = ""  # what that form is to it: "its masculine form", "without its accents"

    def evidence(self, noun: str, order: Iterable[str] = ()) -> Evidence:
        """As the card and the JSON say it: "known name: English, Scottish, Czech in the
        data", its labels in `order` (the answer's, which breaks ties) where given."""
        known = [label for label, _ in self.labels]
        names = [label for label in order if label in known] or known
        where = " and ".join(_WHERE[s] for s in self.sources)
        text = f"known {noun}: {', '.join(names)} {where}"
        if self.form:
            text += f", as {self.form}, {self.relation}"
        return Evidence(KNOWN, text, tuple(names), "+".join(self.sources))


class Memory:
    """Per key, how many distinct entries name each label: the data's, and the agreed."""

    def __init__(self, key: Callable[[str], str], pairs: Iterable[tuple[str, str]] = (),
                 forms: Forms | None = None) -> None:
        self.key = key
        self.forms = forms
        self._data: dict[str, Counter[str]] = {}
        for name, label in set(pairs):
            self._data.setdefault(key(name), Counter())[label] += 1
        self._agreed: dict[str, AgreedInput] = {}
        self._agreed_counts: dict[str, Counter[str]] = {}
        self._answers: dict[str, KnownAnswer] = {}  # the data's answers, as first looked up

    def __len__(self) -> int:
        """Distinct inputs known."""
        return len(self._data.keys() | self._agreed_counts.keys())

    @property
    def agreed(self) -> tuple[AgreedInput, ...]:
        return tuple(self._agreed.values())

    def set_agreed(self, agreed: Iterable[AgreedInput]) -> tuple[int, int]:
        """Replace the agreed inputs; returns how many references joined and how many left
        (one whose label changed counts as both)."""
        new = {a.reference: a for a in agreed}
        counts: dict[str, Counter[str]] = {}
        for a in new.values():
            counts.setdefault(self.key(a.input), Counter())[a.label] += 1
        old = self._agreed
        joined = sum(1 for ref, a in new.items() if old.get(ref) != a)
        left = sum(1 for ref, a in old.items() if new.get(ref) != a)
        self._agreed, self._agreed_counts = new, counts
        return joined, left

    def agree(self, item: AgreedInput) -> None:
        """One agreement joins (replacing what its reference said before)."""
        self.set_agreed([*(a for a in self.agreed if a.reference != item.reference), item])

    def revoke(self, reference: str) -> bool:
        """The agreement under `reference` leaves; False if there was none."""
        if reference not in self._agreed:
            return False
        self.set_agreed(a for a in self.agreed if a.reference != reference)
        return True

    def lookup(self, raw: str) -> KnownAnswer | None:
        key = self.key(raw)
        data, agreed = self._data.get(key), self._agreed_counts.get(key)
        if not data and not agreed:
            return self._lookup_form(key)
        if not agreed:  # the data never changes: its answer is made once
            if (answer := self._answers.get(key)) is None:
                answer = self._answers[key] = self._answer(data, None)
            return answer
        return self._answer(data, agreed)

    def _lookup_form(self, key: str) -> KnownAnswer | None:
        """The answer of the first other form of an unknown input that is known under a
        language that forms the input from it (inference/surname_forms.py)."""
        for form, languages, relation in self.forms(key) if self.forms else ():
            data, agreed = (_only(where.get(form), languages)
                            for where in (self._data, self._agreed_counts))
            if data or agreed:
                return replace(self._answer(data, agreed), form=form.capitalize(),
                               relation=relation)
        return None

    @staticmethod
    def _answer(data: Counter[str] | None, agreed: Counter[str] | None) -> KnownAnswer:
        counts = Counter(data) + Counter(agreed) if agreed else data or Counter()
        total = sum(counts.values())
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        sources = tuple(s for s, c in ((DATA, data), (AGREED, agreed)) if c)
        return KnownAnswer(tuple((label, n / total) for label, n in ranked), sources)


def _only(counts: Counter[str] | None, labels: tuple[str, ...]) -> Counter[str] | None:
    """The counts of these labels; None where there are none."""
    kept = Counter({label: n for label, n in (counts or {}).items() if label in labels})
    return kept or None
