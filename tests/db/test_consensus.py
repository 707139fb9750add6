"""Consensus rules: pure-function cases, adversary properties, and the store's reports."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from db import CONFIRMED, ConsensusRule, FeedbackStore
from db.consensus import Ballot, Consensus, decide
from tests.helpers import HASHER

TOP = "Italian"


def ballots(*labels: str, moderators: tuple[int, ...] = (), ignored: tuple[int, ...] = ()):
    return [
        Ballot(f"voter{i}", label, is_moderator=i in moderators, ignored=i in ignored)
        for i, label in enumerate(labels)
    ]


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ((), None),
        (("Greek",), None),  # one voter never decides
        (("Greek", "Greek"), "Greek"),
        ((CONFIRMED, TOP), TOP),  # 'confirmed' is a vote for the model's label
        (("Greek", "Spanish"), None),  # tie
        (("Greek", "Greek", "Spanish", "Spanish"), None),  # tie
        (("Greek", "Greek", "Spanish", "French"), None),  # 2/4 is not more than half
        (("Greek", "Greek", "Spanish"), "Greek"),
        ((CONFIRMED, CONFIRMED, "Greek", "Greek", TOP), TOP),
    ],
)
def test_majority_rule(labels: tuple[str, ...], expected: str | None) -> None:
    verdict = decide(ballots(*labels), TOP)
    assert (verdict.label if verdict else None) == expected


def test_thresholds_are_configurable() -> None:
    three = ConsensusRule(min_agree=3)
    assert decide(ballots("Greek", "Greek"), TOP, three) is None
    assert decide(ballots("Greek", "Greek", "Greek"), TOP, three) == Consensus("Greek", False)
    plurality = ConsensusRule(min_agree=2, min_share=0.3)
    assert decide(ballots("Greek", "Greek", "Spanish", "French"), TOP, plurality) is not None
    assert decide(ballots("Greek", "Greek", "Spanish", "Spanish"), TOP, plurality) is None


@pytest.mark.parametrize(("min_agree", "min_share"), [(0, 0.5), (2, 1.0), (2, -0.1)])
def test_rule_validation(min_agree: int, min_share: float) -> None:
    with pytest.raises(ValueError):
        ConsensusRule(min_agree, min_share)


def test_a_moderator_decides_alone() -> None:
    verdict = decide(ballots("Greek", "Spanish", "Spanish", "Spanish", moderators=(0,)), TOP)
    assert verdict == Consensus("Greek", True)
    assert decide(ballots(CONFIRMED, moderators=(0,)), TOP) == Consensus(TOP, True)


def test_disagreeing_moderators_decide_nothing() -> None:
    assert decide(ballots("Greek", "Spanish", "Greek", moderators=(0, 1)), TOP) is None


def test_ignored_voters_are_left_out() -> None:
    assert decide(ballots("Greek", "Greek", "Spanish", ignored=(1,)), TOP) is None
    assert decide(ballots("Greek", "Spanish", "Spanish", ignored=(0,)), TOP).label == "Spanish"
    ignored_moderator = ballots("Greek", "Spanish", "Spanish", moderators=(0,), ignored=(0,))
    assert decide(ignored_moderator, TOP) == Consensus("Spanish", False)


honest_labels = st.lists(st.sampled_from([TOP, CONFIRMED, "Greek", "Spanish"]), max_size=12)


@given(honest=honest_labels, adversaries=st.integers(0, 12), data=st.data())
def test_a_minority_can_never_push_its_label_through(honest, adversaries, data) -> None:
    adversaries = min(adversaries, len(honest))  # at most half of the voters
    votes = [*honest, *["Klingon"] * adversaries]
    shuffled = data.draw(st.permutations(votes))
    verdict = decide(ballots(*shuffled), TOP)
    assert verdict is None or verdict.label != "Klingon"


@given(labels=honest_labels, data=st.data())
def test_decision_ignores_ballot_order(labels, data) -> None:
    original = ballots(*labels)
    assert decide(data.draw(st.permutations(original)), TOP) == decide(original, TOP)


@given(
    labels=honest_labels,
    noise=st.lists(st.sampled_from(["Greek", "Klingon", CONFIRMED]), max_size=8),
    moderator=st.booleans(),
)
def test_ignored_ballots_never_matter(labels, noise, moderator) -> None:
    counted = ballots(*labels)
    extra = [Ballot(f"bad{i}", label, moderator, True) for i, label in enumerate(noise)]
    assert decide([*extra, *counted], TOP) == decide(counted, TOP)


@given(labels=honest_labels)
def test_an_agreed_label_has_enough_distinct_supporters(labels) -> None:
    verdict = decide(ballots(*labels), TOP)
    if verdict is not None:
        supporters = [
            label for label in labels if (TOP if label == CONFIRMED else label) == verdict.label
        ]
        assert len(supporters) >= 2
        assert len(supporters) * 2 > len(labels)


async def log(store: FeedbackStore, name: str, label: str = "Italian") -> int:
    return await store.log_prediction(
        "origin", name, name.lower(), "v1", label, [(label, 0.6)], 1, 2, 3
    )


async def test_adversaries_never_get_a_label_into_the_agreed_set(store: FeedbackStore) -> None:
    honest, troll, gang = range(100, 104), 666, (777, 778)
    for i in range(40):
        pred_id = await log(store, f"Rossi{i}")
        await store.record_vote(pred_id, troll, "Klingon")  # the lone troll votes on everything
        voters = honest[: 1 + i % 4]
        for voter in voters:
            await store.record_vote(pred_id, voter, CONFIRMED)
        # a coordinated pair joins only where it stays a minority
        if len(voters) >= 3:
            for member in gang:
                await store.record_vote(pred_id, member, "Vulcan")

    agreed = await store.agreed_examples("origin")
    assert agreed  # honest majorities do get through
    assert {example.label for example in agreed} == {"Italian"}

    report = {s.voter_hash: s for s in await store.voter_agreement("origin")}
    assert report[HASHER.hash_user(troll)].agreement == 0.0
    assert report[HASHER.hash_user(gang[0])].agreement == 0.0
    assert all(report[HASHER.hash_user(v)].agreement == 1.0 for v in honest)


async def test_ignoring_a_voter_removes_their_influence(store: FeedbackStore) -> None:
    pred_id = await log(store, "Bianchi")
    sock_puppets = (1, 2, 3)
    for voter in sock_puppets:
        await store.record_vote(pred_id, voter, "Klingon")
    await store.record_vote(pred_id, 4, CONFIRMED)
    assert (await store.tally(pred_id)).consensus == "Klingon"

    for voter in sock_puppets[:2]:
        assert await store.ignore_voter(voter)
    assert not await store.ignore_voter(1)  # already ignored
    assert await store.ignore_voter_hash(HASHER.hash_user(3))
    with pytest.raises(ValueError):
        await store.ignore_voter_hash("3")  # a raw id where a hash belongs
    tally = await store.tally(pred_id)
    assert (tally.voters, tally.consensus) == (1, None)
    assert await store.agreed_examples("origin") == []

    ignored = [s for s in await store.voter_agreement() if s.ignored]
    assert {s.voter_hash for s in ignored} == {HASHER.hash_user(v) for v in sock_puppets}

    assert await store.unignore_voter(1)
    assert await store.unignore_voter_hash(HASHER.hash_user(2))
    assert not await store.unignore_voter(4)
    tally = await store.tally(pred_id)
    assert (tally.voters, tally.consensus) == (3, "Klingon")  # voter 3 is still ignored


async def test_moderator_correction_becomes_an_example(store: FeedbackStore) -> None:
    pred_id = await log(store, "Papadopoulos")
    await store.record_vote(pred_id, 1, CONFIRMED)
    tally = await store.record_vote(pred_id, 2, "Greek", is_moderator=True)
    assert (tally.consensus, tally.by_moderator) == ("Greek", True)

    [example] = await store.agreed_examples("origin")
    assert example.prediction_id == pred_id
    assert (example.input_text, example.normalized) == ("Papadopoulos", "papadopoulos")
    assert (example.label, example.model_label, example.model_was_right) == (
        "Greek",
        "Italian",
        False,
    )
    assert (example.voters, example.by_moderator, example.model_version) == (2, True, "v1")
    assert example.last_vote_at >= example.created_at


async def test_agreed_examples_thresholds_and_task_filter(store: FeedbackStore) -> None:
    two = await log(store, "Russo")
    one = await log(store, "Ferrari")
    for voter in (1, 2):
        await store.record_vote(two, voter, CONFIRMED)
    await store.record_vote(one, 1, CONFIRMED)
    sentiment = await store.log_prediction("sentiment", "ok", "ok", "s1", "positive", [], 1, 2, 3)
    for voter in (1, 2):
        await store.record_vote(sentiment, voter, "negative")

    assert [e.prediction_id for e in await store.agreed_examples("origin")] == [two]
    loose = await store.agreed_examples("origin", min_agree=1)
    assert [e.prediction_id for e in loose] == [two, one]
    assert [e.model_was_right for e in loose] == [True, True]
    strict = await store.agreed_examples("origin", min_agree=3)
    assert strict == []
    [negative] = await store.agreed_examples("sentiment")
    assert (negative.label, negative.model_was_right) == ("negative", False)
    with pytest.raises(ValueError):
        await store.agreed_examples("no such task")


async def test_trusted_labels_are_what_the_known_name_memory_may_answer(store) -> None:
    """One label per input key; an input agreed on two labels enters with neither; erased
    and ignored voters take their agreement with them."""
    kept = await log(store, "Nakamura")
    again = await log(store, "NAKAMURA ")  # the same input: one key
    split = [await log(store, "Rossi"), await log(store, "rossi")]
    for voter in (1, 2):
        await store.record_vote(kept, voter, "Japanese")
        await store.record_vote(again, voter, "Japanese")
        await store.record_vote(split[0], voter, "Italian")
        await store.record_vote(split[1], voter + 10, "Spanish")
    agreed = await store.trusted_labels("origin")
    assert set(agreed) == {"nakamura"}
    assert (agreed["nakamura"].label, agreed["nakamura"].prediction_id) == ("Japanese", again)
    assert set(await store.trusted_labels("origin", key=str)) == {"nakamura", "nakamura "}
    await store.forget_user(1)  # one voter left on each: no agreement; Rossi now undisputed
    assert {k: e.label for k, e in (await store.trusted_labels("origin")).items()} == {
        "rossi": "Spanish"}
    await store.record_vote(kept, 3, "Japanese")
    assert set(await store.trusted_labels("origin")) == {"nakamura", "rossi"}
    await store.ignore_voter(3)
    assert set(await store.trusted_labels("origin")) == {"rossi"}
