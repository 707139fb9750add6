import asyncio

from bot.services import FeedbackService
from db import FeedbackStore, Hasher


async def test_public_stats_share_one_scan_and_refresh_after_their_max_age(tmp_path):
    store = await FeedbackStore.open(tmp_path / "seqbot.db", Hasher("k" * 32))
    try:
        scans = 0
        real_stats = store.stats

        async def counted_stats(*args):
            nonlocal scans
            scans += 1
            return await real_stats(*args)

        store.stats = counted_stats
        feedback = FeedbackService(store)
        burst = await asyncio.gather(*(feedback.public_stats() for _ in range(20)))
        assert scans == 1 and all(b == burst[0] for b in burst)

        await store.log_prediction("origin", "Smith", "Smith", "v1", "English",
                                   [("English", 0.9)], 1, 2, 3)
        assert (await feedback.public_stats())["predictions"]["origin"] == 0  # still fresh
        assert (await feedback.stats())["predictions"]["origin"] == 1  # admins see it now
        feedback.PUBLIC_STATS_MAX_AGE_S = 0.0
        assert (await feedback.public_stats())["predictions"]["origin"] == 1
    finally:
        await store.close()
