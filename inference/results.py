"""What an inference client answers: predictions, explanations and model information, with
their JSON forms (the HTTP service's wire format).

Torch-free, like inference.client and inference.errors, so code that only talks to a client
(the bot with INFERENCE_URL set) never loads the models' stack.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from inference.evidence import KNOWN, Evidence
from inference.tasks import task_spec
from inference.verdict import SURE

__all__ = ["KNOWN", "MODEL", "ClueEffect", "Evidence", "Explanation", "ModelInfo", "Part",
           "Prediction"]

MODEL = "model"  # Prediction.source of an answer the model gave (KNOWN: the memory did)


@dataclass(frozen=True)
class Prediction:
    """A model's answer to one input (what the store logs is a db.LoggedPrediction).

    `label` and `probability` are always the most likely label and its probability; the
    other fields qualify them, with one schema for every task:
    - `confidence` (inference.verdict): "sure", "not_sure" (below the threshold chosen on
      validation) or "unknown_language" (written in a way none of the model's languages is);
    - `source`: "model", or "known_name" when the known-input memory answered from the
      labelled data or the community's agreed labels;
    - `script`: the writing system the input is in ("Latin", "Hangul", ...; "" where the
      task does not read it);
    - `evidence`: what the answer rests on besides the model, as people read it;
    - `words` (a property): the words the model read one at a time, where it did not read
      the input whole as written (inference/name_words.py).
    """

    task: str
    input: str
    normalized: str
    label: str
    probability: float
    top: list[tuple[str, float]]
    model_version: str
    truncated: bool = False
    confidence: str = SURE
    source: str = MODEL
    script: str = ""
    evidence: tuple[Evidence, ...] = ()

    @property
    def known(self) -> Evidence | None:
        """What the memory knows of the input, when it answered."""
        return next((e for e in self.evidence if e.kind == KNOWN), None)

    @property
    def words(self) -> list[str]:
        """The words of the input the model read one at a time, as the task reads them
        ("Zhang Wei": Zhang, Wei; "Dr. Nakamura": Nakamura, the title left out); empty where
        it read the input whole, as written, or the memory answered it."""
        spec = task_spec(self.task)
        if spec.words is None or self.source != MODEL:
            return []
        units = spec.pipeline().tokenize(self.normalized)
        if len(units) != len(self.normalized):
            return []
        words = [self.normalized[start:end] for start, end in spec.words.spans(units)]
        return [] if words == [self.normalized] else words

    def to_json(self) -> dict:
        return {
            "input": self.input,
            "normalized": self.normalized,
            "label": self.label,
            "probability": round(self.probability, 6),
            "top": [[label, round(p, 6)] for label, p in self.top],
            "model_version": self.model_version,
            "truncated": self.truncated,
            "confidence": self.confidence,
            "source": self.source,
            "script": self.script,
            "evidence": [e.to_json() for e in self.evidence],
            "words": self.words,
        }

    @classmethod
    def from_json(cls, task: str, data: Mapping[str, Any]) -> Prediction:
        """The inverse of to_json."""
        return cls(
            task=task,
            input=data["input"],
            normalized=data["normalized"],
            label=data["label"],
            probability=float(data["probability"]),
            top=[(label, float(p)) for label, p in data["top"]],
            model_version=data["model_version"],
            truncated=bool(data.get("truncated", False)),
            confidence=str(data.get("confidence", SURE)),
            source=str(data.get("source", MODEL)),
            script=str(data.get("script", "")),
            evidence=tuple(Evidence.from_json(e) for e in data.get("evidence", ())),
        )


class _Measured:
    """An effect measured by taking a piece of the input out (a Part, a ClueEffect)."""

    weight: float
    without: float

    def to_json(self) -> dict:
        """Its fields in order, the two measurements rounded."""
        return {**asdict(self), "weight": round(self.weight, 6),  # type: ignore[call-overload]
                "without": round(self.without, 6)}


@dataclass(frozen=True)
class Part(_Measured):
    """A span of the units the model read, and what removing it did to the label."""

    start: int
    length: int
    text: str
    weight: float  # log-odds of the label with the part minus without it
    without: float  # the label's probability without the part


@dataclass(frozen=True)
class ClueEffect(_Measured):
    """A clue of how the input is written (Evidence of the prediction) and what it did to
    the label: "written in Hangul", "the letter ü", measured by taking it out."""

    kind: str
    feature: str
    text: str
    weight: float  # log-odds of the label with the clue minus without it
    without: float  # the label's probability without the clue

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ClueEffect:
        return cls(str(data["kind"]), str(data["feature"]), str(data["text"]),
                   float(data["weight"]), float(data["without"]))


@dataclass(frozen=True)
class Explanation:
    """A prediction and every part's measured effect on its label, strongest push first
    (inference/explain.py measures them), and each clue of its writing's.

    Parts and clues are measured against `scored`, the label's probability as the model and
    the clues give it: the prediction's own probability, unless the known-input memory
    answered (then the letters did not decide the answer, and the card says so)."""

    prediction: Prediction
    units: list[str]  # what the model read: a name's characters, a text's words
    joiner: str  # how the units are written back together (the pipeline's)
    parts: list[Part]
    clues: list[ClueEffect] = field(default_factory=list)  # strongest push first
    scored: float | None = None  # None: the prediction's probability
    # words the vocabulary lacks, read as a known word one typing error away (inference/
    # spelling.py): the units keep them as typed
    respelt: dict[str, str] = field(default_factory=dict)

    @property
    def respelt_text(self) -> str:
        """The respelt words as typed and as read: "horible → horrible, ..." ("" if none)."""
        return ", ".join(f"{typed} → {read}" for typed, read in self.respelt.items())

    @property
    def base(self) -> float:
        """The label's probability that every `without` is compared with."""
        return self.prediction.probability if self.scored is None else self.scored

    @property
    def method(self) -> str:
        return task_spec(self.prediction.task).explaining.method

    def toward(self, k: int | None = None) -> list[Part]:
        """The parts that pushed most toward the label, never overlapping."""
        return top_parts(self.parts, k or self._shown_parts, toward=True)

    def against(self, k: int | None = None) -> list[Part]:
        """The parts that pushed most away from the label, never overlapping."""
        return top_parts(self.parts, k or self._shown_parts, toward=False)

    @property
    def _shown_parts(self) -> int:
        return task_spec(self.prediction.task).explaining.shown_parts

    def shown(self, part: Part) -> str:
        """A part as people read it: with the task's `affixes`, a hyphen where the input goes
        on ("-ski", "na-", "-kam-"); else as is."""
        if not task_spec(self.prediction.task).explaining.affixes:
            return part.text
        return ("-" if part.start > 0 else "") + part.text + (
            "-" if part.start + part.length < len(self.units) else "")

    def summary(self) -> list[str]:
        """Plain lines for a terminal: what the memory knows, the clues of the writing, and
        the strongest parts each way, with the label's probability without each."""
        label = self.prediction.label
        known = self.prediction.known
        lines = [known.text] if known is not None else []
        if self.respelt:
            lines.append(f"read as: {self.respelt_text}")
        lines += [f"{c.text} ({c.without:.1%} without it)" for c in self.clues]
        for heading, parts in ((f"toward {label}", self.toward()),
                               (f"against {label}", self.against())):
            if parts:
                lines.append(f"{heading}: " + ", ".join(
                    f"{self.shown(p)} ({p.without:.1%} without it)" for p in parts))
        if not self.toward() and not self.against():
            lines.append(f"no single part moves {label}")
        return lines

    def to_json(self) -> dict:
        """The prediction's JSON with an "explanation" field."""
        return {**self.prediction.to_json(), "explanation": {
            "method": self.method, "units": self.units, "joiner": self.joiner,
            "parts": [p.to_json() for p in self.parts],
            "clues": [c.to_json() for c in self.clues], "scored": round(self.base, 6),
            "respelt": self.respelt}}

    @classmethod
    def from_json(cls, task: str, data: Mapping[str, Any]) -> Explanation:
        """The inverse of to_json."""
        explained = data["explanation"]
        parts = [Part(int(p["start"]), int(p["length"]), str(p["text"]), float(p["weight"]),
                      float(p["without"])) for p in explained["parts"]]
        scored = explained.get("scored")
        return cls(Prediction.from_json(task, data), [str(u) for u in explained["units"]],
                   str(explained["joiner"]), parts,
                   [ClueEffect.from_json(c) for c in explained.get("clues", ())],
                   None if scored is None else float(scored),
                   {str(k): str(v) for k, v in explained.get("respelt", {}).items()})


# A part that moves the label's odds by less than 5% (0.05 in log-odds) moved nothing a reader
# would see: the model's letters of a Han name, which the even odds of inference.evidence
# leave near 0.001-0.02, are not listed as pushing anywhere.
MIN_WEIGHT = 0.05


def top_parts(parts: Iterable[Part], k: int, *, toward: bool) -> list[Part]:
    """Greedy: the strongest parts in one direction that overlap none already taken."""
    sign = 1 if toward else -1
    taken: list[Part] = []
    for part in sorted(parts, key=lambda p: -sign * p.weight):
        if len(taken) == k or sign * part.weight < MIN_WEIGHT:
            break
        if all(part.start + part.length <= t.start or t.start + t.length <= part.start
               for t in taken):
            taken.append(part)
    return taken


def _metric(metrics: Mapping[str, Any], key: str) -> float | None:
    value = metrics.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True)
