"""FeedbackStore: the async API the bot, training and admin tools use to log and read feedback.

Every call is one transaction (see db.database for SQLite, db.postgres for PostgreSQL), so
each method is atomic and a coroutine never observes another one half-done. The queries are
written once for both databases (db.connection). Raw Discord user ids enter here and leave
only as keyed hashes (see db.privacy).
"""

import asyncio
import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from db import consensus, trust
from db.connection import Connection, Row
from db.consensus import DEFAULT_RULE, ConsensusRule, Poll
from db.cooldowns import CooldownStore
from db.database import Database
from db.errors import (
    ConstraintError,
    MissingSecretError,
    UnknownModelVersion,
    UnknownPrediction,
    UnknownVoterGroup,
)
from db.postgres import Listener, PostgresDatabase
from db.privacy import Hasher, check_secret, is_user_hash
from db.records import (
    AgreedExample,
    LoggedPrediction,
    ModelVersion,
    VoterGroup,
    VoterStats,
    VoteTally,
    check_model_status,
    check_task,
    prediction_from_row,
)
from db.teach import TeachStore
from db.timestamps import from_db, to_db, utc_now
from settings.database import DatabaseLocation, parse_location

MODELS_CHANNEL = "seqbot_models"  # PostgreSQL NOTIFY channel: a task's production row moved
MAX_RETENTION_DAYS = 36500  # a century: an age beyond it has no date to compare against
ERASED_TABLES = ("predictions", "votes", "teach_shown", "cooldowns")  # what /forget-me touches


async def open_database(location: str | os.PathLike[str] | DatabaseLocation, *,
                        busy_timeout: float = 5.0,
                        read_only: bool = False) -> Database | PostgresDatabase:
    """The backend `location` names, connected and migrated. `read_only` matters to SQLite
    (db.database); PostgreSQL's reads already run in read-only transactions."""
    where = parse_location(location)
    if where.is_postgres:
        return await PostgresDatabase.open(where, busy_timeout=busy_timeout)
    return await Database.open(where.sqlite_path, busy_timeout=busy_timeout,
                               read_only=read_only)


ESTIMATES_KEPT = 8  # estimates reused while their votes are unchanged


