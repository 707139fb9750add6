"""GloVe vectors beside word2vec: read from the canonical archive's layout or a text file."""

from __future__ import annotations

import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from inference.text import Vocab
from training.config import SentimentConfig
from training.data import DataError
from training.glove import glove_embeddings, read_glove
from training.recipes import UsageError
from training.sentiment import START_SPREAD, start_embeddings, train

LINES = ["the 0.1 0.2 0.3 0.4", "good 1.0 -1.0 0.5 0.0", "bad -1.0 1.0 -0.5 0.0",
         "film 0.3 0.3 0.3 0.3"]


@pytest.fixture
def glove_txt(tmp_path: Path) -> Path:
    path = tmp_path / "glove.6B.4d.txt"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def glove_zip(tmp_path: Path) -> Path:
    path = tmp_path / "glove.6B.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("glove.6B.2d.txt", "the 0.1 0.2\n")
        archive.writestr("glove.6B.4d.txt", "\n".join(LINES) + "\n")
    return path


def test_only_the_wanted_words_are_read_from_a_text_file_or_the_archive(
        glove_txt: Path, glove_zip: Path) -> None:
    for path in (glove_txt, glove_zip):
        found = read_glove(path, ["good", "bad", "nowhere"], 4)
        assert set(found) == {"good", "bad"}
        assert torch.equal(found["good"], torch.tensor([1.0, -1.0, 0.5, 0.0]))
    assert set(read_glove(glove_zip, ["the"], 2)) == {"the"}  # the member of its dimensions


def test_a_missing_file_or_the_wrong_dimensions_say_what_to_do(tmp_path: Path,
                                                               glove_txt: Path,
                                                               glove_zip: Path) -> None:
    with pytest.raises(DataError, match=r"nlp\.stanford\.edu/projects/glove"):
        read_glove(tmp_path / "missing" / "glove.6B.zip", ["good"], 4)
    with pytest.raises(DataError, match="has 4 numbers, not 3"):
        read_glove(glove_txt, ["good"], 3)
    with pytest.raises(DataError, match="no GloVe file of 50 dimensions"):
        read_glove(glove_zip, ["good"], 50)


def test_the_glove_block_is_scaled_like_word2vec_and_zero_where_glove_lacks_a_word(
        glove_txt: Path) -> None:
    itos = ["<pad>", "<unk>", "good", "bad", "meh"]
    block = glove_embeddings(glove_txt, itos, 4, START_SPREAD)
    assert block.shape == (5, 4)
    assert torch.equal(block[0], torch.zeros(4)) and torch.equal(block[4], torch.zeros(4))
    raw = torch.tensor([[1.0, -1.0, 0.5, 0.0], [-1.0, 1.0, -0.5, 0.0]])
    assert torch.allclose(block[2:4], raw * START_SPREAD / raw.std())


def test_glove_fills_the_last_dimensions_and_word2vec_the_rest(glove_txt: Path) -> None:
    sentences = [["good", "film"], ["bad", "film"], ["the", "good", "film"]] * 20
    vocab = Vocab.build(sentences, min_freq=1, max_size=100)
    cfg = replace(SentimentConfig(), emb_dim=10, glove=str(glove_txt), glove_dim=4,
                  w2v_epochs=1, min_freq=1)
    weights = start_embeddings(cfg, vocab, sentences)
    assert weights.shape == (len(vocab), 10)
    assert torch.equal(weights[:, 6:], glove_embeddings(glove_txt, vocab.itos, 4, START_SPREAD))
    assert torch.count_nonzero(weights[vocab.itos.index("film"), :6]) == 6  # word2vec's own
    assert torch.equal(weights[0], torch.zeros(10))


@pytest.mark.parametrize("change", [{"init": "some.safetensors"}, {"w2v_epochs": 0},
                                    {"glove_dim": 128}])
def test_glove_is_refused_where_it_has_no_word2vec_to_go_beside(
        glove_txt: Path, tmp_path: Path, change: dict) -> None:
    cfg = replace(SentimentConfig(), glove=str(glove_txt), **change)
    with pytest.raises(UsageError, match="--glove"):
        train(cfg, None, tmp_path, torch.device("cpu"))
