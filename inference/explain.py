"""Why an answer: occlusion over the parts of an input, scored as one batch by the model.

Each part (a character or character n-gram of a name, a word of a text) is removed in turn
and every variant is scored together with the unchanged input in one call of
Predictor.probabilities, so each figure is the model's real output, whatever the model is.
A part's weight is how much the answer's label loses without it, in log-odds: positive
parts pushed toward the label, negative ones away from it. Log-odds, because probabilities
saturate: for a 99.99% answer every removal looks like a drop of almost nothing.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from inference.text import UNK_ID, joiner
from inference.text import units as text_units

if TYPE_CHECKING:
    from inference.predictor import Prediction, Predictor, Prepared

# A name's parts: every run of 1 to 3 characters ("-ski", "ama"); a text's parts: its words.
NGRAM_SIZES = {"origin": (1, 2, 3), "sentiment": (1,)}
METHODS = {"origin": "occlusion of characters and character 2- and 3-grams",
           "sentiment": "leave-one-word-out occlusion"}
SHOWN_PARTS = {"origin": 3, "sentiment": 5}
_TINY = 1e-45  # smallest float32 probability: keeps log-odds finite at saturation


@dataclass(frozen=True)
class Part:
    """A span of the units the model read, and what removing it did to the label."""

    start: int
    length: int
    text: str
    weight: float  # log-odds of the label with the part minus without it
    without: float  # the label's probability without the part

    def to_json(self) -> dict:
        return {"start": self.start, "length": self.length, "text": self.text,
                "weight": round(self.weight, 6), "without": round(self.without, 6)}


@dataclass(frozen=True)
class ClueEffect:
    """A clue of a name's writing (inference.evidence) and what it did to the label:
    "written in Hangul", "the letter ü", as the card's Why? shows them."""

    kind: str
    feature: str
    text: str
    weight: float  # log-odds of the label with the clue minus without it
    without: float  # the label's probability without the clue

    def to_json(self) -> dict:
        return {"kind": self.kind, "feature": self.feature, "text": self.text,
                "weight": round(self.weight, 6), "without": round(self.without, 6)}


@dataclass(frozen=True)
class Explanation:
    """A prediction and every part's measured effect on its label, strongest push first."""

    prediction: Prediction
    units: list[str]  # what the model read: a name's characters, a text's words
    parts: list[Part]
    clues: list[ClueEffect] = field(default_factory=list)  # a name's writing, strongest first

    @property
    def method(self) -> str:
        return METHODS[self.prediction.task]

    def toward(self, k: int | None = None) -> list[Part]:
        """The parts that pushed most toward the label, never overlapping."""
        return top_parts(self.parts, k or SHOWN_PARTS[self.prediction.task], toward=True)

    def against(self, k: int | None = None) -> list[Part]:
        """The parts that pushed most away from the label, never overlapping."""
        return top_parts(self.parts, k or SHOWN_PARTS[self.prediction.task], toward=False)

    def shown(self, part: Part) -> str:
        """A part as people read it: a name's n-gram with a hyphen where the name goes on
        ("-ski", "na-", "-kam-"), a text's word as is."""
        if self.prediction.task != "origin":
            return part.text
        return ("-" if part.start > 0 else "") + part.text + (
            "-" if part.start + part.length < len(self.units) else "")

    def summary(self) -> list[str]:
        """Plain lines for a terminal: the strongest parts each way, with the label's
        probability without each."""
        label = self.prediction.label
        lines = []
        for heading, parts in ((f"toward {label}", self.toward()),
                               (f"against {label}", self.against())):
            if parts:
                lines.append(f"{heading}: " + ", ".join(
                    f"{self.shown(p)} ({p.without:.1%} without it)" for p in parts))
        lines = lines or [f"no single part moves {label}"]
        known = [e["text"] for e in self.prediction.evidence if e.get("kind") == "known_name"]
        return known + [f"{c.text} ({c.without:.1%} without it)" for c in self.clues] + lines

    def to_json(self) -> dict:
        """The prediction's JSON with an "explanation" field."""
        return {**self.prediction.to_json(), "explanation": {
            "method": self.method, "units": self.units,
            "parts": [p.to_json() for p in self.parts],
            "evidence": [c.to_json() for c in self.clues]}}


def top_parts(parts: Iterable[Part], k: int, *, toward: bool) -> list[Part]:
    """Greedy: the strongest parts in one direction that overlap none already taken."""
    sign = 1 if toward else -1
    taken: list[Part] = []
    for part in sorted(parts, key=lambda p: -sign * p.weight):
        if len(taken) == k or sign * part.weight <= 0:
            break
        if all(part.start + part.length <= t.start or t.start + t.length <= part.start
               for t in taken):
            taken.append(part)
    return taken


