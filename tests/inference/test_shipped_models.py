"""The weights in the package answer correctly out of the box and match their records."""

import pytest

from inference.checkpoint import load_checkpoint
from inference.predictor import Predictor
from inference.registry import shipped_checkpoint
from tests.helpers import real_data
from training.evaluate import evaluate


@pytest.fixture(scope="module")
def origin() -> Predictor:
    return Predictor.load("origin", shipped_checkpoint("origin"), device="cpu")


@pytest.fixture(scope="module")
def sentiment() -> Predictor:
    return Predictor.load("sentiment", shipped_checkpoint("sentiment"), device="cpu")


@pytest.mark.parametrize(
    ("name", "language"),
    [("Nakamura", "Japanese"), ("Горбачёв", "Russian"), ("Papadopoulos", "Greek"),
     ("Παπαδόπουλος", "Greek"), ("Huynh", "Vietnamese"), ("Rossi", "Italian"),
     ("Schmidt", "German"), ("Kowalski", "Polish"), ("O'Brien", "Irish"), ("Zhang", "Chinese")],
)
def test_origin_answers_clear_cases(origin: Predictor, name: str, language: str) -> None:
    [answer] = origin.predict([name])
    assert answer.label == language, answer.top


@pytest.mark.parametrize(
    ("text", "label"),
    [("I loved this movie!", "positive"), ("What a terrible waste of time.", "negative"),
     ("The acting was wooden and the plot made no sense.", "negative"),
     ("A beautiful, moving story with a brilliant cast.", "positive"),
     ("not good at all", "negative")],
)
def test_sentiment_answers_clear_cases(sentiment: Predictor, text: str, label: str) -> None:
    [answer] = sentiment.predict([text])
    assert answer.label == label, answer.top


def test_shipped_checkpoints_carry_their_metrics() -> None:
    for task in ("origin", "sentiment"):
        metrics = load_checkpoint(shipped_checkpoint(task)).metrics
        assert {"test_accuracy", "test_macro_f1", "test_ece", "test_n"} <= metrics.keys()


@pytest.mark.slow
@pytest.mark.parametrize(("task", "archive"), [("origin", "names.zip"),
                                               ("sentiment", "aclImdb_v1.tar.gz")])
def test_shipped_weights_reproduce_their_recorded_metrics(task: str, archive: str) -> None:
    recorded = load_checkpoint(shipped_checkpoint(task)).metrics
    metrics = evaluate(task, shipped_checkpoint(task), real_data(archive))
    assert metrics["n"] == recorded["test_n"]
    assert metrics["accuracy"] == recorded["test_accuracy"]
    assert metrics["macro_f1"] == recorded["test_macro_f1"]


def test_shipped_weights_stay_small() -> None:
    """Every committed weight file stays in git history: keep the set under ~25 MB."""
    folder = shipped_checkpoint("origin").parent
    assert sum(p.stat().st_size for p in folder.glob("*.safetensors")) < 25_000_000