class ModelInfo:
    """What one task's served model is, from its checkpoint's metadata.

    The test_* figures are those recorded when the checkpoint was evaluated on its held-out
    test split; each is None when the checkpoint carries no such metric (as tiny test
    checkpoints do).
    """

    version: str
    labels: tuple[str, ...]
    created: str  # ISO 8601 time the checkpoint was made
    device: str  # where it runs: "cpu", "cuda:0", ...
    test_accuracy: float | None = None
    test_macro_f1: float | None = None
    test_ece: float | None = None
    test_n: int | None = None

    @classmethod
    def from_metadata(
        cls, version: str, labels: tuple[str, ...] | list[str], created: str, device: str,
        metrics: Mapping[str, Any],
    ) -> ModelInfo:
        """From a checkpoint's fields and its metrics dict (unknown or odd keys ignored)."""
        n = _metric(metrics, "test_n")
        return cls(str(version), tuple(str(label) for label in labels), str(created),
                   str(device), _metric(metrics, "test_accuracy"),
                   _metric(metrics, "test_macro_f1"), _metric(metrics, "test_ece"),
                   None if n is None else int(n))

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["labels"] = list(self.labels)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelInfo:
        """The inverse of to_json; KeyError or TypeError when a field is missing or odd."""
        labels = data["labels"]
        if not isinstance(labels, list):
            raise TypeError("labels must be a list")
        return cls.from_metadata(data["version"], labels, data["created"], data["device"],
                                 data)
