"""Calibration for chat-length text: a short-input temperature and verdict thresholds chosen
on the short-text validation split, stored in the checkpoint and used when serving."""


import torch

from inference.checkpoint import load_checkpoint, save_checkpoint
from inference.predictor import Predictor, new_words
from inference.verdict import NOT_SURE_BELOW
from tests.helpers import make_checkpoint, short_data, write_checkpoint
from training.cli import main
from training.finetune import refit_temperatures
from training.short_text import (
    BAND_ACCURACY,
    ENGLISH_FLAGGED,
    calibrate,
    choose_band,
    coin_flip_band,
    unknown_words_threshold,
)


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


def test_the_not_sure_band_holds_the_coin_flips() -> None:
    top = torch.tensor([0.95, 0.5, 0.9, 0.55, 0.6])
    right = torch.tensor([True, True, True, False, True])
    # least sure first: right 1/1, 1/2, 2/3...: the two least sure are right half the time
    assert coin_flip_band(top, right, 0.6) == 0.6
    assert coin_flip_band(top, torch.ones(5, dtype=torch.bool), 0.6) == 0.5  # no band


def test_a_finetune_refits_the_short_and_the_long_temperature() -> None:
    parent = make_checkpoint("sentiment", "sentiment-tiny", seed=2)
    parent.short_temperature = {"max_tokens": 64, "temperature": 5.0}
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(800, 2, generator=gen) * 2
    y = torch.multinomial(torch.softmax(z, -1), 1, generator=gen).squeeze(1)
    seen = z.clone()
    seen[:400] *= 6  # the short inputs' logits are six times over-confident (5.7 was seen)
    lengths = [10] * 400 + [300] * 400
    long_t, short = refit_temperatures(parent, seen, y, lengths)
    assert 0.8 < long_t < 1.25 and 4.8 < short["temperature"] < 7.5
    assert short["max_tokens"] == 64
    # too few long inputs in the sample: the long side keeps the parent's temperature
    kept, short_again = refit_temperatures(parent, seen[:450], y[:450], lengths[:450])
    assert kept == parent.temperature and short_again["temperature"] == short["temperature"]


def test_the_band_is_chosen_again_on_chat_length_texts_only(tmp_path) -> None:
    predictor = Predictor(make_checkpoint("sentiment", "sentiment-tiny", seed=2), "cpu")
    short = [(f"good film {i}", "positive") for i in range(150)] + [
        (f"bad plot {i}", "negative") for i in range(150)]
    review = " ".join(["good film"] * 60)
    top, label = predictor.probabilities(predictor.prepare_many([t for t, _ in short])).max(-1)
    right = label == torch.tensor([predictor.labels.index(y) for _, y in short])
    assert choose_band(predictor, short) == {
        NOT_SURE_BELOW: coin_flip_band(top, right, BAND_ACCURACY)}
    assert choose_band(predictor, short[:100] + [(review, "positive")] * 300) == {}
