"""FeedbackStore basics: predictions, votes, model versions and stats, on a real SQLite file."""

from datetime import datetime, timezone
from pathlib import Path

import pytest

from db import CONFIRMED, FeedbackStore, UnknownModelVersion, UnknownPrediction
from tests.helpers import HASHER, query_rows


async def log(store: FeedbackStore, label: str = "Irish", author: int | None = 77) -> int:
    return await store.log_prediction(
        "origin",
        "  O'Brien ",
        "o'brien",
        "origin-v3",
        label,
        [(label, 0.7), ("English", 0.2), ("Scottish", 0.1)],
        111,
        222,
        author,
    )


async def test_prediction_round_trips_every_column(store: FeedbackStore) -> None:
    pred_id = await log(store)
    prediction = await store.get_prediction(pred_id)

    assert prediction is not None
    assert prediction.id == pred_id
    assert prediction.task == "origin"
    assert prediction.input_text == "  O'Brien "  # verbatim, whitespace included
    assert prediction.normalized == "o'brien"
    assert prediction.model_version == "origin-v3"
    assert prediction.label == "Irish"
    assert prediction.top == [("Irish", 0.7), ("English", 0.2), ("Scottish", 0.1)]
    assert (prediction.guild_id, prediction.channel_id) == (111, 222)
    assert prediction.author_hash == HASHER.hash_user(77)
    assert prediction.created_at.tzinfo is not None


async def test_console_predictions_have_no_discord_context(store: FeedbackStore) -> None:
    pred_id = await store.log_prediction(
        "sentiment", "meh 😐", "meh", "s1", "negative", [], None, None, None
    )
    prediction = await store.get_prediction(pred_id)
    assert prediction is not None
    assert (prediction.guild_id, prediction.channel_id, prediction.author_hash) == (None,) * 3
    assert prediction.input_text == "meh 😐"


async def test_missing_prediction_is_none(store: FeedbackStore) -> None:
    assert await store.get_prediction(12345) is None


@pytest.mark.parametrize(
    ("task", "label", "top"),
    [
        ("", "x", []),
        ("Origin", "x", []),
        ("origin; DROP TABLE votes", "x", []),
        ("x" * 33, "x", []),
        ("origin", "", []),
        ("origin", "   ", []),
        ("origin", "x", [("x", float("nan"))]),
    ],
)
async def test_log_prediction_rejects_bad_input(
    store: FeedbackStore, task: str, label: str, top: list
) -> None:
    with pytest.raises(ValueError):
        await store.log_prediction(task, "a", "a", "v", label, top, None, None, None)


async def test_a_new_vote_replaces_the_voters_old_one(store: FeedbackStore) -> None:
    pred_id = await log(store)
    first = await store.record_vote(pred_id, 5, "English")
    second = await store.record_vote(pred_id, 5, CONFIRMED)

    assert first.counts == {"English": 1}
    assert second.counts == {"Irish": 1}
    assert (second.voters, second.said_right) == (1, 1)


async def test_replacement_keeps_the_first_vote_time(database: str) -> None:
    moments = iter(datetime(2024, 1, day, tzinfo=timezone.utc) for day in range(1, 10))
    store = await FeedbackStore.open(database, HASHER, clock=lambda: next(moments))
    pred_id = await log(store)
    await store.record_vote(pred_id, 5, "English")
    await store.record_vote(pred_id, 5, "Scottish")
    await store.close()

    rows = await query_rows(database, "SELECT label, created_at, updated_at FROM votes")
    assert rows == [("Scottish", "2024-01-02T00:00:00.000000Z", "2024-01-03T00:00:00.000000Z")]


async def test_tally_folds_confirmed_into_the_models_label(store: FeedbackStore) -> None:
    pred_id = await log(store)
    await store.record_vote(pred_id, 1, CONFIRMED)
    await store.record_vote(pred_id, 2, "Irish")
    tally = await store.record_vote(pred_id, 3, "English")

    assert tally.prediction_id == pred_id
    assert tally.top_label == "Irish"
    assert tally.counts == {"Irish": 2, "English": 1}
    assert (tally.voters, tally.said_right) == (3, 2)
    assert tally.consensus == "Irish"
    assert not tally.by_moderator
    assert await store.tally(pred_id) == tally


async def test_tally_without_votes(store: FeedbackStore) -> None:
    tally = await store.tally(await log(store))
    assert (tally.counts, tally.voters, tally.said_right, tally.consensus) == ({}, 0, 0, None)


async def test_unknown_prediction_is_a_specific_error(store: FeedbackStore) -> None:
    with pytest.raises(UnknownPrediction):
        await store.record_vote(999, 1, "Irish")
    with pytest.raises(UnknownPrediction):
        await store.tally(999)
    assert (await store.stats())["votes"] == 0


async def test_votes_need_a_label(store: FeedbackStore) -> None:
    pred_id = await log(store)
    with pytest.raises(ValueError):
        await store.record_vote(pred_id, 1, " ")


async def test_model_version_lifecycle(store: FeedbackStore) -> None:
    assert await store.production_version("origin") is None
    first = await store.add_model_version(
        "origin", "v1", Path("models/origin-v1.safetensors"), "sha256:aa", {"acc": 0.8}
    )
    assert first.status == "candidate"
    assert first.path == "models/origin-v1.safetensors"
    assert first.metrics == {"acc": 0.8}

    await store.set_model_status("origin", "v1", "production")
    await store.add_model_version("origin", "v2", "p2", "sha256:bb", {"acc": 0.85}, "production")
    await store.add_model_version("origin", "v3", "p3", "sha256:cc", {"acc": 0.7})
    rejected = await store.set_model_status("origin", "v3", "rejected")

    assert rejected.status == "rejected"
    production = await store.production_version("origin")
    assert production is not None and production.version == "v2"
    statuses = [(m.version, m.status) for m in await store.model_versions("origin")]
    assert statuses == [("v1", "retired"), ("v2", "production"), ("v3", "rejected")]
    assert await store.model_versions("sentiment") == []


async def test_model_version_errors(store: FeedbackStore) -> None:
    await store.add_model_version("sentiment", "s1", "p", "c", {})
    with pytest.raises(ValueError, match="already registered"):
        await store.add_model_version("sentiment", "s1", "p", "c", {})
    with pytest.raises(UnknownModelVersion):
        await store.set_model_status("sentiment", "nope", "production")
    with pytest.raises(ValueError):
        await store.set_model_status("sentiment", "s1", "deployed")
    assert (await store.model_versions("sentiment"))[0].status == "candidate"


async def test_stats(store: FeedbackStore) -> None:
    agreed = await log(store)
    await log(store)
    await store.log_prediction("sentiment", "ok", "ok", "s1", "positive", [], 1, 2, 3)
    await store.add_model_version("sentiment", "s1", "p", "c", {}, "production")
    for voter in (1, 2):
        await store.record_vote(agreed, voter, CONFIRMED)
    await store.ignore_voter(9)

    stats = await store.stats()

    assert stats["predictions"] == {"origin": 2, "sentiment": 1}
    assert (stats["votes"], stats["voters"], stats["ignored_voters"]) == (2, 2, 1)
    assert stats["agreed_examples"] == {"origin": 1, "sentiment": 0}
    assert stats["production_versions"] == {"origin": None, "sentiment": "s1"}
