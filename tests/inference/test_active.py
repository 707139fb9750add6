"""The uncertainty and diversity ranking shared by /teach and the learning-loop simulation."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from inference.active import Candidate, margin, select, suffix


def cand(key: int, text: str, p: float, label: str = "Japanese") -> Candidate:
    return Candidate(key, text, label, [(label, p), ("Other", 1 - p)])


def test_margin():
    assert margin([("a", 0.5), ("b", 0.5)]) == 0.0
    assert margin([("a", 0.9), ("b", 0.06), ("c", 0.04)]) == 0.9 - 0.06
    assert margin([("a", 1.0)]) == 1.0


def test_least_certain_first():
    picked = select([cand(1, "Rossi", 0.9), cand(2, "Kim", 0.55), cand(3, "Novak", 0.7)], 2)
    assert [c.key for c in picked] == [2, 3]


def test_one_ending_does_not_fill_a_batch():
    names = ["Nakayama", "Maruyama", "Katayama", "Sugiyama", "Kowalski", "Ivanov"]
    candidates = [cand(i, n, 0.5 + i / 100, label=f"L{i}") for i, n in enumerate(names)]
    assert [c.text for c in select(candidates, 3)] == ["Nakayama", "Kowalski", "Ivanov"]
    # not enough variety: the skipped ones fill up, least certain first
    assert [c.text for c in select(candidates, 4)][-1] == "Maruyama"


def test_near_duplicates_and_recent_items_are_kept_apart():
    candidates = [cand(1, "this movie is sick lol", 0.5, "positive"),
                  cand(2, "this movie is sick", 0.51, "positive"),
                  cand(3, "the finale is mid", 0.6, "negative")]
    assert [c.key for c in select(candidates, 2)] == [1, 3]
    assert [c.key for c in select(candidates, 1, recent=[("this movie is sick!!", "x")])] == [3]


def test_one_label_gets_at_most_its_share():
    candidates = [cand(i, f"name{i}x{i}", 0.5 + i / 100, label="A" if i < 4 else "B")
                  for i in range(6)]
    labels = [c.label for c in select(candidates, 4, max_similarity=1.0)]
    assert labels.count("A") == 2


def test_suffix_of_a_sentence_is_its_last_word():
    assert suffix("Nakayama") == "ama" and suffix("this slaps, ngl!") == "ngl"


@given(st.lists(st.tuples(st.text(min_size=1, max_size=12), st.floats(0.34, 1.0)), max_size=30),
       st.integers(0, 10))
def test_picks_are_distinct_candidates_and_as_many_as_possible(items, k):
    candidates = [cand(i, text, p) for i, (text, p) in enumerate(items)]
    picked = select(candidates, k)
    assert len(picked) == min(k, len(candidates))
    assert len({c.key for c in picked}) == len(picked)
    assert all(c in candidates for c in picked)
