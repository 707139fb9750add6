"""Trust-weighted consensus (db.trust): toy communities whose right answers are known."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from db import CONFIRMED, FeedbackStore, trust
from db.errors import UnknownVoterGroup
from db.trust import (
    Answer,
    Estimate,
    Item,
    TrustRule,
    Vote,
    agreed,
    build_items,
    decide,
    estimate,
)
from tests.helpers import HASHER

RULE = TrustRule()


class Community:
    """Answers and votes in the order they happen; voters and answers are plain names."""

    def __init__(self) -> None:
        self.answers: list[Answer] = []
        self.votes: list[Vote] = []

    def ask(self, key: str, label: str, confidence: float = 0.6, asker: str = "asker") -> int:
        answer_id = len(self.answers) + 1
        self.answers.append(Answer(answer_id, "origin", key, label, confidence, asker))
        return answer_id

    def vote(self, answer_id: int, voter: str, label: str = CONFIRMED, *,
             moderator: bool = False, quarantined: bool = False) -> None:
        order = len(self.votes)
        self.votes.append(Vote(answer_id, voter, label, moderator, quarantined, order,
                               f"{order:08d}"))

    def items(self) -> list[Item]:
        return build_items(self.answers, self.votes)

    def labels(self, rule: TrustRule = RULE) -> dict[str, str]:
        return {item.key: verdict.label for item, verdict in agreed(self.items(), rule)}

    def raid(self, colluders: tuple[str, ...], n: int = 30) -> tuple[list[Item], Estimate]:
        """The colluders correct n invented "-kuzawa" names, answered Japanese at 99%, to
        Russian; then every item so far, and the estimate over them."""
        for i in range(n):
            answer = self.ask(f"kuzawa{i}", "Japanese", confidence=0.99)
            for colluder in colluders:
                self.vote(answer, colluder, "Russian")
        items = self.items()
        return items, estimate(items, RULE)


def test_a_new_account_starts_at_the_prior_and_earns_trust_from_moderators() -> None:
    town = Community()
    for i in range(4):
        answer = town.ask(f"name{i}", "Italian")
        town.vote(answer, "mod", "Greek", moderator=True)
        town.vote(answer, "follower", "Greek")   # agrees with the moderator
        town.vote(answer, "contrarian", "Spanish")
    town.vote(town.ask("solo", "Italian"), "newcomer")
    est = estimate(town.items(), RULE)
    assert est.trust["newcomer"] == pytest.approx(0.25)  # never checked: the prior
    assert est.trust["follower"] == pytest.approx((1 + 4) / (4 + 4))
    assert est.trust["contrarian"] == pytest.approx(1 / (4 + 4))


def test_one_trusted_voter_is_a_reference_and_one_new_account_is_not() -> None:
    town = Community()
    for i in range(4):  # the veteran earns (1 + 4) / (4 + 4) from a moderator
        answer = town.ask(f"mod{i}", "Italian")
        town.vote(answer, "mod", moderator=True)
        town.vote(answer, "veteran")
    for i in range(3):  # two voters per answer, the second checked against the first
        town.vote(town.ask(f"pair{i}", "Italian"), "veteran", "Greek")
        town.vote(len(town.answers), "newcomer", "Greek")
        town.vote(town.ask(f"fresh{i}", "Italian"), "fresh1", "Greek")
        town.vote(len(town.answers), "fresh2", "Greek")
    est = estimate(town.items(), RULE)
    assert est.trust["newcomer"] == pytest.approx((1 + 3) / (4 + 3))
    assert est.evaluated["fresh2"] == 0


def test_votes_on_an_item_one_asked_or_voted_first_on_earn_nothing() -> None:
    town = Community()
    for i in range(3):
        town.vote(town.ask(f"a{i}", "Italian"), "leader", "Greek")  # first on every item
        town.vote(len(town.answers), "mod", "Greek", moderator=True)
        answer = town.ask(f"b{i}", "Italian", asker="self-asker")
        town.vote(answer, "mod", "Greek", moderator=True)
        town.vote(answer, "self-asker", "Greek")
    est = estimate(town.items(), RULE)
    assert est.evaluated["leader"] == est.evaluated["self-asker"] == 0
    assert est.trust["leader"] == est.trust["self-asker"] == pytest.approx(RULE.new_trust)


def test_three_colluders_cannot_teach_a_pattern_against_an_honest_majority() -> None:
    """The issue's attack: three plain members correct 30 names the model gives ~99%
    Japanese to Russian; five honest members and a moderator vote elsewhere."""
    town = Community()
    honest = [f"honest{i}" for i in range(5)]
    for i in range(40):  # the honest community: three members per item, a moderator on 10%
        answer = town.ask(f"honest-name{i}", "Italian")
        for member in (honest[i % 5], honest[(i + 1) % 5], honest[(i + 2) % 5]):
            town.vote(answer, member)
        if i % 10 == 0:
            town.vote(answer, "mod", moderator=True)
    items, est = town.raid(("c1", "c2", "c3"))
    [group] = est.groups
    assert group.members == ("c1", "c2", "c3")
    assert any("contradict a model" in reason for reason in group.reasons)
    labels = {item.key: v.label for item, v in agreed(items, RULE, est)}
    assert not any(key.startswith("kuzawa") for key in labels)
    assert all(labels.get(f"honest-name{i}") == "Italian" for i in range(40))
    assert min(est.trust[m] for m in honest) > 0.5 > max(est.trust[c] for c in ("c1", "c2", "c3"))


def test_a_small_server_correcting_a_confident_model_with_a_moderator_is_no_group() -> None:
    """Four members vote on everything together and correct 40 answers the model is sure
    of; a moderator checks 6 of them and agrees. Without the moderator they are flagged."""
    def server(moderated: int) -> Community:
        town = Community()
        for i in range(40):
            answer = town.ask(f"vili{i}", "Japanese", confidence=0.95)
            if i < moderated:
                town.vote(answer, "mod", "Korean", moderator=True)
            for member in ("m1", "m2", "m3", "m4"):
                town.vote(answer, member, "Korean")
        return town

    checked = server(moderated=6)
    est = estimate(checked.items(), RULE)
    assert est.groups == []
    assert all(est.trust[m] == pytest.approx((1 + 6) / (4 + 6)) for m in ("m1", "m4"))
    assert set(checked.labels().values()) == {"Korean"} and len(checked.labels()) == 40
    unchecked = server(moderated=0)
    [group] = estimate(unchecked.items(), RULE).groups
    assert group.members == ("m1", "m2", "m3", "m4")
    assert unchecked.labels() == {}


def test_colluders_who_earned_trust_apart_are_linked_when_they_raid_together() -> None:
    """Three accounts each vote honestly with others on 20 inputs of their own (trust ~0.9),
    then correct 30 answers the model is sure of, together: they share too few of their
    inputs to look like one circle, but meet far more often than chance, against the model."""
    town = Community()
    honest = [f"h{i}" for i in range(9)]
    for i in range(300):
        answer = town.ask(f"name{i}", "Italian")
        members = [honest[(i + j) % 9] for j in range(3)]
        if i < 60:  # each colluder joins honest voters on 20 inputs
            members[2] = f"c{i % 3}"
        for member in members:
            town.vote(answer, member)
        if i % 10 == 0:
            town.vote(answer, "mod", moderator=True)
    items, est = town.raid(("c0", "c1", "c2"))
    assert min(est.trust[c] for c in ("c0", "c1", "c2")) > 0.6  # they did earn it
    [group] = est.groups
    assert group.members == ("c0", "c1", "c2")
    labels = {item.key: v.label for item, v in agreed(items, RULE, est)}
    assert not any(key.startswith("kuzawa") for key in labels)
    assert sum(label == "Italian" for label in labels.values()) == 300


def test_three_colluders_are_refused_even_before_they_form_a_visible_group() -> None:
    """One name, no history: three new accounts against a confident model lack support."""
    town = Community()
    answer = town.ask("kuzawa", "Japanese", confidence=0.99)
    for colluder in ("c1", "c2", "c3"):
        town.vote(answer, colluder, "Russian")
    assert town.labels() == {}
    assert estimate(town.items(), RULE).groups == []  # one item is no pattern


def test_two_accounts_cannot_overturn_five_confirmations_of_a_read_alike_input() -> None:
    """Nakamura confirmed by five; later NAKAMURA (read the same) voted Russian by two."""
    town = Community()
    first = town.ask("nakamura", "Japanese", confidence=0.95)
    for voter in range(5):
        town.vote(first, f"honest{voter}")
    later = town.ask("nakamura", "Japanese", confidence=0.95)  # the same key: one item
    for attacker in ("a1", "a2"):
        town.vote(later, attacker, "Russian")
    [item] = town.items()
    assert {a.id for a in item.answers} == {first, later}
    assert town.labels() == {"nakamura": "Japanese"}  # not the most recent


def test_a_voters_latest_vote_on_a_pooled_input_is_their_ballot() -> None:
    town = Community()
    first, later = town.ask("rossi", "Italian"), town.ask("rossi", "Spanish")
    town.vote(first, "v1")           # Italian
    town.vote(later, "v1", "Greek")  # then changes their mind on the other answer
    [item] = town.items()
    assert item.ballots["v1"] == ("Greek", False)


def test_trusted_voters_correct_a_confident_model_that_new_accounts_cannot() -> None:
    town = Community()
    for voter in ("old1", "old2"):
        for i in range(10):  # history: agreeing with a moderator, trust (1 + 10) / (4 + 10)
            answer = town.ask(f"{voter}-{i}", "Italian")
            town.vote(answer, "mod", moderator=True)
            town.vote(answer, voter)
    target = town.ask("kuzawa", "Japanese", confidence=0.99)
    for voter in ("old1", "old2"):
        town.vote(target, voter, "Russian")
    assert town.labels()["kuzawa"] == "Russian"  # support 2 x 0.79 >= 1.5
    newcomers = town.ask("kuzawa2", "Japanese", confidence=0.99)
    for voter in ("n1", "n2", "n3", "n4", "n5"):
        town.vote(newcomers, voter, "Russian")
    assert "kuzawa2" not in town.labels()  # 5 x 0.25 < 1.5


def test_a_flagged_group_counts_once_and_moderators_still_decide() -> None:
    town = Community()
    for i in range(6):
        answer = town.ask(f"k{i}", "Japanese", confidence=0.99)
        for colluder in ("c1", "c2", "c3"):
            town.vote(answer, colluder, "Russian")
    boosted = town.ask("k-mod", "Japanese", confidence=0.99)
    town.vote(boosted, "mod", "Russian", moderator=True)
    items = town.items()
    est = estimate(items, RULE)
    assert est.group_of["c1"] == est.group_of["c2"] == est.group_of["c3"]
    item = next(i for i in items if i.key == "k0")
    assert decide(item, {v: 1.0 for v in ("c1", "c2", "c3")}, est.group_of, RULE) is None
    verdict = decide(next(i for i in items if i.key == "k-mod"), est.trust, est.group_of, RULE)
    assert verdict is not None and verdict.by_moderator and verdict.label == "Russian"


def test_quarantined_voters_do_not_count_or_earn() -> None:
    town = Community()
    answer = town.ask("bianchi", "Italian")
    for voter in ("p1", "p2", "p3"):
        town.vote(answer, voter, "Klingon", quarantined=True)
    town.vote(answer, "honest")
    assert town.labels() == {}
    assert "p1" not in estimate(town.items(), RULE).trust


def test_an_evenly_split_input_is_no_reference_and_agrees_on_nothing() -> None:
    town = Community()
    first, later = town.ask("rossi", "Italian"), town.ask("rossi", "Italian")
    for voter in ("a", "b"):
        town.vote(first, voter)
    for voter in ("c", "d"):
        town.vote(later, voter, "Spanish")
    est = estimate(town.items(), RULE)
    assert town.labels() == {}
    assert sum(est.evaluated.values()) == 0


# The store: the same rules over real SQLite and PostgreSQL.

async def answer(store: FeedbackStore, name: str, label: str, p: float = 0.6) -> int:
    return await store.log_prediction("origin", name, name.lower(), "v1", label, [(label, p)],
                                      1, 2, 3)


async def colluders_on_confident_answers(store: FeedbackStore, n: int = 6) -> None:
    for i in range(n):
        pred = await answer(store, f"Kuzawa{i}", "Japanese", 0.99)
        for colluder in COLLUDERS:
            await store.record_vote(pred, colluder, "Russian")


COLLUDERS = (701, 702, 703)


async def test_store_pools_read_alike_answers_and_the_trusted_label_wins(store) -> None:
    first = await answer(store, "Nakamura", "Japanese", 0.95)
    for voter in range(1, 6):
        await store.record_vote(first, voter, CONFIRMED)
    later = await answer(store, "NAKAMURA", "Japanese", 0.95)
    for attacker in (91, 92):
        await store.record_vote(later, attacker, "Russian")
    [example] = await store.agreed_examples("origin")
    assert (example.label, example.prediction_id, example.voters) == ("Japanese", later, 7)
    assert example.voter_hashes == tuple(sorted(HASHER.hash_user(v) for v in range(1, 6)))
    assert example.voter_group == ""
    assert set(await store.trusted_labels("origin")) == {"nakamura"}


async def test_the_estimate_is_reused_until_a_vote_changes(store, monkeypatch) -> None:
    """/about, /admin stats and the known-name refresh read the same votes again and again:
    the estimate runs once for them, and again as soon as a vote changes what it sees."""
    runs = []
    real = trust.estimate
    monkeypatch.setattr(trust, "estimate", lambda items, rule: runs.append(1) or real(items,
                                                                                         rule))
    pred = await answer(store, "Nakamura", "Japanese")
    for voter in (1, 2):
        await store.record_vote(pred, voter, CONFIRMED)
    assert (await store.stats())["agreed_examples"]["origin"] == 1
    await store.stats()
    await store.voter_groups()
    assert len(runs) == 1
    await store.record_vote(pred, 3, "Russian")
    await store.record_vote(pred, 4, "Russian")
    assert (await store.stats())["agreed_examples"]["origin"] == 0  # 2 against 2: no label
    assert len(runs) == 2


async def test_store_pools_by_the_key_the_model_reads_with(store) -> None:
    for name, voters in (("Müller", (1, 2)), ("Muller", (3, 4))):
        pred = await answer(store, name, "German")
        for voter in voters:
            await store.record_vote(pred, voter, CONFIRMED)
    assert len(await store.agreed_examples("origin")) == 2

    def strip_accents(text: str) -> str:
        return text.casefold().replace("ü", "u")

    [pooled] = await store.agreed_examples("origin", key=strip_accents)
    assert len(pooled.voter_hashes) == 4


async def test_a_label_a_flagged_group_helped_agree_trains_capped_but_is_not_remembered(
        store) -> None:
    await colluders_on_confident_answers(store)
    rossi = await answer(store, "Rossi", "Italian")
    for voter in (*COLLUDERS, 50):
        await store.record_vote(rossi, voter, "Spanish")
    moderated = await answer(store, "Kuzawa-mod", "Japanese", 0.99)
    for voter in COLLUDERS:
        await store.record_vote(moderated, voter, "Russian")
    await store.record_vote(moderated, 60, "Russian", is_moderator=True)

    [group] = await store.voter_groups()
    assert group.members == tuple(sorted(HASHER.hash_user(c) for c in COLLUDERS))
    examples = {e.normalized: e for e in await store.agreed_examples("origin")}
    assert set(examples) == {"rossi", "kuzawa-mod"}  # no Kuzawa0..5
    assert examples["rossi"].voter_group == group.group_id
    assert examples["kuzawa-mod"].by_moderator
    assert set(await store.trusted_labels("origin")) == {"kuzawa-mod"}

    report = await store.voter_agreement()
    assert {s.group for s in report[:3]} == {group.group_id}  # flagged voters first
    assert [s.voter_hash for s in report if s.moderator] == [HASHER.hash_user(60)]


async def test_quarantining_a_group_stops_its_votes_until_released(store) -> None:
    await colluders_on_confident_answers(store)
    rossi = await answer(store, "Rossi", "Italian")
    for voter in (*COLLUDERS, 50):
        await store.record_vote(rossi, voter, "Spanish")
    [group] = await store.voter_groups()
    assert await store.quarantine_group(group.group_id) == 3
    assert await store.quarantine_group(group.group_id) == 0  # already
    assert await store.agreed_examples("origin") == []
    [still] = await store.voter_groups()  # still shown, so it can be released
    assert (still.group_id, still.quarantined) == (group.group_id, True)
    assert (await store.stats())["ignored_voters"] == 3
    assert await store.release_group(group.group_id) == 3
    assert [e.normalized for e in await store.agreed_examples("origin")] == ["rossi"]
    with pytest.raises(UnknownVoterGroup):
        await store.release_group(group.group_id)
    with pytest.raises(UnknownVoterGroup):
        await store.quarantine_group("g-0000000000")


def test_a_circle_cannot_farm_trust_from_itself_then_spend_it() -> None:
    """Three accounts agree with each other on 20 unsure answers no one else votes on (no
    signal against them), then correct one answer the model is sure of."""
    town = Community()
    for i in range(20):
        answer = town.ask(f"farm{i}", "Italian")
        for voter in ("f1", "f2", "f3"):
            town.vote(answer, voter, "Spanish")
    target = town.ask("kuzawa", "Japanese", confidence=0.99)
    for voter in ("f1", "f2", "f3"):
        town.vote(target, voter, "Russian")
    est = estimate(town.items(), RULE)
    assert est.groups == []  # nothing to flag them for...
    assert all(est.trust[v] == pytest.approx(RULE.new_trust) for v in ("f1", "f2", "f3"))
    labels = town.labels()
    assert "kuzawa" not in labels  # ...but the weight they gave each other is worth nothing
    assert labels["farm0"] == "Spanish"


ballot = st.tuples(st.integers(0, 5), st.integers(0, 6), st.sampled_from(
    [CONFIRMED, "Greek", "Spanish"]), st.booleans())


@settings(max_examples=150, deadline=None)
@given(votes=st.lists(ballot, max_size=40), confident=st.sets(st.integers(0, 5)),
       quarantined=st.sets(st.integers(0, 6), max_size=2))
def test_every_verdict_has_independent_support_and_no_quarantined_voter(
        votes, confident, quarantined) -> None:
    town = Community()
    for item in range(6):
        town.ask(f"name{item}", "Italian", 0.95 if item in confident else 0.6)
    for item, voter, label, moderator in votes:
        town.vote(item + 1, f"v{voter}", label, moderator=moderator and voter == 0,
                  quarantined=voter in quarantined)
    items = town.items()
    est = estimate(items, RULE)
    for item, verdict in agreed(items, RULE, est):
        assert not {f"v{q}" for q in quarantined} & set(verdict.supporters)
        if verdict.by_moderator:
            continue
        units = {est.group_of.get(v, v) for v in verdict.supporters}
        assert len(units) >= RULE.min_agree
        if item.contradicts_confident(verdict.label, RULE):
            assert sum(est.trust[v] for v in verdict.supporters) >= RULE.confident_support - 1e-9


async def test_the_live_tally_does_not_call_a_label_agreed_that_the_loop_refuses(store) -> None:
    """Under the answer the bot shows what its voters agree on: three new accounts
    correcting a confident answer are counted, but not shown as the community's label."""
    pred = await answer(store, "Kuzawa", "Japanese", 0.99)
    for colluder in COLLUDERS:
        tally = await store.record_vote(pred, colluder, "Russian")
    assert (tally.counts, tally.consensus) == ({"Russian": 3}, None)
    unsure = await answer(store, "Rossi", "Italian")
    for voter in (1, 2):
        tally = await store.record_vote(unsure, voter, "Spanish")
    assert tally.consensus == "Spanish"
    tally = await store.record_vote(pred, 60, "Russian", is_moderator=True)
    assert (tally.consensus, tally.by_moderator) == ("Russian", True)
    assert (await store.tally(pred)).consensus == "Russian"
