"""The load test's reconciliation reads what the bot logged from either backend."""

from __future__ import annotations

from benchmarks.load_checks import read_logged


async def test_read_logged_reads_predictions_and_votes_from_either_backend(store, database):
    pred = await store.log_prediction("origin", "Kim", "kim", "v1", "Korean", [], 1, 2, None)
    await store.record_vote(pred, 7, "confirmed")
    logged = await read_logged(database)
    assert logged.predictions == {pred: ("origin", "Kim")}
    assert [(p, label) for (p, _), label in logged.votes.items()] == [(pred, "confirmed")]
    assert logged.integrity == "ok"
