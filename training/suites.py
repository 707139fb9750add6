"""Hand-written evaluation suites: chat-style behaviour cases and non-English messages.

Each case has an expected answer: a label (scored on the answer's `label`, whatever its
confidence says) or a verdict (inference.verdict: "not_sure", "unknown_language"; scored on
the answer's `confidence`). The suites live in training/eval/ and are never trained on, nor
used to tune or calibrate (the non-English file's "tune" half excepted, for the unknown-words
threshold only).

    python -m training evaluate sentiment \
        --suite behaviour|negation|emoji|questions|idioms|advice|comparatives|non_english \
        [--part tune|final]
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from inference.errors import InputError
from inference.predictor import Predictor
from inference.verdict import NOT_SURE, UNKNOWN_LANGUAGE

EVAL_DIR = Path(__file__).resolve().parent / "eval"
RESULTS_DIR = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
REPORTED_ONLY = ("sarcasm",)  # categories reported but not gated
GATE = 0.90  # the behaviour suite's pass mark outside the reported-only categories
VERDICT_EXPECTATIONS = (NOT_SURE, UNKNOWN_LANGUAGE)


@dataclass(frozen=True)
class Case:
    group: str  # the category (behaviour) or the language (non-English)
    expected: str  # a label, or a verdict name
    text: str
    part: str = ""  # "tune" or "final" where a suite is split


def _rows(path: Path) -> list[dict[str, str]]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


def labelled_cases(name: str) -> list[Case]:
    """The cases of a suite that expects a label or a verdict: training/eval/<name>.tsv."""
    return [Case(r["category"], r["expected"], r["text"])
            for r in _rows(EVAL_DIR / f"{name}.tsv")]


def non_english_cases(path: Path = EVAL_DIR / "non_english.tsv",
                      part: str | None = None) -> list[Case]:
    """Every message expects the unknown-language verdict; `part`: only that half."""
    return [Case(r["language"], UNKNOWN_LANGUAGE, r["text"], r["part"]) for r in _rows(path)
            if part is None or r["part"] == part]


LABELLED = ("behaviour", "negation", "emoji", "questions", "idioms", "advice", "comparatives")
SUITES = {**{name: partial(labelled_cases, name) for name in LABELLED},
          "non_english": non_english_cases}


def right(case: Case, label: str, confidence: str) -> bool:
    if case.expected in VERDICT_EXPECTATIONS:
        return confidence == case.expected
    return label == case.expected


def run_suite(predictor: Predictor, cases: list[Case]) -> dict:
    """Per-group and overall accuracy, and each case's answer. A refused input is wrong."""
    answers = predictor.predict([c.text for c in cases], top_k=len(predictor.labels))
    rows = []
    for case, answer in zip(cases, answers, strict=True):
        if isinstance(answer, InputError):
            label, probability, confidence = "", 0.0, "refused"
        else:
            label, probability, confidence = answer.label, answer.probability, answer.confidence
        rows.append({"group": case.group, "text": case.text, "expected": case.expected,
                     "label": label, "probability": round(probability, 4),
                     "confidence": confidence, "right": right(case, label, confidence)})
    return {"model_version": predictor.version,
            **tally(cases, [r["right"] for r in rows]), "cases": rows}


def tally(cases: list[Case], rights: list[bool]) -> dict:
    """Overall, outside the reported-only groups, and per-group accuracy of these answers."""
    groups: dict[str, dict] = {}
    for case, ok in zip(cases, rights, strict=True):
        g = groups.setdefault(case.group, {"n": 0, "right": 0})
        g["n"] += 1
        g["right"] += ok
    for g in groups.values():
        g["accuracy"] = g["right"] / g["n"]
    gated = [ok for case, ok in zip(cases, rights, strict=True)
             if case.group not in REPORTED_ONLY]
    return {"n": len(rights), "accuracy": sum(rights) / len(rights), "gated_n": len(gated),
            "gated_accuracy": sum(gated) / len(gated) if gated else 0.0, "groups": groups}


def format_table(suite: str, result: dict) -> str:
    lines = [f"{suite} suite, model {result['model_version']}: {result['n']} cases",
             f"{'group':<18} {'n':>4} {'right':>6} {'accuracy':>9}"]
    for name, g in result["groups"].items():
        mark = "  (reported, not gated)" if name in REPORTED_ONLY else ""
        lines.append(f"{name:<18} {g['n']:>4} {g['right']:>6} {g['accuracy']:>9.3f}{mark}")
    lines.append(f"{'all':<18} {result['n']:>4} {'':>6} {result['accuracy']:>9.3f}")
    if result["gated_n"] != result["n"]:
        lines.append(f"{'all but sarcasm':<18} {result['gated_n']:>4} {'':>6} "
                     f"{result['gated_accuracy']:>9.3f}  (pass mark {GATE:.2f})")
    return "\n".join(lines)


def write_result(suite: str, task: str, result: dict, folder: Path = RESULTS_DIR) -> Path:
    path = folder / f"{task}_suite_{suite}.json"
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
