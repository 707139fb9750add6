"""Words new to a model of English: other scripts, accented Latin, words outside the
vocabulary and other languages' function words; and the verdict they lead to."""

import pytest

from inference.checkpoint import load_checkpoint
from inference.language import new_word_share, words
from inference.predictor import Predictor, new_words
from inference.verdict import NOT_SURE, SURE, UNKNOWN_LANGUAGE, verdict
from tests.helpers import write_ready_sentiment

ENGLISH = {"the", "film", "was", "great", "not", "bad", "i", "don't", "like", "it", "der",
           "und", "la", "es", "no", "check"}


def known(word: str) -> bool:
    return word in ENGLISH


@pytest.mark.parametrize(("text", "share"), [
    ("the film was great", 0.0),
    ("I don't like it", 0.0),
    ("Отличный фильм", 1.0),  # another script
    ("la película es mala", 0.5),  # accented and unknown words; "la" and "es" known here
    ("Der Film war langweilig und viel zu lang", 7 / 8),  # der, und: function words
    ("the film was zorbl", 0.0),  # one word the vocabulary lacks: a typo or slang
    ("horible film", 0.0),
    ("the zorbl was blorf", 0.5),  # two of them
    ("the film was zorbl é", 0.4),  # one, beside an accented word
    ("goated", 0.0),  # one ASCII word: answered, not judged
    ("素晴らしい", 1.0),  # one word in another script
    ("@someone check https://x.example/y the film was great", 0.0),  # no words, those
    ("!!! 123 😀", 0.0),
])
def test_the_share_of_new_words(text: str, share: float) -> None:
    assert new_word_share(text, known) == pytest.approx(share)


def test_words_keep_apostrophes_and_fold_case() -> None:
    assert words("I DON'T like Aujourd'hui, ok?") == ["i", "don't", "like", "aujourd'hui",
                                                       "ok"]


def test_the_verdict_of_new_words_follows_the_model_threshold() -> None:
    limits = {"not_sure_below": 0.6, "unknown_words_at_least": 0.5}
    assert verdict(limits, 0.9, new_words=0.5) == UNKNOWN_LANGUAGE
    assert verdict(limits, 0.9, new_words=0.49) == SURE
    assert verdict(limits, 0.55, new_words=0.49) == NOT_SURE
    assert verdict({}, 0.9, new_words=1.0) == SURE  # a model without the threshold


def test_a_ready_sentiment_model_says_so_and_keeps_its_label(tmp_path) -> None:
    predictor = Predictor(load_checkpoint(write_ready_sentiment(tmp_path / "s.safetensors")))
    russian, gibberish, english = predictor.predict(
        ["Отличный фильм", "blorf zzyx quux", "great film"], top_k=2)
    assert russian.confidence == gibberish.confidence == UNKNOWN_LANGUAGE
    assert english.confidence == NOT_SURE  # below the tiny model's 1.0
    for answer in (russian, gibberish, english):
        assert answer.label == answer.top[0][0]
        assert answer.probability == pytest.approx(max(p for _, p in answer.top))


def test_typos_the_model_respells_are_not_new_words(tmp_path) -> None:
    """A v4, v5 or v6 model reads "aweful actng" as "awful acting", so the language check
    does too; a v3 model reads both words as unknown, and says so."""
    ckpt = load_checkpoint(write_ready_sentiment(tmp_path / "s.safetensors"))
    assert ckpt.preprocess_version == 6
    assert new_words(ckpt, "aweful actng") == 0.0
    assert Predictor(ckpt).predict(["aweful actng"])[0].confidence != UNKNOWN_LANGUAGE
    ckpt.preprocess_version = 3
    assert new_words(ckpt, "aweful actng") == 1.0
    assert new_words(ckpt, "blorf zzyx") == 1.0  # nothing one edit away: new either way
