"""Teaching a trained sentiment model one more part of its mixture, in place
(training/lesson.py), through the command line."""

import shutil
from pathlib import Path

import pytest

from inference.checkpoint import load_checkpoint
from inference.predictor import Predictor
from tests.helpers import TINY_SENTIMENT, short_data
from training import splits
from training.advice import advice
from training.cli import main as training_main
from training.evaluate import evaluate_examples
from training.lesson import LESSON
from training.splits import DATASETS

MIXTURE = [a for a in TINY_SENTIMENT if a != "--no-chat-data"]


def test_a_lesson_teaches_its_part_as_a_new_version_that_replays_it_and_reproduces(
        imdb_tar: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = short_data(tmp_path / "data")
    shutil.copyfile(imdb_tar, data / "aclImdb_v1.tar.gz")
    run = tmp_path / "run"
    assert training_main(["sentiment", "--data", str(data), "--out", str(run), *MIXTURE,
                          "--neutral-words", "--epochs", "1", "--w2v-epochs", "0",
                          "--device", "cpu"]) == 0
    path = run / "sentiment.safetensors"
    parent = load_checkpoint(path)
    capsys.readouterr()
    assert training_main(["lesson", "sentiment", "--checkpoint", str(path), "--part", "advice",
                          "--data", str(data)]) == 0
    taught = load_checkpoint(path)
    assert "taught advice, 800 examples" in capsys.readouterr().out
    assert taught.parent == parent.version and taught.version != parent.version
    # later fine-tunes replay the mixture with its lesson
    assert taught.metrics["dataset"] == "chat+neutral+advice" in DATASETS
    [lesson] = taught.metrics["lessons"]
    assert lesson["part"] == "advice" and lesson["examples"] == len(advice())
    assert lesson["parent"] == parent.version
    assert lesson["epochs"] == 2 and lesson["replay_per_epoch"] > lesson["examples"]
    assert {k: lesson[k] for k in ("lr", "replay_ratio", "anneal")} == {  # how it was taught
        "lr": LESSON.lr, "replay_ratio": LESSON.replay_ratio, "anneal": LESSON.anneal}
    assert taught.state_dict["embed.weight"].shape == parent.state_dict["embed.weight"].shape
    assert "short_text_calibration" in taught.metrics  # calibrated for chat again
    # the test figures recorded are the taught model's own
    test = evaluate_examples(Predictor(taught, "cpu"),
                             splits.test_set("sentiment", data, taught.metrics["dataset"]))
    assert taught.metrics["test_accuracy"] == test["accuracy"]

    assert training_main(["lesson", "sentiment", "--checkpoint", str(path), "--part", "advice",
                          "--data", str(data)]) == 2
    assert "already holds advice" in capsys.readouterr().err
    assert training_main(["lesson", "origin", "--checkpoint", str(path), "--part", "advice",
                          "--data", str(data)]) == 2
    assert "only sentiment" in capsys.readouterr().err
