"""Who the learning loop trusts: voter reliability, tight voting groups, and the consensus
they decide, as pure functions over ballots (the loader at the end only gathers them).

Items are inputs, not answers: every prediction of one task whose text reads alike (`key`)
is one item, and a voter's latest vote on any of them is their ballot for it.

Trust is a one-coin Dawid–Skene estimate with a Beta prior (MAP EM): a voter's weight is
their estimated probability of giving the true label, (prior_agree + matches) /
(prior_agree + prior_disagree + evaluated), so a new account starts at 0.25. A vote is
evaluated only against a reference the voter did not make themselves: a moderator's label,
or the uncontested consensus of the *other* voters (those in the voter's circle left out
too; one other voter is enough if trusted at `reference_support`), and only on items the
voter neither asked nor voted on first (so no one earns trust by setting an agenda others
follow). References depend on trust, so the two are iterated to a fixpoint.

Circles and groups: two voters are linked when they share at least `group_min_items` items,
agree on at least `group_agreement` of them, and vote on mostly the same items
(`group_overlap` of the items of the less active one), or meet `group_lift` times more often
than chance would have them meet and contradict a confident model or a moderator together on
`group_suspicion` of their shared items (accounts that vote apart to earn trust, then raid
together). A circle is a connected set of links;
its members never earn trust from each other. A circle is a flagged group when, on a
`group_suspicion` share of its shared items, it contradicts a confident model or a moderator
(plain voters opposing it are no signal: a troll opposing everything would flag the honest),
unless a moderator agreed with it on `group_min_items` of its items and never overruled it.
On one item a flagged group counts as one voter (its most trusted member's weight), so what
it alone votes for never has the `min_agree` independent voters it needs.

Decision per item (quarantined voters left out): moderators decide alone (disagreeing
moderators: nothing); otherwise the label with the most trusted support wins if it is
unique, backed by `min_agree` independent voters and strictly more than `min_share` of the
support; a correction of an answer the model gave with probability >= `confident` also needs
`confident_support` (e.g. six new accounts, or two established voters).
"""

import hashlib
import itertools
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from db.connection import Connection, Row
from db.records import CONFIRMED


@dataclass(frozen=True)
class TrustRule:
    # A label without a moderator needs this many voters behind it, and more than this share
    # of the item's votes (the consensus rule of db.consensus).
    min_agree: int = 2
    min_share: float = 0.5
    # Beta prior on a voter's accuracy: (1 + matches) / (4 + evaluated) starts a new account
    # at 0.25, so trust is earned on references, never assumed.
    prior_agree: float = 1.0
    prior_disagree: float = 3.0
    # Correcting an answer the model gave at `confident` or more takes this much trusted
    # support: six new accounts, or two voters who earned it.
    confident: float = 0.9
    confident_support: float = 1.5
    # One other voter trusted this much makes an uncontested item a reference.
    reference_support: float = 0.5
    # Two voters are linked after `group_min_items` shared items on which they agree at
    # `group_agreement`, when the shared items are `group_overlap` of the less active one's,
    # or when they meet `group_lift` times more often than chance and `group_suspicion` of
    # their shared items contradict a confident model or a moderator.
    group_min_items: int = 5
    group_agreement: float = 0.9
    group_overlap: float = 0.8
    group_suspicion: float = 0.25
    group_lift: float = 3.0
    iterations: int = 6  # hard references can flip back and forth; 6 rounds settle them

    def __post_init__(self) -> None:
        if self.min_agree < 1:
            raise ValueError("min_agree must be at least 1")
        if not 0 <= self.min_share < 1:
            raise ValueError("min_share must be in [0, 1)")
        if self.prior_agree <= 0 or self.prior_disagree <= 0:
            raise ValueError("the trust prior needs positive pseudo-counts")

    @property
    def new_trust(self) -> float:
        return self.prior_agree / (self.prior_agree + self.prior_disagree)


@dataclass(frozen=True)
class Vote:
    """One ballot on one prediction, with what the trust estimate needs to know about it."""

    prediction_id: int
    voter_hash: str
    label: str  # as stored: CONFIRMED means the prediction's own label
    is_moderator: bool = False
    quarantined: bool = False
    order: int = 0  # when it was first cast, for "first to vote"; ties: lower first
    updated: str = ""  # when it was last changed: a voter's latest vote on an input counts


@dataclass(frozen=True)
class Answer:
    """One logged prediction: the model's label, its probability, and who asked."""

    id: int
    task: str
    key: str
    label: str
    confidence: float
    author_hash: str | None = None


