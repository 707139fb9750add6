"""Fitting a sentiment model's emoji rows, and nothing else (training/emoji_rows.py)."""

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from inference.checkpoint import load_checkpoint, save_checkpoint
from inference.predictor import Predictor
from inference.text import Vocab
from tests.helpers import SHORT_WORDS, make_checkpoint, short_data
from training.alone import held_out
from training.chat_marks import mark_shares
from training.cli import main as training_main
from training.data import locate
from training.emoji_kin import emoji_unit
from training.emoji_rows import EmojiRowsConfig, emoji_examples, refit_emoji_rows
from training.sentences import tweet_splits

EMOJI = ("🔥", "😍", "👎", "😂")


def with_emoji(version: str = "sentiment-20260101-000001"):
    """A tiny chat-pipeline sentiment model whose vocabulary holds a few of the marks' emoji,
    read short at a temperature of its own."""
    ckpt = make_checkpoint("sentiment", version, seed=3)
    ckpt = replace(ckpt, preprocess_version=None,  # the newest, the chat pipeline
                   short_temperature={"max_tokens": 64, "temperature": 1.2})
    units = [emoji_unit(e) for e in EMOJI]
    embed = ckpt.state_dict["embed.weight"]
    torch.manual_seed(5)
    rows = torch.randn(len(units), embed.size(1))
    return replace(ckpt, vocab=Vocab((*ckpt.vocab.itos, *units)),
                   config=replace(ckpt.config, vocab_size=len(ckpt.vocab) + len(units)),
                   state_dict={**ckpt.state_dict, "embed.weight": torch.cat([embed, rows])})


def positive(predictor: Predictor, text: str) -> float:
    [answer] = predictor.predict([text])
    return dict(answer.top)["positive"]


def test_only_the_emoji_rows_move_and_a_lone_emoji_reaches_its_share() -> None:
    ckpt = with_emoji()
    examples = ([("🔥", 1)] * 7 + [("🔥", 0)] * 3 + [("👎", 0)] * 9 + [("👎", 1)]
                + [("good film 😍", 1), ("awful plot 😍", 0)] * 3)
    new, moved = refit_emoji_rows(ckpt, examples, EmojiRowsConfig(epochs=300, lr=0.05))
    assert moved == 3  # 🔥, 👎 and 😍; 😂 is in no example
    assert (new.parent, new.task) == (ckpt.version, "sentiment") and new.version != ckpt.version
    for name, weights in ckpt.state_dict.items():
        if name != "embed.weight":
            assert torch.equal(new.state_dict[name], weights), name
    ids = {ckpt.vocab.encode([emoji_unit(e)])[0] for e in ("🔥", "👎", "😍")}
    old, fitted = ckpt.state_dict["embed.weight"], new.state_dict["embed.weight"]
    for i in range(len(ckpt.vocab)):
        assert torch.equal(fitted[i], old[i]) is (i not in ids), ckpt.vocab.itos[i]
    before, after = Predictor(ckpt), Predictor(new)
    # a text without those emoji reads exactly as before, as served
    for text in (" ".join(SHORT_WORDS[:4]), "boring plot 😂", "loved it"):
        assert positive(after, text) == positive(before, text)
    # alone, each emoji reads as often positive as its examples are, as served
    assert positive(after, "🔥") == pytest.approx(0.7, abs=0.05)
    assert positive(after, "👎") == pytest.approx(0.1, abs=0.05)


def test_the_examples_are_the_taught_emoji_alone_and_the_tweets_they_mark(
        tmp_path: Path) -> None:
    data = short_data(tmp_path / "data", n=2000)
    examples = emoji_examples(with_emoji(), data)
    shares = {m: s for m, s in mark_shares().items() if emoji_unit(m)}
    alone = [(t, y) for t, y in examples if t in shares]
    assert {t for t, _ in alone} == set(shares) - set(held_out(shares))  # no emoticon
    assert sum(y for t, y in alone if t == "😍") == round(10 * shares["😍"])
    marked = [t for t, _ in examples if t not in shares]
    train = {text for text, _ in tweet_splits(locate("sentiment140", data))["train"]}
    # each a training tweet with one emoji of the marks at its start or its end
    assert marked and all(t.split(" ", 1)[1] in train if t.startswith(tuple(shares))
                          else t.endswith(tuple(shares)) and t.rsplit(" ", 1)[0] in train
                          for t in marked)
    # a tenth of them (training/chat_marks.py: an emoji for half of a fifth)
    assert 0.07 < len(marked) / len(train) < 0.13


def test_the_command_fits_in_place_as_a_new_version_and_refuses_what_it_cannot(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = short_data(tmp_path / "data", n=300)
    path = tmp_path / "sentiment.safetensors"
    save_checkpoint(with_emoji(), path)
    assert training_main(["emoji-rows", "sentiment", "--checkpoint", str(path),
                          "--data", str(data)]) == 0
    fitted = load_checkpoint(path)
    assert fitted.parent == "sentiment-20260101-000001" and fitted.metrics["emoji_rows"] >= 3
    fit = fitted.metrics["emoji_rows_fit"]  # how it was fitted
    assert fit["examples"] > 0 and (fit["epochs"], fit["lr"], fit["batch_size"]) == (4, 5e-3, 64)
    assert "emoji rows fitted" in capsys.readouterr().out
    save_checkpoint(make_checkpoint("sentiment", "sentiment-20260101-000002"), path)
    assert training_main(["emoji-rows", "sentiment", "--checkpoint", str(path),
                          "--data", str(data)]) == 2  # no emoji in its vocabulary
    assert "none of the marks' emoji" in capsys.readouterr().err
    assert training_main(["emoji-rows", "origin", "--checkpoint", str(path),
                          "--data", str(data)]) == 2
    assert "only sentiment reads emoji" in capsys.readouterr().err
