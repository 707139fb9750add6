"""The registry benchmark's measurement: every promotion is timed until it serves."""

from __future__ import annotations

from benchmarks.registry_swap import swaps


async def test_each_promotion_is_timed_until_the_follower_serves_it(tmp_path) -> None:
    seconds = await swaps(str(tmp_path / "seqbot.db"), tmp_path, promotions=2, interval=0.05)
    assert len(seconds) == 2 and all(s >= 0 for s in seconds)
