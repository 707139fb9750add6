"""export-feedback: agreed examples out as JSON lines or CSV, with a summary on stderr."""

from __future__ import annotations

import asyncio
import csv
import json

import pytest

from db import CONFIRMED, FeedbackStore
from tests.helpers import HASHER
from training.cli import main


@pytest.fixture
def db(database):
    """Two corrections, one confirmation, one moderator decision, and two undecided polls,
    in a database of each backend."""

    async def fill():
        async with await FeedbackStore.open(database, HASHER) as store:
            async def poll(text, model_label, *votes, moderator=None):
                pred = await store.log_prediction("origin", text, text.strip(), "origin-v1",
                                                  model_label, [(model_label, 0.7)], 1, 2, 3)
                for voter, label in enumerate(votes):
                    await store.record_vote(pred, 100 + voter, label)
                if moderator:
                    await store.record_vote(pred, 999, moderator, is_moderator=True)

            await poll("Nakamura", "Chinese", "Japanese", "Japanese", "Korean")
            await poll("Schmidt", "German", CONFIRMED, CONFIRMED)
            await poll(" Smith", "Scottish", "English", "English")
            await poll("Kowalski", "Czech", "Russian", moderator="Polish")
            await poll("Rossi", "Italian", "Spanish")  # one voter: no consensus
            await poll("Silva", "Spanish", "Portuguese", CONFIRMED)  # a tie
            await store.log_prediction("sentiment", "great", "great", "s-v1", "positive",
                                       [("positive", 0.9)], 1, 2, 3)

    asyncio.run(fill())
    return database


EXPECTED = [  # (input, label, model_label, corrected, voters, by_moderator), oldest first
    ("Nakamura", "Japanese", "Chinese", True, 3, False),
    ("Schmidt", "German", "German", False, 2, False),
    (" Smith", "English", "Scottish", True, 2, False),
    ("Kowalski", "Polish", "Czech", True, 2, True),
]


def test_jsonl_round_trips_every_agreed_example(db, tmp_path, capsys):
    out = tmp_path / "export" / "origin.jsonl"
    assert main(["export-feedback", "--task", "origin", "--format", "jsonl", "--db", str(db),
                 "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["input"], r["label"], r["model_label"], r["corrected"], r["voters"],
             r["by_moderator"]) for r in rows] == EXPECTED
    assert rows[2]["normalized"] == "Smith" and rows[0]["model_version"] == "origin-v1"
    assert all(isinstance(r["prediction_id"], int) for r in rows)
    summary = capsys.readouterr().err
    assert "4 agreed examples (3 corrected, 1 confirmed, 1 by a moderator" in summary
    assert "Japanese" in summary and "Rossi" not in out.read_text()


def test_csv_parses_back_to_the_same_rows(db, tmp_path):
    out = tmp_path / "origin.csv"
    assert main(["export-feedback", "--task", "origin", "--format", "csv", "--db", str(db),
                 "--out", str(out)]) == 0
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["input"], r["label"], r["model_label"], r["corrected"] == "1",
             int(r["voters"]), r["by_moderator"] == "1") for r in rows] == EXPECTED


def test_rows_go_to_stdout_and_the_summary_to_stderr(db, capsys):
    assert main(["export-feedback", "--task", "sentiment", "--db", str(db)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""  # a prediction nobody voted on is not an agreed example
    assert "sentiment: 0 agreed examples" in captured.err


def test_summary_counts_per_label(db):
    from training.feedback_export import export_feedback

    summary = asyncio.run(export_feedback(db, "origin", "jsonl", "-"))
    assert summary["per_label"] == {"English": {"corrected": 1, "confirmed": 0},
                                    "German": {"corrected": 0, "confirmed": 1},
                                    "Japanese": {"corrected": 1, "confirmed": 0},
                                    "Polish": {"corrected": 1, "confirmed": 0}}


def test_a_missing_database_is_an_error_not_a_new_file(tmp_path, capsys):
    db = tmp_path / "typo.db"
    assert main(["export-feedback", "--task", "origin", "--db", str(db)]) == 1
    assert "no database" in capsys.readouterr().err and not db.exists()


def test_csv_cells_start_no_formula_and_carry_no_terminal_codes(database, tmp_path):
    hostile = ["=HYPERLINK(\"https://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)",
               "\tTab", "  =1+1", "\x1b]0;pwned\x07Kato\x1b[2J"]

    async def fill():
        async with await FeedbackStore.open(database, HASHER) as store:
            for text in hostile:
                pred = await store.log_prediction("origin", text, text, "origin-v1", "Japanese",
                                                  [("Japanese", 0.7)], 1, 2, 3)
                for voter in (100, 101):
                    await store.record_vote(pred, voter, CONFIRMED)

    asyncio.run(fill())
    out = tmp_path / "origin.csv"
    assert main(["export-feedback", "--task", "origin", "--format", "csv", "--db", database,
                 "--out", str(out)]) == 0
    assert "\x1b" not in out.read_text() and "\x07" not in out.read_text()
    with open(out, newline="", encoding="utf-8") as fh:
        inputs = [row["input"] for row in csv.DictReader(fh)]
    assert inputs == ["'" + text for text in hostile[:6]] + ["Kato"]
