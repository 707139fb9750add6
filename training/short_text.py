"""Calibrate a sentiment model for chat-length text and choose its verdict thresholds, on
short-text validation data only (docs/results.md: Sentiment on chat).

- The short-text validation split: SST-2's hash-held 10% of train (phrases and sentences)
  plus Sentiment140's validation tenth (training.sentences). SST-2 dev, the held-out tweets
  and the behaviour suite are never read here.
- The temperature of short inputs (at most SHORT_TOKENS token ids: chat messages, sentences,
  tweets) minimises the negative log-likelihood on that split; longer inputs (reviews) keep
  the temperature fitted on IMDB validation (Checkpoint.short_temperature). The weights stay
  as they are.
- `not_sure_below`: the band where the answer is close to a coin flip: the highest calibrated
  top probability below which the answers on that split are right at most BAND_ACCURACY of
  the time; below it the card says "Mixed or neutral — leaning X". For two labels, a
  symmetric band of P(positive) around 1/2. (A rule on the sure answers instead, "right at
  least 75%", gave no band at all once the model was right 85% of the time on the split,
  however many of its answers were 55-45 guesses.)
- `unknown_words_at_least`: the lowest share of new words (inference.language) that flags at
  most ENGLISH_FLAGGED of the English validation texts as another language; the non-English
  "tune" half (training/eval/non_english.tsv) is reported beside it, the "final" half never.

    python -m training calibrate sentiment --checkpoint PATH --data ../shared/data
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from inference.checkpoint import Checkpoint, load_checkpoint, save_checkpoint, unique_version
from inference.predictor import Predictor, new_words
from inference.verdict import NOT_SURE_BELOW, UNKNOWN_WORDS
from training.data import locate
from training.finetune import encode_pairs
from training.loop import predict_logits
from training.metrics import expected_calibration_error, fit_temperature
from training.recipes import UsageError, recipe
from training.sentences import Example, load_sst2, sst2_splits, tweet_splits
from training.suites import non_english_cases

BAND_ACCURACY = 0.6  # answers in the not-sure band are right at most this often
ENGLISH_FLAGGED = 0.01  # the share of English validation texts the language check may flag
MIN_BAND_TEXTS = 200  # chat-length validation texts a band is chosen on, at least
SHORT_TOKENS = 64  # longer inputs read as reviews (no short-text validation text is longer)


@dataclass(frozen=True)
class ShortText:
    """Held-out short-text sets of the sentence-level data."""

    sst2_val: list[Example]
    tweets_val: list[Example]
    sst2_dev: list[Example]  # final reports only
    tweets_test: list[Example]  # final reports only

    @property
    def val(self) -> list[Example]:
        return self.sst2_val + self.tweets_val


def short_text(data: str | Path | None) -> ShortText:
    sst2, tweets = locate("sst2", data), locate("sentiment140", data)
    parts = tweet_splits(tweets)
    return ShortText(sst2_splits(sst2)[1], parts["val"], load_sst2(sst2, "dev"),
                     parts["test"])


def logits(ckpt: Checkpoint, examples: list[Example]
           ) -> tuple[torch.Tensor, torch.Tensor, list[int]]:
    """The model's raw logits (temperature 1), the labels and the lengths in token ids, of
    the readable texts."""
    seqs, ys = encode_pairs(ckpt, [(text, ckpt.labels[y]) for text, y in examples])
    return (predict_logits(ckpt.build_model(), seqs, 256, torch.device("cpu")),
            torch.tensor(ys), [len(seq) for seq in seqs])


def ece(z: torch.Tensor, y: torch.Tensor, temperature: float | torch.Tensor) -> float:
    """ECE at one temperature, or at a column of them (Checkpoint.temperatures)."""
    return expected_calibration_error(torch.softmax(z / temperature, dim=-1), y)


def coin_flip_band(top: torch.Tensor, right: torch.Tensor, at_most: float) -> float:
    """The highest top probability t such that the answers below t are right at most
    `at_most` of the time (0.5, no band, when even the least sure answers do better)."""
    order = torch.argsort(top)
    hits = right[order].float().cumsum(0) / torch.arange(1, len(top) + 1)
    ok = torch.nonzero(hits <= at_most).flatten()
    if not len(ok):
        return 0.5
    k = int(ok.max()) + 1  # the k least sure answers form the band
    return round(float(top[order][k]) if k < len(top) else 1.0, 4)


def unknown_words_threshold(ckpt: Checkpoint, english: list[str]) -> float:
    """The lowest new-word share that flags at most ENGLISH_FLAGGED of `english`."""
    shares = sorted((new_words(ckpt, t) for t in english), reverse=True)
    allowed = int(ENGLISH_FLAGGED * len(shares))
    # flagged at threshold s: the texts whose share >= s; the (allowed+1)-th highest share
    # must stay below the threshold
    above = shares[allowed]
    candidates = sorted({s for s in shares if s > above} | {1.0})
    return round(candidates[0], 4)


def calibrate(ckpt: Checkpoint, data: str | Path | None) -> dict:
    """A new temperature and verdict thresholds into `ckpt` (in memory); what was chosen and
    the validation figures behind it."""
    sets = short_text(data)
    z, y, lengths = logits(ckpt, sets.val)
    before = ckpt.temperatures(lengths)
    short = torch.tensor(lengths) <= SHORT_TOKENS
    ckpt.short_temperature = {"max_tokens": SHORT_TOKENS,
                              "temperature": fit_temperature(z[short], y[short])}
    temps = ckpt.temperatures(lengths)
    top, right = torch.softmax(z / temps, dim=-1).max(dim=-1)
    right = right == y
    not_sure_below = coin_flip_band(top, right, BAND_ACCURACY)
    unknown = unknown_words_threshold(ckpt, [t for t, _ in sets.val])
    ckpt.verdicts = {**ckpt.verdicts, NOT_SURE_BELOW: not_sure_below, UNKNOWN_WORDS: unknown}
    tune = [c.text for c in non_english_cases(part="tune")]
    sure = top >= not_sure_below
    report = {
        "validation_n": len(y), "validation_short_share": short.float().mean().item(),
        "temperature": ckpt.temperature,
        "short_temperature": ckpt.short_temperature["temperature"],
        "validation_ece_before": ece(z, y, before),
        "validation_ece": ece(z, y, temps),
        "not_sure_below": not_sure_below,
        "validation_coverage": sure.float().mean().item(),
        "validation_sure_accuracy": right[sure].float().mean().item(),
        "validation_not_sure_accuracy": right[~sure].float().mean().item() if (~sure).any()
        else None,
        "validation_accuracy": right.float().mean().item(),
        "unknown_words_at_least": unknown,
        "english_validation_flagged": sum(new_words(ckpt, t) >= unknown for t, _ in sets.val)
        / len(sets.val),
        "non_english_tune_flagged": sum(new_words(ckpt, t) >= unknown for t in tune)
        / len(tune),
    }
    ckpt.metrics = {**ckpt.metrics, "short_text_calibration": {
        k: round(v, 4) if isinstance(v, float) else v for k, v in report.items()}}
    return report


def choose_band(predictor: Predictor, val: list[tuple[str, str]]) -> dict:
    """The not-sure band again, on the chat-length inputs of `val` (after a finetune, whose
    validation sample mixes reviews and short texts); {} when it holds too few of them."""
    ckpt = predictor.ckpt
    z, y, lengths = logits(ckpt, [(text, ckpt.labels.index(label)) for text, label in val])
    short = torch.tensor(lengths) <= SHORT_TOKENS
    if short.sum() < MIN_BAND_TEXTS:
        return {}
    top, label = torch.softmax(z / ckpt.temperatures(lengths), dim=-1)[short].max(dim=-1)
    return {NOT_SURE_BELOW: coin_flip_band(top, label == y[short], BAND_ACCURACY)}


def calibrate_command(task: str, checkpoint: Path, data: str | Path | None) -> dict:
    """Calibrate a checkpoint in place: a new version (its parent the one it was), since
    every probability it gives moves with the temperature."""
    ckpt = load_checkpoint(checkpoint, task)
    how = recipe(task).calibrate
    if how is None:
        raise UsageError(f"{task} has no chat-length calibration")
    report = how(ckpt, data)
    ckpt.parent, ckpt.version = ckpt.version, unique_version(task, {ckpt.version})
    save_checkpoint(ckpt, checkpoint)
    print(f"{checkpoint}: {ckpt.version} (from {ckpt.parent})")
    for key, value in report.items():
        print(f"{key:<28} {value:.4f}" if isinstance(value, float) else f"{key:<28} {value}")
    return report
