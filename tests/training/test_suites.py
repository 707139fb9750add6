"""The hand-written suites: well-formed, and the behaviour suite run against the shipped
sentiment model (docs/results.md)."""

import re
from collections import Counter

import pytest

from inference.checkpoint import load_checkpoint
from inference.predictor import Predictor
from inference.registry import shipped_checkpoint
from inference.tasks import SENTIMENT
from inference.text import UNK_ID
from inference.verdict import NOT_SURE, SURE, UNKNOWN_LANGUAGE
from training.advice import advice
from training.cli import main
from training.suites import (
    GATE,
    LABELLED,
    Case,
    labelled_cases,
    non_english_cases,
    right,
    run_suite,
    tally,
)

CATEGORIES = {"negation", "double negation", "contrast", "intensifiers", "emoji", "slang",
              "typos", "short", "questions", "sarcasm"}


def test_the_behaviour_suite_covers_every_category_with_ten_cases() -> None:
    cases = labelled_cases("behaviour")
    counts = Counter(c.group for c in cases)
    assert len(cases) >= 150 and set(counts) == CATEGORIES
    assert min(counts.values()) >= 10
    assert {c.expected for c in cases} <= {"positive", "negative", NOT_SURE}
    assert len({c.text for c in cases}) == len(cases)  # no case twice


def test_the_negation_probe_pairs_negations_with_their_plain_words() -> None:
    cases = labelled_cases("negation")
    counts = Counter(c.group for c in cases)
    assert set(counts) == {"negated negative", "negated positive", "double negation", "plain"}
    assert min(counts.values()) >= 16
    assert {c.expected for c in cases} == {"positive", "negative"}
    # written apart from the behaviour suite: no case of it again
    assert not {c.text for c in cases} & {c.text for c in labelled_cases("behaviour")}
    assert len({c.text for c in cases}) == len(cases)


def test_the_emoji_probe_pairs_each_text_with_an_emoji_of_each_sign() -> None:
    cases = labelled_cases("emoji")
    assert {c.group for c in cases} == {"alone", "pair"}
    assert len(cases) >= 50 and {c.expected for c in cases} == {"positive", "negative"}
    assert len({c.text for c in cases}) == len(cases)
    pairs = [c for c in cases if c.group == "pair"]
    signs: dict[str, set[str]] = {}
    for case in pairs:  # the words, without the emoji that end them
        signs.setdefault(case.text.rsplit(" ", 1)[0], set()).add(case.expected)
    assert len(signs) == len(pairs) // 2
    assert all(s == {"positive", "negative"} for s in signs.values())


def test_the_question_probe_pairs_each_question_about_a_quality_with_its_statement() -> None:
    cases = labelled_cases("questions")
    counts = Counter(c.group for c in cases)
    assert set(counts) == {"asking", "quality asked", "quality said", "rhetorical"}
    assert min(counts.values()) >= 12 and len({c.text for c in cases}) == len(cases)
    assert not {c.text for c in cases} & {c.text for c in labelled_cases("behaviour")}
    expected = {group: {c.expected for c in cases if c.group == group} for group in counts}
    assert expected["asking"] == expected["quality asked"] == {NOT_SURE}
    assert expected["quality said"] == expected["rhetorical"] == {"positive", "negative"}
    asked = [c for c in cases if c.group == "quality asked"]
    said = [c for c in cases if c.group == "quality said"]
    assert len(asked) == len(said)
    assert all(q.text.endswith("?") and not s.text.endswith("?")
               for q, s in zip(asked, said, strict=True))
    assert all(c.text.endswith("?") for c in cases if c.group != "quality said")


def test_the_idiom_probe_has_both_labels_in_each_idiom_and_plain_controls() -> None:
    cases = labelled_cases("idioms")
    counts = Counter(c.group for c in cases)
    assert set(counts) == {"candour", "limit", "exception", "plain"}
    assert min(counts.values()) >= 8 and len({c.text for c in cases}) == len(cases)
    assert all({c.expected for c in cases if c.group == g} == {"positive", "negative"}
               for g in counts)
    # each idiom's case carries a negation word that the idiom keeps from reversing it
    negation = re.compile(r"\b(?:not|no|never|nothing|can't|couldn't|won't|doesn't)\b")
    assert all(negation.search(c.text) for c in cases if c.group != "plain")
    written = {c.text for name in ("behaviour", "negation", "questions")
               for c in labelled_cases(name)}
    assert not {c.text for c in cases} & written


def test_the_advice_probe_holds_what_the_advice_module_does_not_write() -> None:
    """Warnings negative and recommendations positive, each with a negation, plain controls
    of both labels; none of them a text training/advice.py makes, nor any other probe's."""
    cases = labelled_cases("advice")
    counts = Counter(c.group for c in cases)
    assert set(counts) == {"warning", "recommendation", "plain"} and min(counts.values()) >= 6
    assert {c.expected for c in cases if c.group == "warning"} == {"negative"}
    assert {c.expected for c in cases if c.group == "recommendation"} == {"positive"}
    assert {c.expected for c in cases if c.group == "plain"} == {"positive", "negative"}
    assert all(re.search(r"\b(?:don't|dont|do not)\b", c.text) for c in cases
               if c.group != "plain")
    written = {c.text for name in ("behaviour", "negation", "questions", "idioms")
               for c in labelled_cases(name)}
    assert not {c.text for c in cases} & (written | {text for text, _ in advice()})
    assert len({c.text for c in cases}) == len(cases)


