"""The outside-data benchmark end to end, on generated data and a tiny model."""

import json
import shutil
from pathlib import Path

import pytest

from benchmarks import sentiment_outside
from benchmarks.sentiment_chat import baseline
from inference.checkpoint import load_checkpoint
from inference.predictor import Predictor
from tests.helpers import hutto_source_archive, short_data, write_checkpoint
from training.outside import load_hutto
from training.short_text import short_text


def test_every_set_is_scored_for_the_model_and_both_baselines(imdb_tar: Path,
                                                              tmp_path: Path) -> None:
    data = short_data(tmp_path / "data")
    shutil.copyfile(imdb_tar, data / "aclImdb_v1.tar.gz")
    (data / "vaderSentiment-3.3.2.tar.gz").write_bytes(hutto_source_archive())
    ckpt = write_checkpoint(tmp_path / "s.safetensors", "sentiment", "sentiment-tiny", 2)
    out = tmp_path / "outside.json"
    assert sentiment_outside.main(["--data", str(data), "--checkpoint", str(ckpt),
                                   "--out", str(out)]) == 0
    got = json.loads(out.read_text())
    assert got["model_version"] == "sentiment-tiny"
    assert set(got["sets"]) == {"tweets", "product_reviews", "editorials"}
    tweets = got["sets"]["tweets"]
    assert (tweets["n"], tweets["clear_n"]) == (3, 2)  # rated 2.7, -1.2 and 0.5 ("!")
    # the model's accuracy is its served labels', an unreadable "!" counted wrong
    rows = load_hutto(data / "vaderSentiment-3.3.2.tar.gz")["tweets"]
    answers = Predictor(load_checkpoint(ckpt), "cpu").predict([r.text for r in rows])
    right = [not isinstance(a, Exception) and a.label == ("negative", "positive")[r.label]
             for a, r in zip(answers, rows, strict=True)]
    assert tweets["lstm"]["accuracy"] == sum(right) / 3
    assert tweets["lstm"]["unreadable"] == 1
    # VADER reads "So lucky & happy." and "A disgrace." as their raters did; it finds no
    # sentiment in "Monday again" (compound 0), which reads positive
    assert got["sets"]["editorials"]["vader"]["clear_accuracy"] == 1.0
    assert tweets["vader"]["clear_accuracy"] == 0.5
    assert got["sets"]["product_reviews"]["vader"]["clear_accuracy"] is None  # none rated ±1
    # the baseline's figures are its own predictions, fitted as sentiment_chat fits it
    pipe, fit = baseline(str(data), short_text(data).val)
    assert got["linear_fit"]["C"] == fit["C"]
    said = pipe.predict([r.text for r in rows])
    assert tweets["linear"]["accuracy"] == pytest.approx(
        sum(int(s) == r.label for s, r in zip(said, rows, strict=True)) / 3)