@dataclass(frozen=True)
class Item:
    """Every answer of one task that reads alike, with each voter's latest ballot on them."""

    task: str
    key: str
    answers: tuple[Answer, ...]
    ballots: dict[str, tuple[str, bool]]  # voter -> (effective label, is_moderator)
    first_voter: str
    askers: frozenset[str]
    quarantined: frozenset[str]
    last_vote: str = ""

    @property
    def latest(self) -> Answer:
        return max(self.answers, key=lambda a: a.id)

    def contradicts_confident(self, label: str, rule: TrustRule) -> bool:
        return any(a.label != label and a.confidence >= rule.confident for a in self.answers)

    def counted(self) -> dict[str, tuple[str, bool]]:
        return {v: b for v, b in self.ballots.items() if v not in self.quarantined}


@dataclass(frozen=True)
class Group:
    group_id: str
    members: tuple[str, ...]
    items: int  # items two or more of them voted on together
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Verdict:
    label: str
    by_moderator: bool
    supporters: tuple[str, ...]
    group: str  # the flagged group among the supporters ("" when none)


@dataclass
class Estimate:
    """Trust per voter, flagged groups, and how often each voter was evaluated."""

    trust: dict[str, float]
    evaluated: Counter[str]
    groups: list[Group]
    group_of: dict[str, str] = field(default_factory=dict)


def build_items(answers: Iterable[Answer], votes: Iterable[Vote]) -> list[Item]:
    """Pool answers of one task by key; a voter's ballot is their latest vote on the pool."""
    by_id = {a.id: a for a in answers}
    pools: dict[tuple[str, str], list[Answer]] = defaultdict(list)
    for answer in by_id.values():
        pools[(answer.task, answer.key)].append(answer)
    votes_of: dict[tuple[str, str], list[Vote]] = defaultdict(list)
    for vote in votes:
        answer = by_id[vote.prediction_id]
        votes_of[(answer.task, answer.key)].append(vote)
    items = []
    for where, pooled in votes_of.items():
        pooled.sort(key=lambda v: (v.order, v.prediction_id))
        ballots: dict[str, tuple[str, bool]] = {}
        latest: dict[str, tuple[str, int]] = {}
        for vote in pooled:
            answer = by_id[vote.prediction_id]
            label = answer.label if vote.label == CONFIRMED else vote.label
            stamp = (vote.updated, vote.order)
            if vote.voter_hash not in latest or stamp > latest[vote.voter_hash]:
                latest[vote.voter_hash] = stamp
                ballots[vote.voter_hash] = (label, vote.is_moderator)
        items.append(Item(
            task=where[0], key=where[1], answers=tuple(sorted(pools[where], key=lambda a: a.id)),
            ballots=ballots, first_voter=pooled[0].voter_hash,
            askers=frozenset(a.author_hash for a in pools[where] if a.author_hash),
            quarantined=frozenset(v.voter_hash for v in pooled if v.quarantined),
            last_vote=max(v.updated for v in pooled)))
    return sorted(items, key=lambda i: (i.task, i.latest.id))


# ---------------------------------------------------------------- tight groups


def circles(items: Sequence[Item], rule: TrustRule) -> list[frozenset[str]]:
    """Connected sets of voters who keep voting together (flagged or not): they never earn
    trust from each other."""
    voted: Counter[str] = Counter()
    together: Counter[tuple[str, str]] = Counter()
    agreed: Counter[tuple[str, str]] = Counter()
    suspicious: Counter[tuple[str, str]] = Counter()
    for item in items:
        plain = {v: label for v, (label, mod) in item.ballots.items() if not mod}
        voted.update(plain.keys())
        # once per label, not per pair: a popular item has many voters and many answers
        flagged = {label: _suspicious(item, label, rule) for label in set(plain.values())}
        for u, v in itertools.combinations(sorted(plain), 2):
            together[(u, v)] += 1
            if plain[u] == plain[v]:
                agreed[(u, v)] += 1
                suspicious[(u, v)] += flagged[plain[u]]
    links: dict[str, set[str]] = defaultdict(set)
    for (u, v), shared in together.items():
        if shared < rule.group_min_items or agreed[(u, v)] < rule.group_agreement * shared:
            continue
        lift = shared * len(items) / (voted[u] * voted[v])  # 1: they meet by chance
        if (shared >= rule.group_overlap * min(voted[u], voted[v])
                or (lift >= rule.group_lift
                    and suspicious[(u, v)] >= rule.group_suspicion * shared)):
            links[u].add(v)
            links[v].add(u)
    found = []
    seen: set[str] = set()
    for start in sorted(links):
        if start in seen:
            continue
        members, frontier = set(), [start]
        while frontier:
            voter = frontier.pop()
            if voter not in members:
                members.add(voter)
                frontier.extend(links[voter] - members)
        seen |= members
        found.append(frozenset(members))
    return found