class FeedbackStore:
    def __init__(
        self,
        db: Database | PostgresDatabase,
        hasher: Hasher | None,
        rule: ConsensusRule,
        clock: Callable[[], datetime],
    ) -> None:
        self._db = db
        self._hasher = hasher
        self._rule = rule
        self._clock = clock
        self._estimated: trust.Estimate | None = None
        self._estimates: dict[tuple[trust.TrustRule, int], trust.Estimate] = {}
        self.teach = TeachStore(db, self._hash, clock)
        self.cooldowns = CooldownStore(db, self._hash, clock)

    @property
    def dialect(self) -> str:
        """"sqlite" or "postgresql"."""
        return self._db.dialect

    @classmethod
    async def open(
        cls,
        location: str | os.PathLike[str] | DatabaseLocation,
        hasher: Hasher | None,
        *,
        rule: ConsensusRule = DEFAULT_RULE,
        busy_timeout: float = 5.0,
        clock: Callable[[], datetime] = utc_now,
        read_only: bool = False,
    ) -> "FeedbackStore":
        """Open and migrate the database at `location` (a SQLite file, its parent folders
        created, or a postgresql:// URL; see settings.database).

        `hasher` may be None only for tools that never handle raw user ids (stats, purge).
        Its secret must be the one the database recorded (db.privacy.check_secret).
        `rule` is the consensus rule used by tallies, reports and stats, so that what the bot
        shows agrees with what training receives. `busy_timeout` is how long a write waits
        for another process's lock. `read_only`: for reports and exports, which then never
        take the write lock (see db.database).
        """
        db = await open_database(location, busy_timeout=busy_timeout, read_only=read_only)
        if hasher is not None:  # before anything is hashed: refuse a secret not the database's
            try:
                await db.write(lambda conn: check_secret(conn, hasher))
            except BaseException:
                await db.close()
                raise
        return cls(db, hasher, rule, clock)

    async def close(self) -> None:
        """Commit everything already submitted and release the database."""
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

        async def insert(conn: Connection) -> int:
            return int(await conn.fetch_value(
                """
                INSERT INTO predictions (task, input_text, normalized, model_version, label,
                    top_json, guild_id, channel_id, author_hash, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                RETURNING id
                """,
                params,
            ))

        return await self._db.write(insert)

    async def get_prediction(self, pred_id: int) -> LoggedPrediction | None:
        async def select(conn: Connection) -> Row | None:
            return await conn.fetch_one("SELECT * FROM predictions WHERE id = ?", (pred_id,))

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

        async def upsert(conn: Connection) -> tuple[Poll, float]:
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
            return await _poll(conn, pred_id)

        return self._live_tally(*await self._db.write(upsert))

    async def tally(self, pred_id: int) -> VoteTally:
        async def select(conn: Connection) -> tuple[Poll, float]:
            return await _poll(conn, pred_id)

        return self._live_tally(*await self._db.read(select))

    def _live_tally(self, poll: Poll, confidence: float) -> VoteTally:
        """The answer's vote counts, and what its voters agree on by the trust last
        estimated (new accounts at the prior until then): the line under the answer must
        not show, as the community's, a label the loop would never learn (three new
        accounts correcting a confident answer). Cheap: the estimate itself is not rerun."""
        counts = consensus.tally(poll, self._rule)
        if not poll.ballots:
            return counts
        answer = trust.Answer(poll.prediction_id, "", "", poll.top_label, confidence)
        [item] = trust.build_items([answer], [
            trust.Vote(poll.prediction_id, b.voter_hash, b.label, b.is_moderator, b.ignored, i)
            for i, b in enumerate(poll.ballots)])
        est = self._estimated
        verdict = trust.decide(item, est.trust if est else {}, est.group_of if est else {},
                               self._trust_rule(None, None))
        return replace(counts, consensus=verdict.label if verdict else None,
                       by_moderator=verdict.by_moderator if verdict else False)

    async def agreed_examples(
        self, task: str, *, min_agree: int | None = None, min_share: float | None = None,
        key: Callable[[str], str] | None = None,
    ) -> list[AgreedExample]:
        """One label per input the community agreed on, weighted by earned trust (db.trust),
        oldest input first. `key` says which answers are of one input (applied to their
        normalised text; default: case and spacing folded): they are pooled, and the label
        with the most trusted support wins. Thresholds default to the store's rule."""
        check_task(task)
        rule = self._trust_rule(min_agree, min_share)

        async def select(conn: Connection) -> tuple[list[trust.Item], dict[int, Any]]:
            return await trust.load_items(conn, task=task, key=key)

        items, rows = await self._db.read(select)
        examples = []
        for item, verdict in await self._agreed(items, rule):
            if item.task != task:
                continue
            answer = item.latest
            row = rows[answer.id]
            examples.append(AgreedExample(
                prediction_id=answer.id,
                task=task,
                input_text=row["input_text"],
                normalized=row["normalized"],
                label=verdict.label,
                model_label=answer.label,
                model_version=row["model_version"],
                model_was_right=verdict.label == answer.label,
                voters=len(item.counted()),
                by_moderator=verdict.by_moderator,
                created_at=from_db(row["created_at"]),
                last_vote_at=from_db(item.last_vote),
                voter_hashes=verdict.supporters,
                voter_group=verdict.group,
            ))
        return examples

    async def trusted_labels(
        self, task: str, *, key: Callable[[str], str] | None = None
    ) -> dict[str, AgreedExample]:
        """Per input key, the label the community agreed on: what the served known-input
        memory may answer from (bot/known.py). Recomputed from the votes on every call, so a
        label whose votes changed, whose voters were erased (/forget-me) or quarantined is
        simply no longer there. `key` as in `agreed_examples`. Stricter than training: a
        label a flagged group helped agree enters only if a moderator decided it, since the
        memory answers at once, with no gate in between."""
        reads = key or trust.fold
        return {reads(e.normalized): e for e in await self.agreed_examples(task, key=reads)
                if e.by_moderator or not e.voter_group}

    async def voter_agreement(self, task: str | None = None) -> list[VoterStats]:
        """Per voter: estimated trust, flagged group, agreement with the trust-weighted
        consensus; flagged, quarantined (not estimated: their votes count for nothing), then
        least trusted first, since those are whom an admin checks."""
        if task is not None:
            check_task(task)
        items, est = await self._estimate()
        votes: Counter[str] = Counter()
        decided: Counter[str] = Counter()
        agreed: Counter[str] = Counter()
        quarantined: set[str] = set()
        moderators: set[str] = set()
        rule = self._trust_rule(None, None)
        for item in items:
            if task is not None and item.task != task:
                continue
            quarantined |= item.quarantined
            verdict = trust.decide(item, est.trust, est.group_of, rule)
            for voter, (label, mod) in item.ballots.items():
                votes[voter] += 1
                if mod:
                    moderators.add(voter)
                if verdict is not None:
                    decided[voter] += 1
                    agreed[voter] += label == verdict.label
        stats = [VoterStats(
            voter_hash=voter, votes=votes[voter], decided=decided[voter], agreed=agreed[voter],
            agreement=agreed[voter] / decided[voter] if decided[voter] else None,
            ignored=voter in quarantined, trust=est.trust.get(voter, rule.new_trust),
            evaluated=est.evaluated[voter], group=est.group_of.get(voter, ""),
            moderator=voter in moderators,
        ) for voter in votes]
        return sorted(stats, key=lambda s: (not s.group, not s.ignored, s.trust, -s.votes,
                                            s.voter_hash))

    async def voter_groups(self) -> list[VoterGroup]:
        """Groups of voters flagged for voting together, and why; most items first."""
        _, est = await self._estimate()

        async def select(conn: Connection) -> set[str]:
            return {row[0] for row in await conn.fetch_all(
                "SELECT voter_hash FROM ignored_voters")}

        quarantined = await self._db.read(select)
        groups = [VoterGroup(g.group_id, g.members, g.items, g.reasons,
                             all(m in quarantined for m in g.members)) for g in est.groups]
        return sorted(groups, key=lambda g: (-g.items, g.group_id))

    async def quarantine_group(self, group_id: str) -> int:
        """Quarantine every member of a flagged group (as `ignore_voter` does one voter);
        how many were newly quarantined. Unknown group: UnknownVoterGroup."""
        members = await self._group_members(group_id)
        now = self._now()

        async def insert(conn: Connection) -> int:
            return await conn.execute_many(
                "INSERT INTO ignored_voters (voter_hash, created_at, group_id) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING", [(m, now, group_id) for m in members])

        return await self._db.write(insert)

    async def release_group(self, group_id: str) -> int:
        """Count the votes of a quarantined group again; how many voters were released."""

        async def delete(conn: Connection) -> int:
            return await conn.execute("DELETE FROM ignored_voters WHERE group_id = ?",
                                      (group_id,))

        released = await self._db.write(delete)
        if not released:
            raise UnknownVoterGroup(f"no quarantined group {group_id!r}")
        return released

    async def _group_members(self, group_id: str) -> tuple[str, ...]:
        for group in (await self._estimate())[1].groups:
            if group.group_id == group_id:
                return group.members
        raise UnknownVoterGroup(f"no flagged group {group_id!r} (see `python -m db voters`)")

    async def _estimate(self) -> tuple[list[trust.Item], trust.Estimate]:
        async def select(conn: Connection) -> list[trust.Item]:
            return (await trust.load_items(conn))[0]

        items = await self._db.read(select)
        return items, await self._estimate_of(items, self._trust_rule(None, None))

    async def _agreed(self, items: list[trust.Item], rule: trust.TrustRule | None = None,
                      ) -> list[tuple[trust.Item, trust.Verdict]]:
        """Off the event loop: the estimate takes ~1.5 s per 15,000 votes, and the bot must
        keep answering meanwhile (the database is not held: the rows are already read)."""
        rule = rule or self._trust_rule(None, None)
        return trust.agreed(items, rule, await self._estimate_of(items, rule))

    async def _estimate_of(self, items: list[trust.Item], rule: trust.TrustRule,
                           ) -> trust.Estimate:
        """The estimate over these votes under `rule`, reused while they are unchanged:
        `/about`, `/admin stats` (three reads in one command) and the known-name refresh
        would otherwise rerun the whole estimate on the same votes each time."""
        seen = (rule, await asyncio.to_thread(lambda: hash(repr(items))))
        est = self._estimates.get(seen)
        if est is None:
            est = await asyncio.to_thread(trust.estimate, items, rule)
            if len(self._estimates) >= ESTIMATES_KEPT:  # one per task, key and rule in use
                del self._estimates[next(iter(self._estimates))]
            self._estimates[seen] = est
        if rule == self._trust_rule(None, None):
            self._estimated = est  # what live tallies weigh votes by
        return est

    def _trust_rule(self, min_agree: int | None, min_share: float | None) -> trust.TrustRule:
        return trust.TrustRule(
            min_agree=self._rule.min_agree if min_agree is None else min_agree,
            min_share=self._rule.min_share if min_share is None else min_share)

    async def ignore_voter(self, voter_id: int) -> bool:
        return await self.ignore_voter_hash(self._hash(voter_id))

    async def ignore_voter_hash(self, voter_hash: str) -> bool:
        """Exclude a voter's past and future votes from consensus; True if newly ignored."""
        if not is_user_hash(voter_hash):
            raise ValueError(f"{voter_hash!r} is not a voter hash (64 lowercase hex digits)")
        now = self._now()

        async def insert(conn: Connection) -> bool:
            return await conn.execute(
                "INSERT INTO ignored_voters (voter_hash, created_at) VALUES (?, ?)"
                " ON CONFLICT DO NOTHING",
                (voter_hash, now),
            ) > 0

        return await self._db.write(insert)

    async def unignore_voter(self, voter_id: int) -> bool:
        return await self.unignore_voter_hash(self._hash(voter_id))

    async def unignore_voter_hash(self, voter_hash: str) -> bool:
        """Count a voter's votes again; True if they had been ignored."""

        async def delete(conn: Connection) -> bool:
            return await conn.execute(
                "DELETE FROM ignored_voters WHERE voter_hash = ?", (voter_hash,)
            ) > 0

        return await self._db.write(delete)

    async def stats(self, tasks: Iterable[str] = ()) -> dict[str, Any]:
        """Counts for /about and admins: predictions, votes, voters, agreed examples per task.

        Per task: `tasks` (the served ones, listed even without a row), then any other task
        the database holds rows of.
        """

        async def select(conn: Connection) -> dict[str, Any]:
            counts = {task: n for task, n in await conn.fetch_all(
                "SELECT task, count(*) FROM predictions GROUP BY task")}
            production = {task: version for task, version in await conn.fetch_all(
                "SELECT task, version FROM model_versions WHERE status = 'production'")}
            names = list(dict.fromkeys([*tasks, *sorted({*counts, *production})]))
            return {
                "items": (await trust.load_items(conn))[0],
                "schema_version": await self._db.schema_version(conn),
                "predictions": {task: counts.get(task, 0) for task in names},
                "votes": await conn.fetch_value("SELECT count(*) FROM votes"),
                "voters": await conn.fetch_value("SELECT count(DISTINCT voter_hash) FROM votes"),
                "ignored_voters": await conn.fetch_value("SELECT count(*) FROM ignored_voters"),
                "agreed_examples": names,
                "production_versions": {task: production.get(task) for task in names},
            }

        stats = await self._db.read(select)
        agreed = Counter(item.task for item, _ in await self._agreed(stats.pop("items")))
        stats["agreed_examples"] = {task: agreed[task] for task in stats["agreed_examples"]}
        return stats

    # model versions

    async def add_model_version(
        self,
        task: str,
        version: str,
        path: str | os.PathLike[str],
        checksum: str,
        metrics: dict[str, Any],
        status: str = "candidate",
        weights: bytes | None = None,
    ) -> ModelVersion:
        """Register trained weights; registering as 'production' retires the previous one.

        `weights`, the checkpoint file's bytes (whose sha256 is `checksum`), go into the
        registry (model_blobs) in the same transaction, so that every process reaching the
        database can fetch and serve the version (db.model_sync)."""
        check_task(task)
        check_model_status(status)
        if weights is not None and hashlib.sha256(weights).hexdigest() != checksum:
            raise ValueError(f"{task} model {version!r}: the weights' sha256 is not {checksum}")
        params = (task, version, os.fspath(path), checksum, json.dumps(metrics), status)
        now = self._now()

        async def insert(conn: Connection) -> ModelVersion:
            await conn.lock(f"model_versions:{task}")
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
            except ConstraintError as error:
                raise ValueError(f"{task} model {version!r} is already registered") from error
            if weights is not None:
                await conn.execute("INSERT INTO model_blobs (sha256, bytes) VALUES (?, ?)"
                                   " ON CONFLICT DO NOTHING", (checksum, weights))
            if status == "production":
                await conn.notify(MODELS_CHANNEL, task)
            return await _model_version(conn, task, version)

        return await self._db.write(insert)

    async def set_model_status(self, task: str, version: str, status: str) -> ModelVersion:
        """Promote, retire or reject a version; promoting retires the current production one."""
        check_task(task)
        check_model_status(status)

        async def update(conn: Connection) -> ModelVersion:
            await conn.lock(f"model_versions:{task}")
            await _model_version(conn, task, version)  # raises before touching anything
            if status == "production":
                await _retire_production(conn, task)
            await conn.execute(
                "UPDATE model_versions SET status = ? WHERE task = ? AND version = ?",
                (status, task, version),
            )
            await conn.notify(MODELS_CHANNEL, task)
            return await _model_version(conn, task, version)

        return await self._db.write(update)

    async def rollback_model(self, task: str) -> ModelVersion | None:
        """Make the version that was production before the current one production again
        (announced, so every process follows); None where there is no such version."""
        check_task(task)

        async def update(conn: Connection) -> ModelVersion | None:
            await conn.lock(f"model_versions:{task}")
            current = await conn.fetch_value(
                "SELECT id FROM model_versions WHERE task = ? AND status = 'production'",
                (task,))
            previous = None if current is None else await conn.fetch_value(
                "SELECT version FROM model_versions WHERE task = ? AND id < ?"
                " AND status = 'retired' ORDER BY id DESC LIMIT 1", (task, current))
            if previous is None:
                return None
            await _retire_production(conn, task)
            await conn.execute("UPDATE model_versions SET status = 'production'"
                               " WHERE task = ? AND version = ?", (task, previous))
            await conn.notify(MODELS_CHANNEL, task)
            return await _model_version(conn, task, previous)

        return await self._db.write(update)

    async def production_models(self) -> list[ModelVersion]:
        """Every task's production version: one cheap query, for processes that poll."""

        async def select(conn: Connection) -> list[Row]:
            return await conn.fetch_all(
                "SELECT * FROM model_versions WHERE status = 'production' ORDER BY task")

        return [_model_version_record(row) for row in await self._db.read(select)]

    async def model_weights(self, sha256: str) -> bytes | None:
        """A registered checkpoint's bytes; None where the registry holds none (a version
        registered before v11, whose file only its own machine has)."""

        async def select(conn: Connection) -> Any:
            return await conn.fetch_value("SELECT bytes FROM model_blobs WHERE sha256 = ?",
                                          (sha256,))

        weights = await self._db.read(select)
        return None if weights is None else bytes(weights)

    async def listen_models(self, heard: Callable[[str], None]) -> Listener | None:
        """Call `heard(task)` whenever a task's production version moves, and `heard("")`
        if the listening connection is lost, where the backend announces (PostgreSQL);
        None where it does not (SQLite: poll production_models)."""
        return await self._db.listen(MODELS_CHANNEL, heard)

    async def model_versions(self, task: str) -> list[ModelVersion]:
        """All registered versions of a task, oldest first."""
        check_task(task)

        async def select(conn: Connection) -> list[ModelVersion]:
            rows = await conn.fetch_all(
                "SELECT * FROM model_versions WHERE task = ? ORDER BY id", (task,)
            )
            return [_model_version_record(row) for row in rows]

        return await self._db.read(select)

    async def production_version(self, task: str) -> ModelVersion | None:
        check_task(task)

        async def select(conn: Connection) -> Row | None:
            return await conn.fetch_one(
                "SELECT * FROM model_versions WHERE task = ? AND status = 'production'",
                (task,),
            )

        row = await self._db.read(select)
        return None if row is None else _model_version_record(row)

    # privacy and retention

    async def forget_user(self, user_id: int) -> dict[str, int]:
        """Erase a user's votes, predictions (with everyone's votes on them), /teach history
        and command budget, leaving no readable copy in the database's files.

        An admin's decision to ignore the user is kept: it is moderation data, not the user's
        contribution, and erasing it would let an adversary lift their own ban.
        """
        user_hash = self._hash(user_id)

        async def delete(conn: Connection) -> tuple[dict[str, int], int]:
            votes = await conn.execute("DELETE FROM votes WHERE voter_hash = ?", (user_hash,))
            cascaded = await conn.fetch_value(
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
            budget = await conn.execute("DELETE FROM cooldowns WHERE user_hash = ?", (user_hash,))
            return {
                "votes": votes,
                "predictions": predictions,
                "votes_on_their_predictions": cascaded,
                "teach_shown": shown,
            }, budget

        counts, budget = await self._db.write(delete)
        if budget or any(counts.values()):
            await self._db.after_erasure(ERASED_TABLES)
        return counts

    async def purge_unvoted(self, older_than_days: float) -> int:
        """Retention: delete predictions nobody voted on that are older than the given age,
        and /teach's record of who was shown what and command budgets, past the same age."""
        if not 0 <= older_than_days <= MAX_RETENTION_DAYS:  # also refuses nan
            raise ValueError(f"older_than_days must be from 0 to {MAX_RETENTION_DAYS}")
        cutoff = to_db(self._clock() - timedelta(days=older_than_days))

        async def delete(conn: Connection) -> int:
            purged = await conn.execute(
                """
                DELETE FROM predictions
                WHERE created_at < ?
                  AND NOT EXISTS (SELECT 1 FROM votes v WHERE v.prediction_id = predictions.id)
                """,
                (cutoff,),
            )
            await conn.execute("DELETE FROM teach_shown WHERE shown_at < ?", (cutoff,))
            await conn.execute("DELETE FROM cooldowns WHERE window_start < ?", (cutoff,))
            return purged

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


async def _require_prediction(conn: Connection, pred_id: int) -> str:
    top_label = await conn.fetch_value("SELECT label FROM predictions WHERE id = ?", (pred_id,))
    if top_label is None:
        raise UnknownPrediction(f"no prediction with id {pred_id}")
    return str(top_label)


async def _poll(conn: Connection, pred_id: int) -> tuple[Poll, float]:
    """The answer's ballots, and the probability the model gave its label."""
    top_label = await _require_prediction(conn, pred_id)
    polls = await consensus.load_polls(conn, prediction_id=pred_id)
    top = json.loads(await conn.fetch_value("SELECT top_json FROM predictions WHERE id = ?",
                                            (pred_id,)))
    return (polls[0] if polls else Poll(pred_id, top_label, [])), float(top[0][1]) if top else 0.0


async def _retire_production(conn: Connection, task: str) -> None:
    await conn.execute(
        "UPDATE model_versions SET status = 'retired' WHERE task = ? AND status = 'production'",
        (task,),
    )


async def _model_version(conn: Connection, task: str, version: str) -> ModelVersion:
    row = await conn.fetch_one(
        "SELECT * FROM model_versions WHERE task = ? AND version = ?", (task, version)
    )
    if row is None:
        raise UnknownModelVersion(f"no {task} model version {version!r}")
    return _model_version_record(row)


def _model_version_record(row: Row) -> ModelVersion:
    return ModelVersion(
        task=row["task"],
        version=row["version"],
        path=row["path"],
        checksum=row["checksum"],
        metrics=json.loads(row["metrics_json"]),
        status=row["status"],
        created_at=from_db(row["created_at"]),
    )
