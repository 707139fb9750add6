"""Per-user command budgets kept in the database, so every bot process (shard) on it counts
a user's commands against one budget.

A budget is a fixed window, as discord.py's own Cooldown: the first command opens a window
of `per` seconds in which `rate` commands pass; later ones are refused until it ends. One
upsert counts the use and reads the window back, so two processes counting at the same
moment each see the other's use (SQLite's single writer, PostgreSQL's row lock).
"""

from __future__ import annotations

from datetime import timedelta

from db.connection import Connection, StorePart
from db.timestamps import from_db, to_db


class CooldownStore(StorePart):
    """Reached as FeedbackStore.cooldowns; shares its connection, hasher and clock."""

    async def use(self, user_id: int, rate: int, per: float) -> float:
        """Count one command by this user; returns 0 if it may run, else the seconds until
        their window ends."""
        if rate < 1:
            raise ValueError("a budget needs rate >= 1")
        start, used = await self.count(user_id, per)
        if used <= rate:
            return 0.0
        return max(start + per - self._clock().timestamp(), 0.0)

    async def count(self, user_id: int, per: float) -> tuple[float, int]:
        """Count one command by this user; returns their window's start (unix time) and the
        commands counted in it, this one included."""
        if per <= 0:
            raise ValueError("a budget needs per > 0")
        user_hash = self._hash_user(user_id)
        now = self._clock()
        expired = to_db(now - timedelta(seconds=per))

        async def upsert(conn: Connection) -> tuple[str, int]:
            row = await conn.fetch_one(
                """
                INSERT INTO cooldowns (user_hash, window_start, used) VALUES (?1, ?2, 1)
                ON CONFLICT (user_hash) DO UPDATE SET
                    window_start = CASE WHEN cooldowns.window_start <= ?3
                                        THEN excluded.window_start
                                        ELSE cooldowns.window_start END,
                    used = CASE WHEN cooldowns.window_start <= ?3 THEN 1
                                ELSE cooldowns.used + 1 END
                RETURNING window_start, used
                """, (user_hash, to_db(now), expired))
            return row[0], row[1]

        window_start, used = await self._db.write(upsert)
        return from_db(window_start).timestamp(), used