def find_groups(items: Sequence[Item], rule: TrustRule,
                linked: Sequence[frozenset[str]] | None = None) -> list[Group]:
    """The circles whose shared items show a suspicion signal, flagged with why."""
    groups = []
    for members in circles(items, rule) if linked is None else linked:
        reasons, shared = _group_reasons(items, set(members), rule)
        if reasons:
            groups.append(Group(group_id(members), tuple(sorted(members)), shared, reasons))
    return groups


GROUP_ID = re.compile(r"g-[0-9a-f]{10}")


def group_id(members: Iterable[str]) -> str:
    """Stable for the same members, short enough to type: g-<10 hex>."""
    digest = hashlib.sha256("\n".join(sorted(members)).encode()).hexdigest()
    return f"g-{digest[:10]}"


def _suspicious(item: Item, label: str, rule: TrustRule) -> bool:
    """The label contradicts a confident model or a moderator."""
    overruled = any(mod and other != label for other, mod in item.ballots.values())
    return overruled or item.contradicts_confident(label, rule)


def _group_reasons(items: Sequence[Item], members: set[str],
                   rule: TrustRule) -> tuple[tuple[str, ...], int]:
    """Why a circle is flagged (nothing: it is not). A circle a moderator agreed with on
    `group_min_items` of its items and never overruled is vouched for: a small server whose
    members all vote on everything, correcting a confidently wrong model, is no attack."""
    shared = only = against_model = overruled = vouched = 0
    for item in items:
        inside = {v: label for v, (label, mod) in item.ballots.items()
                  if v in members and not mod}
        if len(inside) < 2:
            continue
        shared += 1
        label = Counter(inside.values()).most_common(1)[0][0]
        outside = [(other, mod) for v, (other, mod) in item.ballots.items() if v not in members]
        only += not outside
        overruled += any(mod and other != label for other, mod in outside)
        vouched += any(mod and other == label for other, mod in outside)
        against_model += item.contradicts_confident(label, rule)
    if (not shared or against_model + overruled < rule.group_suspicion * shared
            or (not overruled and vouched >= rule.group_min_items)):
        return (), shared
    reasons = [f"{len(members)} voters voted together on {shared} items"]
    if only:
        reasons.append(f"{only} items voted only by them")
    if against_model:
        reasons.append(f"{against_model} contradict a model at least "
                       f"{rule.confident:.0%} sure")
    if overruled:
        reasons.append(f"{overruled} overruled by a moderator")
    return tuple(reasons), shared


# ---------------------------------------------------------------- trust and decisions


def decide(item: Item, trust: dict[str, float], group_of: dict[str, str],
           rule: TrustRule, *, leave_out: frozenset[str] = frozenset()) -> Verdict | None:
    """The label with the most trusted support, if it is clearly supported (see module doc)."""
    ballots = {v: b for v, b in item.counted().items() if v not in leave_out}
    found = _winner(item, ballots, trust, group_of, rule, reference=False)
    return None if found is None else _verdict(*found, ballots, group_of)


def _winner(item: Item, ballots: dict[str, tuple[str, bool]], trust: dict[str, float],
            group_of: dict[str, str], rule: TrustRule, *,
            reference: bool) -> tuple[str, bool] | None:
    """(label, by a moderator) of `decide`. As a `reference` for checking votes, one voter
    trusted at `reference_support` or more is enough where `min_agree` would be needed."""
    moderators = {label for label, mod in ballots.values() if mod}
    if moderators:
        return (moderators.pop(), True) if len(moderators) == 1 else None
    new = rule.new_trust
    units: dict[str, dict[str, float]] = defaultdict(dict)  # label -> unit -> weight
    for voter, (label, _) in ballots.items():
        unit = group_of.get(voter) or voter
        units[label][unit] = max(units[label].get(unit, 0.0), trust.get(voter, new))
    support = {label: sum(weights.values()) for label, weights in units.items()}
    if not support:
        return None
    label = max(support, key=support.__getitem__)
    best = support[label]
    if any(other != label and value > best - 1e-9 for other, value in support.items()):
        return None  # a tie
    lone = reference and best >= rule.reference_support - 1e-9
    if ((len(units[label]) < rule.min_agree and not lone)
            or best <= rule.min_share * sum(support.values())):
        return None
    if best < rule.confident_support - 1e-9 and item.contradicts_confident(label, rule):
        return None
    return label, False


