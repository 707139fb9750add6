"""Calibration for chat-length text: a short-input temperature and verdict thresholds chosen
on the short-text validation split, stored in the checkpoint and used when serving."""


import torch

from inference.checkpoint import load_checkpoint, save_checkpoint
from inference.predictor import Predictor, new_words
from tests.helpers import make_checkpoint, short_data, write_checkpoint
from training.cli import main
from training.short_text import ENGLISH_FLAGGED, calibrate, unknown_words_threshold


def test_calibration_writes_a_short_temperature_and_both_thresholds(tmp_path) -> None:
    ckpt = make_checkpoint("sentiment", "sentiment-tiny", seed=2)
    report = calibrate(ckpt, short_data(tmp_path / "data"))
    assert ckpt.temperature == 1.5  # long inputs keep theirs
    assert ckpt.short_temperature["max_tokens"] == 64
    assert ckpt.short_temperature["temperature"] == report["short_temperature"] > 0
    assert 0.5 <= ckpt.verdicts["not_sure_below"] <= 1.0
    assert 0 < ckpt.verdicts["unknown_words_at_least"] <= 1.0
    assert report["english_validation_flagged"] <= ENGLISH_FLAGGED
    assert report["validation_ece"] <= report["validation_ece_before"] + 1e-9
    save_checkpoint(ckpt, tmp_path / "s.safetensors")
    again = load_checkpoint(tmp_path / "s.safetensors")
    assert (again.short_temperature, again.verdicts) == (ckpt.short_temperature, ckpt.verdicts)


def test_short_inputs_are_served_at_their_own_temperature(tmp_path) -> None:
    ckpt = make_checkpoint("sentiment", "sentiment-tiny", seed=2)
    long = " ".join(["good film"] * 40)  # 80 tokens: a review's temperature
    plain = Predictor(ckpt).probabilities(Predictor(ckpt).prepare_many(["great film", long]))
    ckpt.short_temperature = {"max_tokens": 64, "temperature": 100.0}
    hot = Predictor(ckpt).probabilities(Predictor(ckpt).prepare_many(["great film", long]))
    assert torch.allclose(hot[1], plain[1])
    assert abs(hot[0, 0].item() - 0.5) < 0.01 < abs(plain[0, 0].item() - 0.5)


def test_the_language_threshold_flags_at_most_one_percent_of_english() -> None:
    ckpt = make_checkpoint("sentiment", "sentiment-tiny", seed=2)
    ckpt.verdicts = {"unknown_words_at_least": 1.0}
    english = ["good film"] * 990 + ["good zorblax"] * 5 + ["zorblax quux"] * 5
    limit = unknown_words_threshold(ckpt, english)
    flagged = sum(new_words(ckpt, t) >= limit for t in english)
    assert flagged <= 10 and limit > 0.0
    assert unknown_words_threshold(ckpt, ["good film"] * 100) == 1.0  # nothing new: all new


def test_the_cli_calibrates_in_place_as_a_new_version(tmp_path, capsys) -> None:
    path = write_checkpoint(tmp_path / "s.safetensors", "sentiment", "sentiment-tiny", 2)
    data = short_data(tmp_path / "data")
    assert main(["calibrate", "sentiment", "--checkpoint", str(path), "--data", str(data)]) == 0
    ckpt = load_checkpoint(path)
    assert ckpt.parent == "sentiment-tiny" and ckpt.version != "sentiment-tiny"
    assert ckpt.short_temperature and "not_sure_below" in ckpt.verdicts
    origin = write_checkpoint(tmp_path / "o.safetensors", "origin", "origin-tiny", 1)
    assert main(["calibrate", "origin", "--checkpoint", str(origin), "--data", str(data)]) == 2
    assert "no chat-length calibration" in capsys.readouterr().err
