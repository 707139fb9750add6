"""One answer's ballots and their plain count, as the bot shows them after each vote.

What training and the known-input memory receive, and the label the bot calls agreed under an
answer, are decided by earned trust (db.trust; FeedbackStore._live_tally); this module counts
and holds the unweighted rule the trust rule weighs (its `min_agree` and `min_share` are the
store's for both). The rules are pure functions over ballots so they can be property-tested; the
query at the end only gathers ballots. By this rule a label is agreed when (quarantined
voters left out):
- a moderator voted: moderators decide alone; if moderators disagree, nothing is agreed;
- otherwise the most voted label is unique (ties are left out), has at least `min_agree` voters
  and strictly more than `min_share` of the votes.
With the defaults a single voter can never decide, and a group that is a minority on every item
can never push a label through, however often it votes.
"""

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from db.connection import Connection
from db.records import CONFIRMED, VoteTally


@dataclass(frozen=True)
class ConsensusRule:
    min_agree: int = 2
    min_share: float = 0.5

    def __post_init__(self) -> None:
        if self.min_agree < 1:
            raise ValueError("min_agree must be at least 1")
        if not 0 <= self.min_share < 1:
            raise ValueError("min_share must be in [0, 1)")


DEFAULT_RULE = ConsensusRule()


@dataclass(frozen=True)
class Ballot:
    voter_hash: str
    label: str
    is_moderator: bool = False
    ignored: bool = False


@dataclass(frozen=True)
class Poll:
    """All ballots cast on one prediction, with the label the model gave it."""

    prediction_id: int
    top_label: str
    ballots: Sequence[Ballot]


@dataclass(frozen=True)
class Consensus:
    label: str
    by_moderator: bool


def effective_label(label: str, top_label: str) -> str:
    return top_label if label == CONFIRMED else label


def counted(ballots: Iterable[Ballot]) -> list[Ballot]:
    return [ballot for ballot in ballots if not ballot.ignored]


def label_counts(ballots: Iterable[Ballot], top_label: str) -> Counter[str]:
    return Counter(effective_label(ballot.label, top_label) for ballot in counted(ballots))


def decide(
    ballots: Iterable[Ballot], top_label: str, rule: ConsensusRule = DEFAULT_RULE
) -> Consensus | None:
    voting = counted(ballots)
    moderator_labels = {
        effective_label(ballot.label, top_label) for ballot in voting if ballot.is_moderator
    }
    if moderator_labels:
        return Consensus(moderator_labels.pop(), True) if len(moderator_labels) == 1 else None
    ranked = label_counts(voting, top_label).most_common(2)
    if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
        return None
    label, votes = ranked[0]
    if votes < rule.min_agree or votes / len(voting) <= rule.min_share:
        return None
    return Consensus(label, False)


def tally(poll: Poll, rule: ConsensusRule = DEFAULT_RULE) -> VoteTally:
    counts = label_counts(poll.ballots, poll.top_label)
    verdict = decide(poll.ballots, poll.top_label, rule)
    return VoteTally(
        prediction_id=poll.prediction_id,
        top_label=poll.top_label,
        counts=dict(counts.most_common()),
        voters=counts.total(),
        said_right=counts[poll.top_label],
        consensus=verdict.label if verdict else None,
        by_moderator=verdict.by_moderator if verdict else False,
    )


async def load_polls(
    conn: Connection, *, task: str | None = None, prediction_id: int | None = None
) -> list[Poll]:
    """Gather the ballots of every voted prediction, optionally of one task or one prediction."""
    where, params = [], []
    if task is not None:
        where.append("p.task = ?")
        params.append(task)
    if prediction_id is not None:
        where.append("p.id = ?")
        params.append(prediction_id)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = await conn.fetch_all(
        f"""
        SELECT p.id, p.label AS top_label, v.voter_hash, v.label, v.is_moderator,
               i.voter_hash IS NOT NULL AS ignored
        FROM votes v
        JOIN predictions p ON p.id = v.prediction_id
        LEFT JOIN ignored_voters i ON i.voter_hash = v.voter_hash
        {clause}
        ORDER BY p.id, v.id
        """,
        params,
    )
    grouped: dict[int, tuple[str, list[Ballot]]] = {}
    for row in rows:
        _, ballots = grouped.setdefault(row["id"], (row["top_label"], []))
        ballots.append(
            Ballot(row["voter_hash"], row["label"], bool(row["is_moderator"]), bool(row["ignored"]))
        )
    return [Poll(pid, top, ballots) for pid, (top, ballots) in grouped.items()]
