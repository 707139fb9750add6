"""FeedbackStore: the async API the bot, training and admin tools use to log and read feedback.

Every call is one transaction on the process's single connection (see db.database), so each
method is atomic and a coroutine never observes another one half-done. Raw Discord user ids
enter here and leave only as keyed hashes (see db.privacy).
"""

import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import aiosqlite

from db import consensus
from db.consensus import DEFAULT_RULE, ConsensusRule, Poll
from db.database import Database, fetch_one, fetch_value
from db.errors import MissingSecretError, UnknownModelVersion, UnknownPrediction
from db.migrations import schema_version
from db.privacy import Hasher, is_user_hash
from db.records import (
    AgreedExample,
    LoggedPrediction,
    ModelVersion,
    VoterStats,
    VoteTally,
    check_model_status,
    check_task,
    prediction_from_row,
)
from db.teach import TeachStore
from db.timestamps import from_db, to_db, utc_now

MAX_RETENTION_DAYS = 36500  # a century: an age beyond it has no date to compare against


class FeedbackStore:
    def __init__(
        self,
        db: Database,
        hasher: Hasher | None,
        rule: ConsensusRule,
        clock: Callable[[], datetime],
    ) -> None:
        self._db = db
        self._hasher = hasher
        self._rule = rule
        self._clock = clock
        self.teach = TeachStore(db, self._hash, clock)

    @classmethod
    async def open(
        cls,
        path: str | os.PathLike[str],
        hasher: Hasher | None,
        *,
        rule: ConsensusRule = DEFAULT_RULE,
        busy_timeout: float = 5.0,
        clock: Callable[[], datetime] = utc_now,
    ) -> "FeedbackStore":
        """Open (creating parent folders) and migrate the database at `path`.

        `hasher` may be None only for tools that never handle raw user ids (stats, purge).
        `rule` is the consensus rule used by tallies, reports and stats, so that what the bot
        shows agrees with what training receives.
        """
        return cls(await Database.open(path, busy_timeout=busy_timeout), hasher, rule, clock)

    async def close(self) -> None:
        """Commit everything already submitted, checkpoint, and release the file."""
        await self._db.close()

    async def __aenter__(self) -> "FeedbackStore":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # predictions

    async def log_prediction(
        self,
        task: str,
        input_text: str,
        normalized: str,
        model_version: str,
        label: str,
        top: Sequence[tuple[str, float]],
        guild_id: int | None,
        channel_id: int | None,
        author_id: int | None,
    ) -> int:
        """Record one answer the bot gave; the returned id is what vote buttons refer to."""
        check_task(task)
        _check_label(label)
        top_json = json.dumps([[str(name), float(p)] for name, p in top], allow_nan=False)
        params = (
            task,
            input_text,
            normalized,
            model_version,
            label,
            top_json,
            guild_id,
            channel_id,
            None if author_id is None else self._hash(author_id),
            self._now(),
        )

        async def insert(conn: aiosqlite.Connection) -> int:
            cursor = await conn.execute(
                """
                INSERT INTO predictions (task, input_text, normalized, model_version, label,
                    top_json, guild_id, channel_id, author_hash, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                params,
            )
            return int(cursor.lastrowid or 0)

        return await self._db.write(insert)

    async def get_prediction(self, pred_id: int) -> LoggedPrediction | None:
        async def select(conn: aiosqlite.Connection) -> sqlite3.Row | None:
            return await fetch_one(conn, "SELECT * FROM predictions WHERE id = ?", (pred_id,))

        row = await self._db.read(select)
        return None if row is None else prediction_from_row(row)

    # votes and consensus

    async def record_vote(
        self, pred_id: int, voter_id: int, label: str, *, is_moderator: bool = False
    ) -> VoteTally:
        """Insert or replace this voter's vote; `label` may be CONFIRMED ('confirmed')."""
        _check_label(label)
        voter_hash = self._hash(voter_id)
        now = self._now()

        async def upsert(conn: aiosqlite.Connection) -> VoteTally:
            await _require_prediction(conn, pred_id)
            await conn.execute(
                """
                INSERT INTO votes (prediction_id, voter_hash, label, is_moderator,
                    created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (prediction_id, voter_hash) DO UPDATE SET
                    label = excluded.label,
                    is_moderator = excluded.is_moderator,
                    updated_at = excluded.updated_at
                """,
                (pred_id, voter_hash, label, int(is_moderator), now, now),
            )
            return consensus.tally(await _poll(conn, pred_id), self._rule)

        return await self._db.write(upsert)

    async def tally(self, pred_id: int) -> VoteTally:
        async def select(conn: aiosqlite.Connection) -> Poll:
            return await _poll(conn, pred_id)

        return consensus.tally(await self._db.read(select), self._rule)

    async def agreed_examples(
        self, task: str, *, min_agree: int | None = None, min_share: float | None = None
    ) -> list[AgreedExample]:
        """Labels the community agreed on, oldest prediction first; thresholds default to the
        store's rule (2 voters, strictly more than half)."""
        check_task(task)
        rule = ConsensusRule(
            self._rule.min_agree if min_agree is None else min_agree,
            self._rule.min_share if min_share is None else min_share,
        )

        async def select(conn: aiosqlite.Connection) -> tuple[list[Poll], dict[int, Any]]:
            polls = await consensus.load_polls(conn, task=task)
            rows = await conn.execute_fetchall(
                """
                SELECT p.*, max(v.updated_at) AS last_vote_at
                FROM predictions p JOIN votes v ON v.prediction_id = p.id
                WHERE p.task = ?
                GROUP BY p.id
                """,
                (task,),
            )
            return polls, {row["id"]: row for row in rows}

        polls, rows = await self._db.read(select)
        examples = []
        for poll in polls:
            verdict = consensus.decide(poll.ballots, poll.top_label, rule)
            if verdict is None:
                continue
            row = rows[poll.prediction_id]
            examples.append(
                AgreedExample(
                    prediction_id=poll.prediction_id,
                    task=task,
                    input_text=row["input_text"],
                    normalized=row["normalized"],
                    label=verdict.label,
                    model_label=poll.top_label,
                    model_version=row["model_version"],
                    model_was_right=verdict.label == poll.top_label,
                    voters=sum(not ballot.ignored for ballot in poll.ballots),
                    by_moderator=verdict.by_moderator,
                    created_at=from_db(row["created_at"]),
                    last_vote_at=from_db(row["last_vote_at"]),
                )
            )
        return examples

    async def trusted_labels(
        self, task: str, *, key: Callable[[str], str] | None = None
    ) -> dict[str, AgreedExample]:
        """Per input key, the label the community agreed on: what the served known-input
        memory may answer from (bot/known.py). Recomputed from the votes on every call, so a
        label whose votes changed, whose voters were erased (/forget-me) or ignored is simply
        no longer there. `key` says which answers are of one input (applied to their
        normalised text); default: case and spacing folded.

        This is where the trust-weighted consensus of issue 17 plugs in: it replaces this
        body, keeping the signature and the meaning. Until then it is the per-answer
        consensus of `agreed_examples`, and an input whose answers were agreed on different
        labels enters with none of them.
        """
        fold = key or (lambda text: " ".join(text.casefold().split()))
        by_key: dict[str, AgreedExample] = {}
        disputed: set[str] = set()
        for example in await self.agreed_examples(task):  # oldest answer first
            k = fold(example.normalized)
            if k in by_key and by_key[k].label != example.label:
                disputed.add(k)
            by_key[k] = example
        return {k: e for k, e in by_key.items() if k not in disputed}

    async def voter_agreement(self, task: str | None = None) -> list[VoterStats]:
        """Per-voter agreement with the consensus, least agreeing first."""
        if task is not None:
            check_task(task)

        async def select(conn: aiosqlite.Connection) -> list[Poll]:
            return await consensus.load_polls(conn, task=task)

        return consensus.voter_agreement(await self._db.read(select), self._rule)

    async def ignore_voter(self, voter_id: int) -> bool:
        return await self.ignore_voter_hash(self._hash(voter_id))

    async def ignore_voter_hash(self, voter_hash: str) -> bool:
        """Exclude a voter's past and future votes from consensus; True if newly ignored."""
        if not is_user_hash(voter_hash):
            raise ValueError(f"{voter_hash!r} is not a voter hash (64 lowercase hex digits)")
        now = self._now()

        async def insert(conn: aiosqlite.Connection) -> bool:
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO ignored_voters (voter_hash, created_at) VALUES (?, ?)",
                (voter_hash, now),
            )
            return cursor.rowcount > 0

        return await self._db.write(insert)

    async def unignore_voter(self, voter_id: int) -> bool:
        return await self.unignore_voter_hash(self._hash(voter_id))

    async def unignore_voter_hash(self, voter_hash: str) -> bool:
        """Count a voter's votes again; True if they had been ignored."""

        async def delete(conn: aiosqlite.Connection) -> bool:
            cursor = await conn.execute(
                "DELETE FROM ignored_voters WHERE voter_hash = ?", (voter_hash,)
            )
            return cursor.rowcount > 0

        return await self._db.write(delete)

    async def stats(self, tasks: Iterable[str] = ()) -> dict[str, Any]:
        """Counts for /about and admins: predictions, votes, voters, agreed examples per task.

        Per task: `tasks` (the served ones, listed even without a row), then any other task
        the database holds rows of.
        """

        async def select(conn: aiosqlite.Connection) -> dict[str, Any]:
            counts = {task: n for task, n in await conn.execute_fetchall(
                "SELECT task, count(*) FROM predictions GROUP BY task")}
            production = {task: version for task, version in await conn.execute_fetchall(
                "SELECT task, version FROM model_versions WHERE status = 'production'")}
            names = list(dict.fromkeys([*tasks, *sorted({*counts, *production})]))
            agreed = {}
            for task in names:
                polls = await consensus.load_polls(conn, task=task)
                agreed[task] = sum(
                    consensus.decide(poll.ballots, poll.top_label, self._rule) is not None
                    for poll in polls
                )
            return {
                "schema_version": await schema_version(conn),
                "predictions": {task: counts.get(task, 0) for task in names},
                "votes": await fetch_value(conn, "SELECT count(*) FROM votes"),
                "voters": await fetch_value(conn, "SELECT count(DISTINCT voter_hash) FROM votes"),
                "ignored_voters": await fetch_value(conn, "SELECT count(*) FROM ignored_voters"),
                "agreed_examples": agreed,
                "production_versions": {task: production.get(task) for task in names},
            }

        return await self._db.read(select)

    # model versions

    async def add_model_version(
        self,
        task: str,
        version: str,
        path: str | os.PathLike[str],
        checksum: str,
        metrics: dict[str, Any],
        status: str = "candidate",
    ) -> ModelVersion:
        """Register trained weights; registering as 'production' retires the previous one."""
        check_task(task)
        check_model_status(status)
        params = (task, version, os.fspath(path), checksum, json.dumps(metrics), status)
        now = self._now()

        async def insert(conn: aiosqlite.Connection) -> ModelVersion:
            if status == "production":
                await _retire_production(conn, task)
            try:
                await conn.execute(
                    """
                    INSERT INTO model_versions (task, version, path, checksum, metrics_json,
                        status, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                    (*params, now),
                )
            except sqlite3.IntegrityError as error:
                raise ValueError(f"{task} model {version!r} is already registered") from error
            return await _model_version(conn, task, version)

        return await self._db.write(insert)

    async def set_model_status(self, task: str, version: str, status: str) -> ModelVersion:
        """Promote, retire or reject a version; promoting retires the current production one."""
        check_task(task)
        check_model_status(status)

        async def update(conn: aiosqlite.Connection) -> ModelVersion:
            await _model_version(conn, task, version)  # raises before touching anything
            if status == "production":
                await _retire_production(conn, task)
            await conn.execute(
                "UPDATE model_versions SET status = ? WHERE task = ? AND version = ?",
                (status, task, version),
            )
            return await _model_version(conn, task, version)

        return await self._db.write(update)

    async def model_versions(self, task: str) -> list[ModelVersion]:
        """All registered versions of a task, oldest first."""
        check_task(task)

        async def select(conn: aiosqlite.Connection) -> list[ModelVersion]:
            rows = await conn.execute_fetchall(
                "SELECT * FROM model_versions WHERE task = ? ORDER BY id", (task,)
            )
            return [_model_version_record(row) for row in rows]

        return await self._db.read(select)

    async def production_version(self, task: str) -> ModelVersion | None:
        check_task(task)

        async def select(conn: aiosqlite.Connection) -> sqlite3.Row | None:
            return await fetch_one(
                conn,
                "SELECT * FROM model_versions WHERE task = ? AND status = 'production'",
                (task,),
            )

        row = await self._db.read(select)
        return None if row is None else _model_version_record(row)

    # privacy and retention

    async def forget_user(self, user_id: int) -> dict[str, int]:
        """Erase a user's votes, predictions (with everyone's votes on them) and /teach history.

        An admin's decision to ignore the user is kept: it is moderation data, not the user's
        contribution, and erasing it would let an adversary lift their own ban.
        """
        user_hash = self._hash(user_id)

        async def delete(conn: aiosqlite.Connection) -> dict[str, int]:
            votes = await conn.execute("DELETE FROM votes WHERE voter_hash = ?", (user_hash,))
            cascaded = await fetch_value(
                conn,
                """
                SELECT count(*) FROM votes v JOIN predictions p ON p.id = v.prediction_id
                WHERE p.author_hash = ?
                """,
                (user_hash,),
            )
            predictions = await conn.execute(
                "DELETE FROM predictions WHERE author_hash = ?", (user_hash,)
            )
            shown = await conn.execute("DELETE FROM teach_shown WHERE viewer = ?", (user_hash,))
            return {
                "votes": votes.rowcount,
                "predictions": predictions.rowcount,
                "votes_on_their_predictions": cascaded,
                "teach_shown": shown.rowcount,
            }

        return await self._db.write(delete)

    async def purge_unvoted(self, older_than_days: float) -> int:
        """Retention: delete predictions nobody voted on that are older than the given age,
        and /teach's record of who was shown what, past the same age."""
        if not 0 <= older_than_days <= MAX_RETENTION_DAYS:  # also refuses nan
            raise ValueError(f"older_than_days must be from 0 to {MAX_RETENTION_DAYS}")
        cutoff = to_db(self._clock() - timedelta(days=older_than_days))

        async def delete(conn: aiosqlite.Connection) -> int:
            cursor = await conn.execute(
                """
                DELETE FROM predictions
                WHERE created_at < ?
                  AND NOT EXISTS (SELECT 1 FROM votes v WHERE v.prediction_id = predictions.id)
                """,
                (cutoff,),
            )
            await conn.execute("DELETE FROM teach_shown WHERE shown_at < ?", (cutoff,))
            return cursor.rowcount

        return await self._db.write(delete)

    def _hash(self, user_id: int) -> str:
        if self._hasher is None:
            raise MissingSecretError("this store was opened without a Hasher; user ids need one")
        return self._hasher.hash_user(user_id)

    def _now(self) -> str:
        return to_db(self._clock())


