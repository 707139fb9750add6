"""Export the labels the community agreed on, for audit, analysis or training elsewhere.

One row per voted prediction whose votes reached consensus (db.consensus), with what the
model said, so that corrections (the model was wrong) and confirmations can be told apart.
Reading needs no hash secret: exported rows carry no user ids, hashed or not. CSV cells are
made safe for spreadsheets and terminals (`csv_cell`).
"""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from db import AgreedExample, FeedbackStore, parse_location
from db.shown import visible

FORMATS = ("jsonl", "csv")
FIELDS = ("prediction_id", "input", "normalized", "label", "model_label", "corrected",
          "voters", "by_moderator", "model_version", "created_at", "last_vote_at")


def example_row(example: AgreedExample) -> dict:
    return {
        "prediction_id": example.prediction_id,
        "input": example.input_text,
        "normalized": example.normalized,
        "label": example.label,
        "model_label": example.model_label,
        "corrected": not example.model_was_right,
        "voters": example.voters,
        "by_moderator": example.by_moderator,
        "model_version": example.model_version,
        "created_at": example.created_at.isoformat(),
        "last_vote_at": example.last_vote_at.isoformat(),
    }


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # OWASP's list for CSV injection


def csv_cell(value: object) -> object:
    """A text cell a spreadsheet shows as text: terminal codes and invisible characters
    removed (db.shown), and a cell that would start a formula (=HYPERLINK(...), also after
    leading spaces, which some spreadsheets skip) prefixed with an apostrophe, as OWASP
    advises. Numbers pass unchanged; JSON lines need none of this."""
    if not isinstance(value, str):
        return value
    text = visible(value)
    if text.startswith(FORMULA_START) or text.lstrip().startswith(FORMULA_START):
        return "'" + text
    return text


def write_rows(examples: Sequence[AgreedExample], fmt: str, fh: TextIO) -> None:
    rows = [example_row(e) for e in examples]
    if fmt == "jsonl":
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        writer = csv.DictWriter(fh, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows({**{k: csv_cell(v) for k, v in r.items()},
                          "corrected": int(r["corrected"]),
                          "by_moderator": int(r["by_moderator"])} for r in rows)
    else:
        raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS}")


def summarize(examples: Sequence[AgreedExample]) -> dict:
    """Counts an admin checks before training: how many, how many the model got wrong, where."""
    per_label: dict[str, Counter[str]] = {}
    for e in examples:
        per_label.setdefault(e.label, Counter())["corrected" if not e.model_was_right
                                                  else "confirmed"] += 1
    return {
        "examples": len(examples),
        "corrected": sum(not e.model_was_right for e in examples),
        "confirmed": sum(e.model_was_right for e in examples),
        "by_moderator": sum(e.by_moderator for e in examples),
        "distinct_inputs": len({e.normalized for e in examples}),
        "per_label": {label: {"corrected": c["corrected"], "confirmed": c["confirmed"]}
                      for label, c in sorted(per_label.items())},
    }


def format_summary(task: str, summary: dict) -> str:
    lines = [f"{task}: {summary['examples']} agreed examples "
             f"({summary['corrected']} corrected, {summary['confirmed']} confirmed, "
             f"{summary['by_moderator']} by a moderator, "
             f"{summary['distinct_inputs']} distinct inputs)"]
    if summary["per_label"]:
        lines.append(f"{'label':<12} {'corrected':>9} {'confirmed':>9}")
        lines += [f"{label:<12} {c['corrected']:>9} {c['confirmed']:>9}"
                  for label, c in summary["per_label"].items()]
    return "\n".join(lines)


async def export_feedback(db: str | Path, task: str, fmt: str,
                          out: str | Path | None) -> dict:
    """Write the task's agreed examples to `out` (None or '-': stdout); returns the summary.
    `db` takes every SEQBOT_DB form (a SQLite file or a postgresql:// URL)."""
    location = parse_location(db)
    if not location.exists():
        raise FileNotFoundError(f"no database at {location}")
    async with await FeedbackStore.open(location, None, read_only=True) as store:
        examples = await store.agreed_examples(task)
    if out is None or str(out) == "-":
        write_rows(examples, fmt, sys.stdout)
    else:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        with open(out, "w", encoding="utf-8", newline="") as fh:
            write_rows(examples, fmt, fh)
    return summarize(examples)
