"""A full name read word by word (inference/name_words.py): which words, and how their
answers make one, on tiny models; and on the shipped model, full names as people type them."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
import torch

from inference.name_words import NAME_WORDS, word_spans
from inference.predictor import Predictor, pool_words, read_rows
from inference.registry import shipped_checkpoint
from inference.tasks import ORIGIN
from tests.helpers import make_checkpoint


def words(name: str) -> list[str]:
    """The words a name is read in, as the model reads each (lower case, no accents)."""
    units = list(name.lower())
    return ["".join(units[start:end]) for start, end in word_spans(units)]


@pytest.mark.parametrize(("name", "expected"), [
    ("nakamura", ["nakamura"]),
    ("zhang wei", ["zhang", "wei"]),
    ("kim min-jun", ["kim", "min-jun"]),  # a hyphen joins, as in the data's Ou-Yang
    ("pierre  dubois ", ["pierre", "dubois"]),
    ("maria de la cruz", ["maria", "de la cruz"]),  # particles go with the word they start
    ("van der berg", ["van der berg"]),
    ("o suilleabhain", ["o suilleabhain"]),  # Ó, as the model reads it
    ("sean mac giolla phadraig", ["sean", "mac giolla", "phadraig"]),
    ("j. smith", ["smith"]),  # an initial says nothing of a language
    ("dr. hans muller", ["hans", "muller"]),  # nor does a title
    ("mrs kowalska", ["kowalska"]),
    ("pan wei", ["pan", "wei"]),  # Pan is a surname too: not dropped as a title
    ("j. r.", ["j. r."]),  # ...unless nothing else is there
    ("de la", ["de la"]),  # only particles: the name whole
    ("david de", ["david", "de"]),  # a particle at the end starts nothing
])
def test_the_words_a_name_is_read_in(name: str, expected: list[str]) -> None:
    assert words(name) == expected


def test_spans_cover_only_the_words_and_never_overlap() -> None:
    units = list("anna  van der berg")
    spans = word_spans(units)
    assert spans == [(0, 4), (6, 18)]
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans))


def test_only_origin_reads_word_by_word() -> None:
    origin, sentiment = make_checkpoint("origin", "o"), make_checkpoint("sentiment", "s")
    ids = origin.pipeline.encode(origin.vocab, "Zhang Wei")[1]
    assert read_rows("origin", origin.vocab, ids) == [ids[:5], ids[6:]]
    text = sentiment.pipeline.encode(sentiment.vocab, "a great film")[1]
    assert read_rows("sentiment", sentiment.vocab, text) == [text]


def test_a_full_name_answers_with_its_words_mean_sharpened_and_a_surname_as_before() -> None:
    ckpt = make_checkpoint("origin", "origin-tiny", seed=3)
    served, whole = Predictor(ckpt), Predictor(ckpt, by_word=False)
    full, zhang, wei, alone = served.prepare_many(["Zhang Wei", "Zhang", "Wei", "Nakamura"])
    probs = served.probabilities([full, zhang, wei, alone])
    mean = (probs[1] + probs[2]) / 2
    expected = mean ** NAME_WORDS.power / (mean ** NAME_WORDS.power).sum()
    assert torch.allclose(probs[0], expected, atol=1e-6)
    assert torch.allclose(probs[3], whole.probabilities([alone])[0], atol=1e-6)  # as before
    assert not torch.allclose(whole.probabilities([full])[0], probs[0], atol=1e-3)


def test_pooling_keeps_rows_of_inputs_read_whole_exactly() -> None:
    probs = torch.softmax(torch.randn(4, 5), dim=-1)
    assert torch.equal(pool_words(probs[:3], [0, 1, 2], 3, 1.8), probs[:3])
    pooled = pool_words(probs, [0, 1, 1, 2], 3, 1.0)
    assert torch.equal(pooled[0], probs[0]) and torch.equal(pooled[2], probs[3])
    assert torch.allclose(pooled[1], (probs[1] + probs[2]) / 2)
    assert torch.allclose(pooled.sum(-1), torch.ones(3))


def test_the_power_is_the_one_the_benchmark_chose_on_validation() -> None:
    """benchmarks/origin_eval.py fits it (`words_power_chosen`) on the validation names made
    full names; what serves must be what was chosen."""
    results = Path(__file__).resolve().parents[2] / "benchmarks/results/origin_eval.json"
    report = json.loads(results.read_text())
    assert ORIGIN.words is not None
    assert report["words_power_chosen"] == report["words_power_served"] == ORIGIN.words.power


@pytest.mark.parametrize(("name", "language"), [
    ("Zhang Wei", "Chinese"),  # read whole: Russian
    ("Иван Петров", "Russian"),
    ("Hans Müller", "German"),
    ("Giovanni Rossi", "Italian"),
    ("Maria de la Cruz", "Spanish"),
])
def test_the_shipped_model_reads_full_names_as_people_type_them(name: str, language: str) -> None:
    predictor = Predictor.load("origin", shipped_checkpoint("origin"), device="cpu")
    [answer] = predictor.predict([name])
    assert answer.label == language
