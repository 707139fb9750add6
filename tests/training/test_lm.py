"""Language-model pre-training: it learns, it never sees the word it predicts, and the
classifier really starts from what it learned."""

import json
import math
import random
from pathlib import Path

import pytest
import torch

from inference.models import ModelConfig, SeqClassifier
from tests.helpers import TINY_SENTIMENT
from training.cli import main as training_main
from training.lm import BiLanguageModel, evaluate_loss, pretrain

VOCAB = 14  # two specials + 12 words


def _model(layers: int = 1) -> SeqClassifier:
    torch.manual_seed(0)
    return SeqClassifier(ModelConfig(VOCAB, 2, emb_dim=16, hidden=32, layers=layers,
                                     cell="lstm", dropout=0.0, emb_dropout=0.0))


def _sequences(n: int, seed: int, *, cyclic: bool) -> list[list[int]]:
    rng = random.Random(seed)
    words = range(2, VOCAB)
    if cyclic:  # each word fixes the next and the previous one
        return [[2 + (start + i) % 12 for i in range(rng.randint(5, 20))]
                for start in (rng.randrange(12) for _ in range(n))]
    return [[rng.choice(words) for _ in range(rng.randint(5, 20))] for _ in range(n)]


def _perplexities(cyclic: bool) -> list[float]:
    """Held-out perplexity after each epoch of pre-training on 200 sequences."""
    history = pretrain(_model(), _sequences(200, 0, cyclic=cyclic),
                       _sequences(50, 1, cyclic=cyclic), epochs=15, batch_size=16, lr=1e-2,
                       weight_decay=0.0, device=torch.device("cpu"))
    assert history.val_score == [math.exp(loss) for loss in history.val_loss]
    return history.val_score


def test_it_learns_what_can_be_predicted() -> None:
    untrained = evaluate_loss(BiLanguageModel(_model()), _sequences(50, 1, cyclic=True), 16,
                              torch.device("cpu"))
    assert math.exp(untrained) > 8 and _perplexities(cyclic=True)[-1] < 1.5


def test_it_never_sees_the_word_it_predicts() -> None:
    """On random words nothing can be predicted: a model that peeked would score ~1."""
    assert min(_perplexities(cyclic=False)) > 0.8 * 12


def test_a_second_layer_is_refused() -> None:
    with pytest.raises(ValueError, match="one-layer"):
        BiLanguageModel(_model(layers=2))


def test_sentiment_training_starts_from_the_pretrained_encoder(
    imdb_tar: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert training_main(["sentiment", "--data", str(imdb_tar), "--out", str(out),
                          *TINY_SENTIMENT, "--epochs", "1", "--lr", "1e-12", "--w2v-epochs", "0",
                          "--lm-epochs", "3", "--lm-batch-size", "8", "--device", "cpu"]) == 0
    printed = capsys.readouterr().out
    lm = json.loads((out / "sentiment_lm_metrics.json").read_text())
    assert "language model:" in printed and lm["train_loss"][-1] < lm["train_loss"][0]
    assert (out / "sentiment_lm_loss.png").stat().st_size > 0
    # with a learning rate of ~0 the classifier's encoder is the language model's, so
    # training a fresh one with the same seed and no pre-training must give other weights
    from inference.checkpoint import load_checkpoint

    pretrained = load_checkpoint(out / "sentiment.safetensors").state_dict
    assert training_main(["sentiment", "--data", str(imdb_tar), "--out", str(tmp_path / "b"),
                          *TINY_SENTIMENT, "--epochs", "1", "--lr", "1e-12", "--w2v-epochs", "0",
                          "--device", "cpu"]) == 0
    fresh = load_checkpoint(tmp_path / "b" / "sentiment.safetensors").state_dict
    assert not torch.equal(pretrained["rnns.0.fwd.weight_hh_l0"], fresh["rnns.0.fwd.weight_hh_l0"])
    assert torch.equal(pretrained["head.weight"], fresh["head.weight"])
