"""What a load run proves: latencies, the worker's batch sizes, and the database reconciled
against every interaction the simulated users saw answered."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from prometheus_client.parser import text_string_to_metric_families

from benchmarks.load_users import COMMANDS, VOTES, Sent
from benchmarks.stats import percentile
from db import Hasher

DEADLINE_S = 3.0


def latencies(sent: list[Sent], window: tuple[float, float]) -> dict:
    """Ack latency (INTERACTION_CREATE sent to callback received) of the window's traffic."""
    start, end = window
    inside = [s.record for s in sent if start <= s.record.dispatched_at < end]
    acks = sorted(r.ack_latency for r in inside if r.ack_latency is not None)
    per_5s: dict[int, int] = defaultdict(int)
    for r in inside:
        if r.response is not None:
            per_5s[int((r.dispatched_at - start) // 5)] += 1
    full = [per_5s[i] / 5 for i in range(int((end - start) // 5))]
    return {
        "interactions": len(inside),
        "acknowledged": len(acks),
        "unacknowledged": len(inside) - len(acks),
        "late_acks": sum(a > DEADLINE_S for a in acks),
        "ack_p50_ms": round(1000 * percentile(acks, 0.50), 1),
        "ack_p99_ms": round(1000 * percentile(acks, 0.99), 1),
        "ack_max_ms": round(1000 * (acks[-1] if acks else 0.0), 1),
        "per_5s_rate": full,
        "by_kind": {kind: sum(s.kind == kind for s in sent
                              if start <= s.record.dispatched_at < end)
                    for kind in (*COMMANDS, "right", "wrong", "fix")},
    }


def batch_sizes(prometheus_texts: list[str]) -> dict:
    """Per task: forward passes, mean batch size and the histogram, summed over the
    /metrics texts of every worker."""
    cumulative: dict[str, dict[float, float]] = defaultdict(lambda: defaultdict(float))
    totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for text in prometheus_texts:
        for family in text_string_to_metric_families(text):
            if family.name != "seqbot_inference_batch_size":
                continue
            for s in family.samples:
                kind = s.name.removeprefix(family.name + "_")
                if kind == "bucket":
                    cumulative[s.labels["task"]][float(s.labels["le"])] += s.value
                elif kind in ("sum", "count"):
                    totals[s.labels["task"]][kind] += s.value
    report = {}
    for task, sums in totals.items():
        passes = int(sums.get("count", 0))
        previous, histogram = 0.0, {}
        for le, running in sorted(cumulative[task].items()):
            if running > previous:
                histogram[f"<={le:g}".replace("inf", "+Inf")] = int(running - previous)
            previous = running
        report[task] = {"forward_passes": passes,
                        "mean_batch": round(sums.get("sum", 0) / passes, 2) if passes else 0.0,
                        "histogram": histogram}
    return report


def thanked(vote: Sent) -> bool:
    """The bot confirmed the vote: it says "Thanks" only once the vote is committed."""
    return any(str(body.get("content") or "").startswith("Thanks")
               for body in vote.record.message_bodies())


@dataclass(frozen=True)
class Logged:
    """What the database holds after a run."""

    predictions: dict[int, tuple[str, str]]  # id: (task, input_text)
    votes: dict[tuple[int, str], str]  # (prediction_id, voter_hash): label
    integrity: str  # SQLite's integrity check; "ok" for PostgreSQL, which checks as it writes


async def read_logged(db: str | Path) -> Logged:
    """The predictions and votes of a SQLite file or a postgresql:// database."""
    if str(db).startswith(("postgresql://", "postgres://")):
        connection = await asyncpg.connect(str(db))
        try:
            rows = await connection.fetch("SELECT id, task, input_text FROM predictions")
            votes = await connection.fetch("SELECT prediction_id, voter_hash, label FROM votes")
        finally:
            await connection.close()
        return Logged({r[0]: (r[1], r[2]) for r in rows},
                      {(r[0], r[1]): r[2] for r in votes}, "ok")
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        return Logged({r[0]: (r[1], r[2]) for r in
                       con.execute("SELECT id, task, input_text FROM predictions")},
                      {(r[0], r[1]): r[2] for r in
                       con.execute("SELECT prediction_id, voter_hash, label FROM votes")},
                      con.execute("PRAGMA integrity_check").fetchone()[0])


def reconcile(logged: Logged, sent: list[Sent], hash_secret: str) -> dict:
    """Every answered command has exactly one prediction row with its text, every
    acknowledged vote exactly one vote row with its label; nothing lost, nothing extra."""
    hasher = Hasher(hash_secret)
    answered: dict[int, tuple[str, str]] = {}
    duplicate_ids = unlogged = error_replies = 0
    for s in (s for s in sent if s.kind in COMMANDS):
        message = s.record.original
        if message is None or message["flags"] & 64:  # ephemeral: an error or busy reply
            error_replies += s.record.response is not None
            continue
        if not message["components"]:
            unlogged += 1  # answered, but logging failed: no buttons
            continue
        pred_id = int(message["components"][0]["components"][0]["custom_id"].split(":")[2])
        duplicate_ids += pred_id in answered
        answered[pred_id] = (s.kind, s.text or "")
    votes = {(s.pred_id, hasher.hash_user(s.user_id)): s.label for s in sent
             if s.kind in VOTES and thanked(s)}
    rows, vote_rows, integrity = logged.predictions, logged.votes, logged.integrity
    return {
        "integrity_check": integrity,
        "answered_commands": len(answered) + duplicate_ids,
        "prediction_rows": len(rows),
        "predictions_lost": len(answered.keys() - rows.keys()),
        "predictions_extra": len(rows.keys() - answered.keys()),
        "predictions_duplicated": duplicate_ids,
        "predictions_not_verbatim": sum(rows[i] != want for i, want in answered.items()
                                        if i in rows),
        "answered_without_log": unlogged,
        "error_replies": error_replies,
        "acknowledged_votes": len(votes),
        "vote_rows": len(vote_rows),
        "votes_lost": len(votes.keys() - vote_rows.keys()),
        "votes_extra": len(vote_rows.keys() - votes.keys()),
        "votes_wrong_label": sum(vote_rows[k] != label for k, label in votes.items()
                                 if k in vote_rows),
    }