def _verdict(label: str, by_moderator: bool, ballots: dict[str, tuple[str, bool]],
             group_of: dict[str, str]) -> Verdict:
    supporters = tuple(sorted(v for v, (other, _) in ballots.items() if other == label))
    groups = Counter(group_of[v] for v in supporters if v in group_of)
    return Verdict(label, by_moderator, supporters,
                   groups.most_common(1)[0][0] if groups else "")


def estimate(items: Sequence[Item], rule: TrustRule) -> Estimate:
    """Groups first (they do not depend on trust), then trust by EM to a fixpoint."""
    linked = circles(items, rule)
    groups = find_groups(items, rule, linked)
    group_of = {member: g.group_id for g in groups for member in g.members}
    circle_of = {member: circle for circle in linked for member in circle}
    voters = {v for item in items for v in item.counted()}
    trust = {v: rule.new_trust for v in voters}
    evaluated: Counter[str] = Counter()
    matched: Counter[str] = Counter()
    for _ in range(rule.iterations):
        evaluated, matched = Counter(), Counter()
        for item in items:
            ballots = item.counted()
            full = _winner(item, ballots, trust, group_of, rule, reference=True)
            if full is None:
                continue  # a contested item is no reference for anyone
            for voter, (label, mod) in ballots.items():
                if mod or voter == item.first_voter or voter in item.askers:
                    continue
                own = circle_of.get(voter, frozenset()) | {voter}
                others = {v: b for v, b in ballots.items() if v not in own}
                reference = _winner(item, others, trust, group_of, rule, reference=True)
                if reference is None or reference[0] != full[0]:
                    continue  # no consensus without them
                evaluated[voter] += 1
                matched[voter] += reference[0] == label
        updated = {v: (rule.prior_agree + matched[v])
                   / (rule.prior_agree + rule.prior_disagree + evaluated[v]) for v in voters}
        if all(abs(updated[v] - trust[v]) < 1e-3 for v in voters):  # shown to 2 decimals
            trust = updated
            break
        trust = updated
    return Estimate(trust, evaluated, groups, group_of)


def agreed(items: Sequence[Item], rule: TrustRule,
           estimated: Estimate | None = None) -> list[tuple[Item, Verdict]]:
    """Every item with a verdict, in the order of their latest answer."""
    est = estimated or estimate(items, rule)
    decided = ((item, decide(item, est.trust, est.group_of, rule)) for item in items)
    return [(item, verdict) for item, verdict in decided if verdict is not None]


def fold(text: str) -> str:
    """Default key: case and spacing folded."""
    return " ".join(text.casefold().split())


async def load_items(conn: Connection, *, task: str | None = None,
                     key: Callable[[str], str] | None = None) -> tuple[list[Item], dict[int, Row]]:
    """Every voted answer of every task (trust is earned on all of them), pooled by key:
    `key` for `task`'s answers, `fold` for the others. Also returns the answers' rows."""
    rows = await conn.fetch_all(
        """
        SELECT p.*, v.id AS vote_id, v.voter_hash, v.label AS vote_label, v.is_moderator,
               v.updated_at AS vote_updated_at, i.voter_hash IS NOT NULL AS quarantined
        FROM votes v
        JOIN predictions p ON p.id = v.prediction_id
        LEFT JOIN ignored_voters i ON i.voter_hash = v.voter_hash
        ORDER BY v.created_at, v.id
        """)
    answers: dict[int, Answer] = {}
    votes = []
    by_id: dict[int, Row] = {}
    for order, row in enumerate(rows):
        pid = row["id"]
        if pid not in answers:
            top = json.loads(row["top_json"])
            reads = key if key is not None and row["task"] == task else fold
            answers[pid] = Answer(pid, row["task"], reads(row["normalized"]), row["label"],
                                  float(top[0][1]) if top else 0.0, row["author_hash"])
            by_id[pid] = row
        votes.append(Vote(pid, row["voter_hash"], row["vote_label"], bool(row["is_moderator"]),
                          bool(row["quarantined"]), order,
                          row["vote_updated_at"]))
    return build_items(answers.values(), votes), by_id