def test_the_comparative_probe_reverses_what_could_be_and_keeps_what_is() -> None:
    """A counterfactual or a speaker's experience judges against its comparative ("could've
    been worse": positive), a plain comparative with it; both labels in each group, and no
    other probe's text."""
    cases = labelled_cases("comparatives")
    counts = Counter(c.group for c in cases)
    assert set(counts) == {"could", "seen", "plain"} and min(counts.values()) >= 10
    for case in cases:
        [comparative] = re.findall(r"\b(better|worse)\b", case.text)
        keeps = case.group == "plain"
        assert (case.expected == "positive") == ((comparative == "better") == keeps), case.text
    assert all("could" in c.text for c in cases if c.group == "could")
    assert all(re.search(r"\b(?:i've|we've|been)\b", c.text) for c in cases
               if c.group == "seen")
    written = {c.text for name in LABELLED if name != "comparatives"
               for c in labelled_cases(name)}
    assert not {c.text for c in cases} & written and len({c.text for c in cases}) == len(cases)


def test_no_emoji_of_the_probe_is_one_the_shipped_vocabulary_learnt_from_its_data() -> None:
    """The probe's premise: the model either lacks its emoji or reads them through the rows
    its vocabulary grew by (training/emoji_kin.py), so a model that reads unknown emoji as
    <unk> cannot pass it."""
    ckpt = load_checkpoint(shipped_checkpoint("sentiment"))
    grown_from = len(ckpt.vocab) - ckpt.metrics.get("emoji_kin_rows", 0)
    pipeline = SENTIMENT.pipeline(ckpt.preprocess_version)
    for case in labelled_cases("emoji"):
        units, _ = pipeline.units(pipeline.normalize(case.text))
        emoji = [u for u in units if u.startswith("emoji_")]
        assert emoji and all(i == UNK_ID or i >= grown_from
                             for i in pipeline.ids(ckpt.vocab, emoji)), case.text


def test_the_non_english_suite_is_split_in_two_halves_of_many_languages() -> None:
    cases = non_english_cases()
    assert len(cases) >= 50 and len({c.group for c in cases}) >= 10
    tune, final = (non_english_cases(part=p) for p in ("tune", "final"))
    assert len(tune) + len(final) == len(cases) and abs(len(tune) - len(final)) <= 1
    assert not {c.text for c in tune} & {c.text for c in final}


def test_a_verdict_case_is_scored_on_the_confidence_and_a_label_case_on_the_label() -> None:
    assert right(Case("short", NOT_SURE, "ok"), "negative", NOT_SURE)
    assert not right(Case("short", NOT_SURE, "ok"), "negative", SURE)
    assert right(Case("negation", "positive", "not bad"), "positive", NOT_SURE)
    assert not right(Case("x", UNKNOWN_LANGUAGE, "Отличный"), "positive", SURE)


@pytest.fixture(scope="module")
def shipped() -> Predictor:
    return Predictor.load("sentiment", shipped_checkpoint("sentiment"), device="cpu")


def test_the_shipped_model_passes_the_behaviour_suite(shipped: Predictor) -> None:
    result = run_suite(shipped, labelled_cases("behaviour"))
    assert result["gated_accuracy"] >= GATE, result["groups"]


def test_run_suite_counts_each_group(shipped: Predictor) -> None:
    cases = [Case("a", "positive", "I loved this movie!"), Case("a", "negative", "awful, awful"),
             Case("b", "positive", "What a terrible waste of time."),
             Case("sarcasm", "negative", "what a great day")]
    result = run_suite(shipped, cases)
    assert result["groups"]["a"] == {"n": 2, "right": 2, "accuracy": 1.0}
    assert result["groups"]["b"]["right"] == 0
    assert result["gated_n"] == 3 and result["gated_accuracy"] == pytest.approx(2 / 3)


def test_the_cli_prints_the_table_and_writes_the_json(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setattr("training.suites.RESULTS_DIR", tmp_path)
    monkeypatch.setattr("training.suites.write_result.__defaults__", (tmp_path,))
    assert main(["evaluate", "sentiment", "--suite", "behaviour"]) == 0
    out = capsys.readouterr().out
    assert "all but sarcasm" in out and "(reported, not gated)" in out
    assert (tmp_path / "sentiment_suite_behaviour.json").exists()


def test_a_tally_gates_outside_sarcasm_and_counts_each_group() -> None:
    cases = [Case("negation", "positive", "not bad"), Case("negation", "negative", "not good"),
             Case("sarcasm", "negative", "oh great, another delay")]
    result = tally(cases, [True, False, True])
    assert (result["n"], result["accuracy"]) == (3, 2 / 3)
    assert (result["gated_n"], result["gated_accuracy"]) == (2, 0.5)
    assert result["groups"] == {"negation": {"n": 2, "right": 1, "accuracy": 0.5},
                                "sarcasm": {"n": 1, "right": 1, "accuracy": 1.0}}