def without(ids: Sequence[int], spans: Iterable[tuple[int, int]]) -> list[int]:
    """`ids` with the (start, length) spans removed; a single unknown token if none is left,
    since a model cannot score an empty input (it reads as "nothing it knows")."""
    gone = {i for start, length in spans for i in range(start, start + length)}
    kept = [t for i, t in enumerate(ids) if i not in gone]
    return kept or [UNK_ID]


def spans(n_units: int, sizes: Sequence[int]) -> list[tuple[int, int]]:
    return [(start, size) for size in sizes if size <= n_units
            for start in range(n_units - size + 1)]


def log_odds(probs: Sequence[float], label: int) -> float:
    """log p / (1 - p), with 1 - p summed from the other labels to keep its precision."""
    rest = sum(p for i, p in enumerate(probs) if i != label)
    return math.log(max(probs[label], _TINY)) - math.log(max(rest, _TINY))


def explain_prepared(predictor: Predictor, prepared: Prepared, top_k: int = 3) -> Explanation:
    """Score the input, then all its occluded variants in one batch (on the model thread)."""
    task = predictor.task
    units = text_units(task, prepared.normalized)[0]
    if len(units) != len(prepared.ids):
        raise ValueError(f"{len(units)} units for {len(prepared.ids)} token ids")
    measured = spans(len(units), NGRAM_SIZES[task])
    # The input alone, as an answer scores it (so the explained answer is that answer to
    # the last digit), then its variants together.
    alone = predictor.probabilities([prepared])
    [prediction] = predictor.predictions([prepared], alone, top_k)
    variants = [replace(prepared, ids=without(prepared.ids, [s])) for s in measured]
    probs = predictor.probabilities(variants).tolist()
    label = predictor.labels.index(prediction.label)
    base = log_odds(alone[0].tolist(), label)
    parts = [Part(start, length, joiner(task).join(units[start:start + length]),
                  base - log_odds(row, label), row[label])
             for (start, length), row in zip(measured, probs, strict=True)]
    parts.sort(key=lambda p: -p.weight)
    return Explanation(prediction, units, parts, clue_effects(predictor, prepared, label, base))


def clue_effects(predictor: Predictor, prepared: Prepared, label: int,
                 base: float) -> list[ClueEffect]:
    """Each clue of the name's writing taken out in turn, the model's answer kept."""
    evidence = prepared.evidence
    if evidence is None or not evidence.clues:
        return []
    model = predictor.probabilities([replace(prepared, evidence=None)])[0].tolist()
    effects = []
    for clue in evidence.clues:
        row = evidence.apply(model, predictor.labels, without=clue)
        effects.append(ClueEffect(clue.kind, clue.feature, clue.text,
                                  base - log_odds(row, label), row[label]))
    return sorted(effects, key=lambda c: -c.weight)


def explanation_from_json(prediction: Prediction, data: dict) -> Explanation:
    """The inverse of Explanation.to_json, given the prediction read from the same object."""
    parts = [Part(int(p["start"]), int(p["length"]), str(p["text"]), float(p["weight"]),
                  float(p["without"])) for p in data["parts"]]
    clues = [ClueEffect(str(c["kind"]), str(c["feature"]), str(c["text"]), float(c["weight"]),
                        float(c["without"])) for c in data.get("evidence", [])]
    return Explanation(prediction, [str(u) for u in data["units"]], parts, clues)


def random_spans(n_units: int, lengths: Sequence[int], rng: random.Random) -> list[tuple[int, int]]:
    """Non-overlapping spans of the given lengths at uniformly random places among n_units:
    the blocks and the free units are shuffled as one sequence."""
    free = n_units - sum(lengths)
    if free < 0:
        raise ValueError("the spans are longer than the input")
    order = list(lengths)
    rng.shuffle(order)
    blocks = set(rng.sample(range(free + len(order)), len(order)))
    out, start, j = [], 0, 0
    for slot in range(free + len(order)):
        if slot in blocks:
            out.append((start, order[j]))
            start += order[j]
            j += 1
        else:
            start += 1
    return out


def removal_drops(predictor: Predictor, explanation: Explanation, rng: random.Random,
                  k: int | None = None, draws: int = 5) -> tuple[float, float] | None:
    """The faithfulness check: how far the label's probability falls when the top `k` parts
    pushing toward it (default: as many as are shown) are removed together, and on average
    over `draws` removals of random parts of the same sizes. None when no part pushes toward
    the label. With k=1 the top part wins by construction (every part was measured alone);
    together, parts interact, so the shown set is the real test."""
    shown = [(p.start, p.length) for p in explanation.toward(k)]
    if not shown:
        return None
    prepared = predictor.prepare(explanation.prediction.input)
    lengths = [length for _, length in shown]
    removals = [shown, *(random_spans(len(prepared.ids), lengths, rng) for _ in range(draws))]
    variants = [replace(prepared, ids=without(prepared.ids, r)) for r in removals]
    label = predictor.labels.index(explanation.prediction.label)
    left = predictor.probabilities(variants)[:, label].tolist()
    base = explanation.prediction.probability
    return base - left[0], sum(base - p for p in left[1:]) / draws