def _check_label(label: str) -> None:
    if not isinstance(label, str) or not label.strip():
        raise ValueError("labels must be non-empty strings")


async def _require_prediction(conn: aiosqlite.Connection, pred_id: int) -> str:
    top_label = await fetch_value(conn, "SELECT label FROM predictions WHERE id = ?", (pred_id,))
    if top_label is None:
        raise UnknownPrediction(f"no prediction with id {pred_id}")
    return str(top_label)


async def _poll(conn: aiosqlite.Connection, pred_id: int) -> Poll:
    top_label = await _require_prediction(conn, pred_id)
    polls = await consensus.load_polls(conn, prediction_id=pred_id)
    return polls[0] if polls else Poll(pred_id, top_label, [])


async def _retire_production(conn: aiosqlite.Connection, task: str) -> None:
    await conn.execute(
        "UPDATE model_versions SET status = 'retired' WHERE task = ? AND status = 'production'",
        (task,),
    )


async def _model_version(conn: aiosqlite.Connection, task: str, version: str) -> ModelVersion:
    row = await fetch_one(
        conn, "SELECT * FROM model_versions WHERE task = ? AND version = ?", (task, version)
    )
    if row is None:
        raise UnknownModelVersion(f"no {task} model version {version!r}")
    return _model_version_record(row)


def _model_version_record(row: sqlite3.Row) -> ModelVersion:
    return ModelVersion(
        task=row["task"],
        version=row["version"],
        path=row["path"],
        checksum=row["checksum"],
        metrics=json.loads(row["metrics_json"]),
        status=row["status"],
        created_at=from_db(row["created_at"]),
    )
