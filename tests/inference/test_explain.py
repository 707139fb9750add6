"""Occlusion explanations: the method on tiny models, and its faithfulness on the shipped ones."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from inference.chat_text import normalize_chat, shown_chat, tokenize_chat
from inference.explain import (
    explain_prepared,
    id_spans,
    log_odds,
    random_spans,
    removal_drops,
    spans,
    without,
)
from inference.predictor import Predictor
from inference.registry import shipped_checkpoint
from inference.results import Explanation, Part, top_parts
from inference.text import UNK_ID
from tests.helpers import NAMES, TEXTS

# A fixed sample, varied on purpose: every origin in the data and reviews of both polarities.
FAITH_NAMES = [
    "Kowalski", "Nakamura", "Yamamoto", "Papadopoulos", "O'Brien", "Schmidt", "Rossi",
    "Gorbachev", "Nguyen", "Zhang", "Dvorak", "Van der Berg", "MacLeod", "Fernandes",
    "Haddad", "Dubois", "Kim", "Novak", "Johnson", "Garcia", "Moretti", "Ivanov", "Murphy",
    "Takahashi", "Wojcik", "Schneider", "Leblanc", "Sato", "Park", "Costa",
]
FAITH_TEXTS = [
    "I loved this movie, the acting was brilliant and the story moving.",
    "What a terrible waste of time, boring from start to finish.",
    "The plot made no sense and the dialogue was painfully bad.",
    "A beautiful film with a wonderful cast and a great soundtrack.",
    "Not worth watching. The ending was awful and the pacing dull.",
    "One of the best films I have seen this year, funny and smart.",
    "I wanted to like it but the characters were flat and lifeless.",
    "Great performances, gorgeous photography, a real pleasure to watch.",
    "The worst sequel ever made, lazy writing and cheap effects.",
    "An excellent, touching story that stays with you for days.",
    "Mediocre at best: some nice scenes but mostly forgettable.",
    "Highly recommended, a clever and charming little comedy.",
]


@pytest.fixture(scope="module")
def tiny(checkpoints) -> dict[str, Predictor]:
    return {task: Predictor.load(task, path, device="cpu") for task, path in checkpoints.items()}


def test_without_removes_spans_and_never_leaves_nothing() -> None:
    assert without([5, 6, 7, 8], [(1, 2)]) == [5, 8]
    assert without([5, 6, 7, 8], [(0, 1), (3, 1)]) == [6, 7]
    assert without([5, 6], [(0, 2)]) == [UNK_ID]


def test_spans_cover_every_window_that_fits() -> None:
    assert spans(3, (1, 2, 3)) == [(0, 1), (1, 1), (2, 1), (0, 2), (1, 2), (0, 3)]
    assert spans(1, (1, 2, 3)) == [(0, 1)]


def test_top_parts_never_overlap_and_keep_their_direction() -> None:
    parts = [Part(0, 3, "kow", 5.0, 0.1), Part(1, 2, "ow", 4.0, 0.2),
             Part(5, 3, "ski", 3.0, 0.3), Part(3, 1, "a", -2.0, 0.99)]
    assert [p.text for p in top_parts(parts, 3, toward=True)] == ["kow", "ski"]
    assert [p.text for p in top_parts(parts, 3, toward=False)] == ["a"]
    assert [p.text for p in top_parts(parts, 1, toward=True)] == ["kow"]


def test_parts_that_move_the_odds_by_under_5_percent_are_not_listed() -> None:
    parts = [Part(0, 1, "a", 0.3, 0.5), Part(1, 1, "b", 0.04, 0.6), Part(2, 1, "c", -0.01, 0.6)]
    assert [p.text for p in top_parts(parts, 3, toward=True)] == ["a"]
    assert top_parts(parts, 3, toward=False) == []


def test_a_han_names_letters_push_nowhere_once_its_odds_are_even() -> None:
    # the model reads 田中 in pinyin; the even odds leave the clues to choose, so Why? names
    # the clues and no part of "tianzhong"
    predictor = Predictor.load("origin", shipped_checkpoint("origin"), device="cpu")
    why = explain_prepared(predictor, predictor.prepare_many(["田中"])[0])
    assert why.prediction.label == "Japanese"
    assert why.toward() == [] and why.against() == []
    assert {c.kind for c in why.clues} >= {"script", "han_length"}


def test_log_odds_keep_their_precision_near_certainty() -> None:
    # 1 - p is 1e-9 here: float32 would round p to 1, the sum of the others does not.
    assert log_odds([1.0, 6e-10, 4e-10], 0) == pytest.approx(20.723, abs=1e-3)
    assert log_odds([0.5, 0.5], 1) == 0.0


def test_random_spans_are_disjoint_inside_and_of_the_given_sizes() -> None:
    rng = random.Random(0)
    seen = set()
    for _ in range(200):
        got = random_spans(9, [3, 1, 2], rng)
        assert sorted(length for _, length in got) == [1, 2, 3]
        covered = [i for start, length in got for i in range(start, start + length)]
        assert len(covered) == len(set(covered)) == 6 and max(covered) < 9
        seen.add(tuple(got))
    assert len(seen) > 20  # really random
    with pytest.raises(ValueError):
        random_spans(2, [3], rng)


@pytest.mark.parametrize("task", ["origin", "sentiment"])
def test_every_figure_is_the_models_own_output(tiny, task) -> None:
    predictor = tiny[task]
    for raw in (NAMES if task == "origin" else TEXTS):
        prepared = predictor.prepare(raw)
        explanation = explain_prepared(predictor, prepared, top_k=3)
        [alone] = predictor.predict([raw], 3)
        assert explanation.prediction == alone
        shown = predictor.ckpt.pipeline.shown_units(
            predictor.ckpt.pipeline.units(prepared.normalized)[0])
        assert explanation.units == [text for text, _ in shown]
        assert sum(n for _, n in shown) == len(prepared.ids)
        label = predictor.labels.index(alone.label)
        for part in explanation.parts[:: max(1, len(explanation.parts) // 7)]:
            span = id_spans(shown, [(part.start, part.length)])
            variant = replace(prepared, ids=without(prepared.ids, span))
            probs = predictor.probabilities([variant])[0].tolist()
            assert part.without == pytest.approx(probs[label], abs=1e-5)
            assert part.weight == pytest.approx(
                log_odds(predictor.probabilities([prepared])[0].tolist(), label)
                - log_odds(probs, label), abs=1e-3)
        weights = [p.weight for p in explanation.parts]
        assert weights == sorted(weights, reverse=True)


def test_a_names_parts_are_its_characters_and_ngrams(tiny) -> None:
    explanation = explain_prepared(tiny["origin"], tiny["origin"].prepare("Abe"))
    assert explanation.units == ["a", "b", "e"]
    assert {(p.start, p.length, p.text) for p in explanation.parts} == {
        (0, 1, "a"), (1, 1, "b"), (2, 1, "e"), (0, 2, "ab"), (1, 2, "be"), (0, 3, "abe")}
    shown = {p.text: explanation.shown(p) for p in explanation.parts}
    assert (shown["a"], shown["b"], shown["be"], shown["abe"]) == ("a-", "-b-", "-be", "abe")


def test_a_texts_parts_are_its_words_as_the_model_read_them(tiny) -> None:
    explanation = explain_prepared(tiny["sentiment"], tiny["sentiment"].prepare(
        "<br />The plot was BORING!"))
    # a word in capitals is one part, shown as typed, though the model reads a mark and it
    assert explanation.units == ["the", "plot", "was", "BORING", "!"]
    assert sorted((p.start, p.text) for p in explanation.parts) == [
        (0, "the"), (1, "plot"), (2, "was"), (3, "BORING"), (4, "!")]
    assert {explanation.shown(p) for p in explanation.parts} == set(explanation.units)
    without_it = next(p for p in explanation.parts if p.text == "BORING").without
    prepared = tiny["sentiment"].prepare("<br />The plot was!")
    label = tiny["sentiment"].labels.index(explanation.prediction.label)
    assert without_it == pytest.approx(
        tiny["sentiment"].probabilities([prepared])[0, label].item(), abs=1e-5)


def test_emoji_and_emoticons_are_shown_as_people_write_them() -> None:
    assert shown_chat(tokenize_chat(normalize_chat("LOVE it 😍 :-) @bob"))) == [
        ("LOVE", 2), ("it", 1), (":heart_eyes:", 1), (":)", 1), ("<user>", 1)]
    assert shown_chat(["<caps>"]) == [("<caps>", 1)]  # a mark with no word after it


def test_json_round_trip(tiny) -> None:
    explanation = explain_prepared(tiny["origin"], tiny["origin"].prepare("Dvořák"))
    data = explanation.to_json()
    assert data["normalized"] == "Dvorak" and data["explanation"]["units"] == list("dvorak")
    again = Explanation.from_json(explanation.prediction.task, data)
    assert isinstance(again, Explanation) and again.units == explanation.units
    assert again.joiner == explanation.joiner == ""
    assert [(p.start, p.length, p.text) for p in again.parts] == \
        [(p.start, p.length, p.text) for p in explanation.parts]
    assert [p.weight for p in again.parts] == pytest.approx(
        [p.weight for p in explanation.parts], abs=1e-6)


def test_a_typo_is_explained_as_typed_and_named_with_the_word_read(tiny) -> None:
    predictor = tiny["sentiment"]
    explanation = explain_prepared(predictor, predictor.prepare("borring actting, the plot"))
    assert explanation.units == ["borring", "actting", "the", "plot"]  # as typed
    assert explanation.respelt == {"borring": "boring", "actting": "acting"}
    assert explanation.summary()[0] == "read as: borring → boring, actting → acting"
    data = explanation.to_json()
    assert data["explanation"]["respelt"] == explanation.respelt
    assert Explanation.from_json("sentiment", data).respelt == explanation.respelt
    # a word with no known neighbour, and every word of a name, is read as it is
    assert explain_prepared(predictor, predictor.prepare("zzyzx plot")).respelt == {}
    assert explain_prepared(tiny["origin"], tiny["origin"].prepare("Smiht")).respelt == {}


def test_summary_names_the_strongest_parts_each_way(tiny) -> None:
    explanation = explain_prepared(tiny["origin"], tiny["origin"].prepare("Kowalski"))
    label = explanation.prediction.label
    [toward, *rest] = explanation.summary()
    best = explanation.toward()[0]
    assert toward.startswith(f"toward {label}: {explanation.shown(best)} (")
    assert all(line.startswith(f"against {label}: ") for line in rest)


@pytest.mark.parametrize(("task", "sample"), [("origin", FAITH_NAMES), ("sentiment", FAITH_TEXTS)])
def test_removing_the_shown_parts_hurts_more_than_random_parts(task, sample) -> None:
    """Faithfulness on the shipped models: a fixed sample, seeded random baselines."""
    predictor = Predictor.load(task, shipped_checkpoint(task), device="cpu")
    explanations = [explain_prepared(predictor, predictor.prepare(raw)) for raw in sample]
    for k in (1, None):  # the top part alone, then every part shown together
        rng = random.Random(7)
        drops = [d for e in explanations if (d := removal_drops(predictor, e, rng, k))]
        assert len(drops) >= 0.8 * len(sample)
        top = sum(t for t, _ in drops) / len(drops)
        rand = sum(r for _, r in drops) / len(drops)
        assert top > rand, (k, top, rand)
