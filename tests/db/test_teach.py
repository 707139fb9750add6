"""/teach's storage on a real SQLite file: opt-in, schedule, pool, candidates, erasure."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.helpers import Clock

GUILD, OTHER_GUILD, AUTHOR, VIEWER = 10, 11, 1, 2
START = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def clock() -> Clock:
    """Every test's store runs on this clock (see the `store` fixture)."""
    return Clock(START)


async def log(store, text, p, *, guild=GUILD, author=AUTHOR, version="v1", channel=3) -> int:
    return await store.log_prediction("origin", text, text.lower(), version, "Japanese",
                                      [("Japanese", p), ("Chinese", 1 - p)], guild, channel,
                                      author)


async def shown_to(store, user_id: int) -> list[str]:
    viewer = store.teach.user_viewer(user_id)
    return [r.input_text for r in await store.teach.candidates("origin", "v1", GUILD, viewer,
                                                               channels={3})]


async def test_candidates_are_least_certain_first_and_exclude_what_they_should(store):
    await log(store, "Sure", 0.95)
    await log(store, "Unsure", 0.52)
    await log(store, "Mine", 0.5, author=VIEWER)  # the viewer's own question
    await log(store, "Elsewhere", 0.5, guild=OTHER_GUILD)  # another server's
    await log(store, "Old model", 0.5, version="v0")  # not the served model's answer
    voted = await log(store, "Voted", 0.55)
    await store.record_vote(voted, VIEWER, "confirmed")
    crowded = await log(store, "Crowded", 0.51)
    for voter in (7, 8, 9):
        await store.record_vote(crowded, voter, "confirmed")
    assert await shown_to(store, VIEWER) == ["Unsure", "Sure"]


async def test_candidates_come_only_from_the_channels_the_viewer_can_read(store):
    big = 1_400_000_000_000_000_000  # a real snowflake's size
    await log(store, "General", 0.5, channel=3)
    await log(store, "Mods only", 0.5, channel=big)
    await log(store, "Elsewhere", 0.5, guild=OTHER_GUILD, channel=4)  # another server's
    await store.teach.add_to_pool("origin", ["Pooled"], "f")
    [item] = await store.teach.pool_to_score("origin", "v1", 10)
    await store.teach.link_pool(item.id, await log(store, "Pooled", 0.5, guild=None,
                                                   author=None, channel=None))
    viewer = store.teach.user_viewer(VIEWER)

    async def shown(channels: set[int]) -> list[str]:
        return sorted(r.input_text for r in await store.teach.candidates(
            "origin", "v1", GUILD, viewer, channels=channels))

    assert await shown({3, 4}) == ["General", "Pooled"]
    assert await shown({3, big}) == ["General", "Mods only", "Pooled"]
    assert await shown(set()) == ["Pooled"]  # pooled inputs belong to no channel


async def test_shown_items_and_their_duplicates_are_not_offered_again(store):
    first = await log(store, "Nakamura", 0.5)
    await log(store, "NAKAMURA", 0.51, author=5)
    await log(store, "Rossi", 0.6)
    await store.teach.mark_shown(store.teach.user_viewer(VIEWER), first)
    assert await shown_to(store, VIEWER) == ["Rossi"]
    assert await shown_to(store, 6) == ["Nakamura", "NAKAMURA", "Rossi"]
    assert await store.teach.recent(store.teach.user_viewer(VIEWER)) == [("nakamura", "Japanese")]


async def test_forget_user_removes_their_teach_history(store):
    pred = await log(store, "Nakamura", 0.5)
    await store.teach.mark_shown(store.teach.user_viewer(VIEWER), pred)
    await store.teach.mark_shown(store.teach.user_viewer(6), pred)
    assert (await store.forget_user(VIEWER))["teach_shown"] == 1
    assert await store.teach.shown_count(store.teach.user_viewer(VIEWER)) == 0
    assert await store.teach.shown_count(store.teach.user_viewer(6)) == 1
    await store.forget_user(AUTHOR)  # the answer itself goes, and what was shown of it
    assert await store.teach.shown_count(store.teach.user_viewer(6)) == 0


async def test_retention_purges_teach_history_past_its_age(store, clock):
    unvoted = await log(store, "Nakamura", 0.5)
    voted = await log(store, "Rossi", 0.6)
    await store.record_vote(voted, 7, "confirmed")
    viewer = store.teach.user_viewer(VIEWER)
    for pred in (unvoted, voted):
        await store.teach.mark_shown(viewer, pred)
    clock.now = START + timedelta(days=30)
    fresh = await log(store, "Tanaka", 0.5)
    await store.teach.mark_shown(viewer, fresh)
    clock.now = START + timedelta(days=40)
    assert await store.purge_unvoted(older_than_days=35) == 1
    # the voted answer stays, but who was shown it 40 days ago does not
    assert await store.get_prediction(voted) is not None
    assert await store.teach.recent(viewer) == [("tanaka", "Japanese")]


async def test_opt_in_and_schedule(store, clock):
    assert await store.teach.guild(GUILD) is None
    assert not (await store.teach.set_schedule(GUILD, 55, 6)).enabled  # scheduling is not enabling
    assert await store.teach.due_posts() == []
    settings = await store.teach.set_enabled(GUILD, True)
    assert (settings.enabled, settings.channel_id, settings.every_hours) == (True, 55, 6)
    assert [g.guild_id for g in await store.teach.due_posts()] == [GUILD]
    await store.teach.mark_posted(GUILD)
    clock.now = START + timedelta(hours=5, minutes=59)
    assert await store.teach.due_posts() == []
    clock.now = START + timedelta(hours=6)
    assert [g.channel_id for g in await store.teach.due_posts()] == [55]
    await store.teach.set_schedule(GUILD, None, None)
    assert await store.teach.due_posts() == []
    with pytest.raises(ValueError):
        await store.teach.set_schedule(GUILD, 55, 0)


async def test_pool_is_rescored_when_the_model_changes(store):
    assert await store.teach.add_to_pool("origin", ["Tanaka", "Ivanov", "Tanaka", " "], "f") == 2
    todo = await store.teach.pool_to_score("origin", "v1", 10)
    assert [i.input_text for i in todo] == ["Tanaka", "Ivanov"]
    for item in todo:
        await store.teach.link_pool(item.id, await log(store, item.input_text, 0.5, guild=None,
                                                       author=None))
    assert await store.teach.pool_to_score("origin", "v1", 10) == []
    assert len(await store.teach.pool_to_score("origin", "v2", 10)) == 2
    # pooled answers are offered in every server; plain DMs' answers nowhere
    await log(store, "From a DM", 0.5, guild=None)
    assert sorted(await shown_to(store, VIEWER)) == ["Ivanov", "Tanaka"]
    await store.teach.drop_from_pool([todo[0].id])
    assert await store.teach.pool_stats() == {"origin": {"pooled": 1, "scored": 1}}
