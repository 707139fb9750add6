"""Storage for active learning (/teach): per-server opt-in, the unlabelled pool, and who was
shown which answer.

Viewers are keyed like voters, by the HMAC of their Discord id (so /forget-me finds their
history), or 'channel:<id>' for a channel's scheduled post. Shown-history lives only as long
as the answer it points at (it cascades with it) and never longer than the retention period.
An answer asked in a channel is shown only to viewers who can read that channel: the caller
says which channels those are (Discord permissions are the bot's business, not the store's).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from db.connection import Connection, Row, StorePart
from db.records import LoggedPrediction, check_task, prediction_from_row
from db.timestamps import from_db, to_db

ENOUGH_VOTES = 3  # an answer with this many votes needs no more askers


def _shown_alike(viewer: str) -> str:
    """SQL: was the viewer (placeholder `viewer`) shown an answer to the same input as
    answer `p`, from any model at any time?"""
    return f"""SELECT 1 FROM teach_shown s JOIN predictions q ON q.id = s.prediction_id
               WHERE s.viewer = {viewer} AND q.task = p.task
                 AND lower(q.normalized) = lower(p.normalized)"""


@dataclass(frozen=True)
class TeachGuild:
    guild_id: int
    enabled: bool
    channel_id: int | None  # the scheduled post's channel; None = no scheduled post
    every_hours: float | None
    last_post_at: datetime | None


@dataclass(frozen=True)
class PoolItem:
    id: int
    task: str
    input_text: str


class TeachStore(StorePart):
    """Reached as FeedbackStore.teach; shares its connection, hasher and clock."""

    def user_viewer(self, user_id: int) -> str:
        return self._hash_user(user_id)

    @staticmethod
    def channel_viewer(channel_id: int) -> str:
        return f"channel:{channel_id}"

    # per-server settings

    async def guild(self, guild_id: int) -> TeachGuild | None:
        async def select(conn: Connection) -> Row | None:
            return await conn.fetch_one("SELECT * FROM teach_guilds WHERE guild_id = ?",
                                        (guild_id,))

        row = await self._db.read(select)
        return _guild(row) if row else None

    async def set_enabled(self, guild_id: int, enabled: bool) -> TeachGuild:
        """Turning /teach off also stops the scheduled post (its channel is kept)."""
        return await self._upsert(guild_id, "enabled = excluded.enabled", enabled=int(enabled))

    async def set_schedule(self, guild_id: int, channel_id: int | None,
                           every_hours: float | None) -> TeachGuild:
        """Post every `every_hours` in `channel_id` (None: stop posting)."""
        if every_hours is not None and every_hours <= 0:
            raise ValueError("every_hours must be positive")
        return await self._upsert(
            guild_id, "channel_id = excluded.channel_id, every_hours = excluded.every_hours",
            channel_id=channel_id, every_hours=every_hours)

    async def _upsert(self, guild_id: int, assignments: str, **values: object) -> TeachGuild:
        row = {"guild_id": guild_id, "enabled": 0, "channel_id": None, "every_hours": None,
               **values, "updated_at": self._now()}
        params = tuple(row[column] for column in
                       ("guild_id", "enabled", "channel_id", "every_hours", "updated_at"))

        async def upsert(conn: Connection) -> TeachGuild:
            await conn.execute(
                "INSERT INTO teach_guilds (guild_id, enabled, channel_id, every_hours, "
                "updated_at) VALUES (?, ?, ?, ?, ?) "
                f"ON CONFLICT (guild_id) DO UPDATE SET {assignments}, "
                "updated_at = excluded.updated_at", params)
            return _guild(await conn.fetch_one(
                "SELECT * FROM teach_guilds WHERE guild_id = ?", (guild_id,)))

        return await self._db.write(upsert)

    async def due_posts(self) -> list[TeachGuild]:
        """Enabled servers with a channel whose last scheduled post is old enough."""
        async def select(conn: Connection) -> list[Row]:
            return await conn.fetch_all(
                "SELECT * FROM teach_guilds WHERE enabled = 1 AND channel_id IS NOT NULL "
                "AND every_hours IS NOT NULL ORDER BY guild_id")

        now = self._clock()
        return [g for g in map(_guild, await self._db.read(select))
                if g.last_post_at is None
                or now - g.last_post_at >= timedelta(hours=g.every_hours or 0)]

    async def mark_posted(self, guild_id: int) -> None:
        now = self._now()

        async def update(conn: Connection) -> None:
            await conn.execute("UPDATE teach_guilds SET last_post_at = ? WHERE guild_id = ?",
                               (now, guild_id))

        await self._db.write(update)

    # the unlabelled pool

    async def add_to_pool(self, task: str, texts: Iterable[str], source: str) -> int:
        """Add inputs (blank lines and ones already pooled are skipped); returns how many."""
        check_task(task)
        now = self._now()
        rows = [(task, text.strip(), source, now) for text in texts if text.strip()]

        async def insert(conn: Connection) -> int:
            return await conn.execute_many(
                "INSERT INTO teach_pool (task, input_text, source, created_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", rows)

        return await self._db.write(insert)

    async def pool_to_score(self, task: str, version: str, limit: int) -> list[PoolItem]:
        """Pooled inputs with no answer from `version` yet (new, purged, or a newer model)."""
        async def select(conn: Connection) -> list[Row]:
            return await conn.fetch_all(
                """
                SELECT t.id, t.task, t.input_text FROM teach_pool t
                LEFT JOIN predictions p ON p.id = t.prediction_id
                WHERE t.task = ? AND (p.id IS NULL OR p.model_version <> ?)
                ORDER BY t.id LIMIT ?
                """, (task, version, limit))

        return [PoolItem(r["id"], r["task"], r["input_text"]) for r in await self._db.read(select)]

    async def link_pool(self, pool_id: int, prediction_id: int) -> None:
        async def update(conn: Connection) -> None:
            await conn.execute("UPDATE teach_pool SET prediction_id = ? WHERE id = ?",
                               (prediction_id, pool_id))

        await self._db.write(update)

    async def drop_from_pool(self, pool_ids: Iterable[int]) -> None:
        """For inputs the model refuses: they could never be shown."""
        ids = [(i,) for i in pool_ids]

        async def delete(conn: Connection) -> None:
            await conn.execute_many("DELETE FROM teach_pool WHERE id = ?", ids)

        await self._db.write(delete)

    async def pool_stats(self) -> dict[str, dict[str, int]]:
        async def select(conn: Connection) -> list[Row]:
            return await conn.fetch_all(
                "SELECT task, count(*), count(prediction_id) FROM teach_pool GROUP BY task")

        return {row[0]: {"pooled": row[1], "scored": row[2]}
                for row in await self._db.read(select)}

    # what to show whom

    async def candidates(self, task: str, version: str, guild_id: int, viewer: str, *,
                         channels: Collection[int], limit: int = 200,
                         enough_votes: int = ENOUGH_VOTES) -> list[LoggedPrediction]:
        """The least certain answers of `version` this viewer may be asked about: asked in
        this server in one of `channels` (or from the pool), not their own, not voted on by
        them or by enough people already, and no input they were shown before. Least
        certain first.

        `channels` are the ones the viewer can read (required: an answer asked in a private
        channel must not reach members outside it)."""
        params = (task, version, guild_id, json.dumps(sorted(channels)), viewer, enough_votes,
                  limit)

        async def select(conn: Connection) -> list[Row]:
            return await conn.fetch_all(
                f"""
                SELECT p.* FROM predictions p
                WHERE p.task = ?1 AND p.model_version = ?2 AND p.margin IS NOT NULL
                  AND ((p.guild_id = ?3 AND p.channel_id IN ({conn.int_list("?4")}))
                       OR EXISTS (SELECT 1 FROM teach_pool t WHERE t.prediction_id = p.id))
                  AND (p.author_hash IS NULL OR p.author_hash <> ?5)
                  AND (SELECT count(*) FROM votes v WHERE v.prediction_id = p.id) < ?6
                  AND NOT EXISTS (SELECT 1 FROM votes v
                                  WHERE v.prediction_id = p.id AND v.voter_hash = ?5)
                  AND NOT EXISTS ({_shown_alike("?5")})
                ORDER BY p.margin, p.id LIMIT ?7
                """, params)

        return [prediction_from_row(row) for row in await self._db.read(select)]

    async def recent(self, viewer: str, limit: int = 10) -> list[tuple[str, str]]:
        """(normalised input, model label) of the last answers shown to this viewer."""
        async def select(conn: Connection) -> list[Row]:
            return await conn.fetch_all(
                "SELECT p.normalized, p.label FROM teach_shown s "
                "JOIN predictions p ON p.id = s.prediction_id WHERE s.viewer = ? "
                "ORDER BY s.shown_at DESC, p.id DESC LIMIT ?", (viewer, limit))

        return [(row[0], row[1]) for row in await self._db.read(select)]

    async def mark_shown(self, viewer: str, prediction_id: int) -> bool:
        """Claim this answer for this viewer; False if it is gone or they were already shown
        its input, by this process or another (shards share the database), so the caller
        picks another. Claims for one viewer are serialised, so two processes never both
        win the same input."""
        now = self._now()

        async def insert(conn: Connection) -> bool:
            await conn.lock(f"teach_shown:{viewer}")
            return await conn.execute(
                f"""
                INSERT INTO teach_shown (viewer, prediction_id, shown_at)
                SELECT ?1, p.id, ?2 FROM predictions p
                WHERE p.id = ?3 AND NOT EXISTS ({_shown_alike("?1")})
                """, (viewer, now, prediction_id)) > 0

        return await self._db.write(insert)

    async def shown_count(self, viewer: str) -> int:
        async def select(conn: Connection) -> int:
            return int(await conn.fetch_value(
                "SELECT count(*) FROM teach_shown WHERE viewer = ?", (viewer,)))

        return await self._db.read(select)

    def _now(self) -> str:
        return to_db(self._clock())


def _guild(row: Row) -> TeachGuild:
    return TeachGuild(
        guild_id=row["guild_id"], enabled=bool(row["enabled"]), channel_id=row["channel_id"],
        every_hours=row["every_hours"],
        last_post_at=None if row["last_post_at"] is None else from_db(row["last_post_at"]))

