"""Tiny random checkpoints so inference tests never need the shipped weights."""

from __future__ import annotations

import string
import threading
from pathlib import Path

import torch

from inference.checkpoint import Checkpoint, save_checkpoint
from inference.models import ModelConfig, SeqClassifier
from inference.predictor import Predictor
from inference.registry import set_current, task_dir
from inference.results import Prediction
from inference.text import SPECIALS, Vocab

torch.set_num_threads(1)

ORIGIN_LABELS = (
    "Arabic", "Chinese", "Czech", "Dutch", "English", "French", "German", "Greek", "Irish",
    "Italian", "Japanese", "Korean", "Polish", "Portuguese", "Russian", "Scottish", "Spanish",
    "Vietnamese",
)
SENTIMENT_LABELS = ("negative", "positive")
WORDS = (
    "the", "a", "movie", "film", "good", "bad", "great", "awful", "plot", "acting", "not",
    "was", "is", "and", "i", "it", "loved", "hated", "boring", "!", "?",
)

NAMES = ["Nakamura", "Smith", "O'Neill", "Schmidt", "Rossi", "Dvořák", "Nguyen", "Abe",
         "Müller-Lüdenscheidt", "Papadopoulos", "Kim", "Ng", "MacDonald", "Kowalski", "Silva"]
TEXTS = ["I loved it!", "The plot was boring and the acting was awful.", "great",
         "Not good. Not bad either?", "a " * 450 + "film", "It is a film. " * 30,
         "<br />Bad movie<br/>", "I hated the movie and I hated the plot", "what a film"]


def make_checkpoint(task: str, version: str, seed: int = 0, reverse_vocab: bool = False
                    ) -> Checkpoint:
    """A random, untrained model whose outputs still differ clearly between inputs.

    reverse_vocab gives the same tokens other ids, as a retrained model's vocabulary would.
    """
    torch.manual_seed(seed)
    if task == "origin":
        chars = (*string.ascii_lowercase, " ", "-", "'")
        vocab = Vocab((*SPECIALS, *(chars[::-1] if reverse_vocab else chars)))
        config = ModelConfig(len(vocab), len(ORIGIN_LABELS), emb_dim=8, hidden=12, cell="gru")
        labels = ORIGIN_LABELS
    else:
        vocab = Vocab((*SPECIALS, *WORDS))
        config = ModelConfig(len(vocab), 2, emb_dim=8, hidden=12, cell="lstm")
        labels = SENTIMENT_LABELS
    model = SeqClassifier(config)
    state = {k: v * 3 for k, v in model.state_dict().items()}
    return Checkpoint(task, config, vocab, labels, state, version, temperature=1.5)


def write_checkpoint(path: Path, task: str, version: str, seed: int = 0,
                     reverse_vocab: bool = False) -> Path:
    save_checkpoint(make_checkpoint(task, version, seed, reverse_vocab), path)
    return path


def tiny_checkpoints(folder: Path) -> dict[str, Path]:
    """Small random checkpoints of both tasks: models to serve, not good ones."""
    return {
        "origin": write_checkpoint(folder / "origin.safetensors", "origin", "origin-tiny", 1),
        "sentiment": write_checkpoint(folder / "sentiment.safetensors", "sentiment",
                                      "sentiment-tiny", 2),
    }


def assert_same_prediction(got: Prediction, want: Prediction, tol: float = 1e-5) -> None:
    """Same input, version and labels, probabilities equal within `tol`."""
    assert (got.input, got.normalized, got.model_version, got.truncated) == (
        want.input, want.normalized, want.model_version, want.truncated)
    got_p, want_p = dict(got.top), dict(want.top)
    assert got_p.keys() == want_p.keys()
    assert all(abs(got_p[label] - want_p[label]) <= tol for label in want_p)


def promote(model_dir: Path, task: str, version: str, seed: int = 0,
            reverse_vocab: bool = False) -> Path:
    """Save a version into the registry layout and make it CURRENT."""
    path = write_checkpoint(task_dir(model_dir, task) / f"{version}.safetensors", task,
                            version, seed, reverse_vocab)
    set_current(model_dir, task, version)
    return path


def hold_model(monkeypatch) -> threading.Event:
    """Make every forward pass wait for the returned gate, so requests pile up behind it."""
    gate = threading.Event()
    predict_prepared = Predictor.predict_prepared

    def held(self, items, top_k=3):
        gate.wait(5)
        return predict_prepared(self, items, top_k)

    monkeypatch.setattr(Predictor, "predict_prepared", held)
    return gate
