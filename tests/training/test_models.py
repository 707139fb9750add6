import json
import shutil
from pathlib import Path

import pytest
import torch

from inference.checkpoint import (
    Checkpoint,
    CheckpointError,
    file_sha256,
    load_checkpoint,
    save_checkpoint,
)
from inference.models import ModelConfig, SeqClassifier, pad_batch, reverse_padded
from inference.predictor import Predictor
from inference.tasks import SENTIMENT
from inference.text import Vocab
from tests.helpers import (
    TINY_SENTIMENT,
    make_checkpoint,
    promote,
    short_data,
    write_checkpoint,
)
from training.cli import main as training_main
from training.data import clean_name_splits
from training.evaluate import evaluate_examples
from training.metrics import (
    confusion_matrix,
    expected_calibration_error,
    fit_temperature,
    per_class,
    summarize,
)
from training.origin import SURE_ACCURACY
from training.ready import answers, sure_threshold


def _checkpoint(cell: str = "gru", layers: int = 2) -> Checkpoint:
    torch.manual_seed(0)
    config = ModelConfig(vocab_size=12, n_classes=3, emb_dim=8, hidden=6, layers=layers, cell=cell)
    vocab = Vocab(("<pad>", "<unk>", *"abcdefghij"))
    return Checkpoint("origin", config, vocab, ("X", "Y", "Z"), SeqClassifier(config).state_dict(),
                      "origin-test", temperature=1.5, metrics={"test_accuracy": 0.5})


def test_reverse_padded_reverses_within_each_length() -> None:
    x = torch.tensor([[1, 2, 3, 0], [4, 5, 0, 0]])
    assert reverse_padded(x, torch.tensor([3, 2])).tolist() == [[3, 2, 1, 0], [5, 4, 0, 0]]


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_a_sequence_scores_the_same_alone_or_in_any_batch(cell: str) -> None:
    model = _checkpoint(cell).build_model()
    seqs = [[2, 3, 4], [5], [6, 7, 8, 9, 10, 11, 2], [3, 3]]
    with torch.no_grad():
        batched = model(*pad_batch(seqs))
        alone = torch.cat([model(*pad_batch([s])) for s in seqs])
    assert torch.allclose(batched, alone, atol=1e-6)


def test_checkpoint_round_trip_keeps_weights_and_metadata(tmp_path: Path) -> None:
    ckpt = _checkpoint()
    sha = save_checkpoint(ckpt, tmp_path / "m.safetensors")
    assert sha == file_sha256(tmp_path / "m.safetensors")
    loaded = load_checkpoint(tmp_path / "m.safetensors", "origin")
    for key, value in ckpt.state_dict.items():
        assert torch.equal(loaded.state_dict[key].float(), value.half().float())
    assert (loaded.config, loaded.vocab, loaded.labels) == (ckpt.config, ckpt.vocab, ckpt.labels)
    assert (loaded.temperature, loaded.metrics, loaded.version) == (1.5, ckpt.metrics,
                                                                    "origin-test")
    ids = pad_batch([[2, 3, 4]])
    with torch.no_grad():  # saving an already-rounded checkpoint changes nothing
        save_checkpoint(loaded, tmp_path / "again.safetensors")
        again = load_checkpoint(tmp_path / "again.safetensors")
        assert torch.equal(loaded.build_model()(*ids), again.build_model()(*ids))


def test_corrupt_truncated_or_foreign_checkpoints_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.safetensors"
    save_checkpoint(_checkpoint(), path)
    with pytest.raises(CheckpointError, match="not 'sentiment'"):
        load_checkpoint(path, "sentiment")
    truncated = tmp_path / "cut.safetensors"
    truncated.write_bytes(path.read_bytes()[:200])
    with pytest.raises(CheckpointError, match="unreadable"):
        load_checkpoint(truncated)
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "missing.safetensors")
    old = _checkpoint()
    old.preprocess_version = 0
    save_checkpoint(old, tmp_path / "old.safetensors")
    with pytest.raises(CheckpointError, match="preprocessing v0"):
        load_checkpoint(tmp_path / "old.safetensors")


def test_metrics_match_a_hand_computed_example() -> None:
    y_true, y_pred = [0, 0, 1, 1, 2], [0, 1, 1, 1, 0]
    cm = confusion_matrix(y_true, y_pred, 3)
    assert cm == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    reports = per_class(cm, ("a", "b", "c"))
    # a: P=1/2 R=1/2 F1=1/2; b: P=2/3 R=1 F1=4/5; c: P=0 R=0 F1=0
    assert [round(r.f1, 4) for r in reports] == [0.5, 0.8, 0.0]
    probs = torch.nn.functional.one_hot(torch.tensor(y_pred), 3).float() * 0.7 + 0.1
    m = summarize(probs, torch.tensor(y_true), ("a", "b", "c"))
    assert m["accuracy"] == pytest.approx(0.6)
    assert m["macro_f1"] == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    # every prediction has confidence 0.8 and 60% are right: ECE = |0.8 - 0.6|
    assert expected_calibration_error(probs, torch.tensor(y_true)) == pytest.approx(0.2)


def test_an_unanswered_input_is_wrong_and_no_class_guessed_it() -> None:
    y_true, y_pred = [0, 0, 1, 1, 2], [0, 1, 1, 1, 0]
    probs = torch.nn.functional.one_hot(torch.tensor(y_pred), 3).float() * 0.7 + 0.1
    answered = torch.tensor([False, True, True, True, True])  # the first input was refused
    m = summarize(probs, torch.tensor(y_true), ("a", "b", "c"), answered)
    assert m["accuracy"] == pytest.approx(0.4)
    assert m["confusion"] == [[0, 1, 0], [0, 2, 0], [1, 0, 0]]
    # a: P=0/1 R=0/2 F1=0 (its support still counts the refused one); b: 4/5; c: 0
    assert [m["per_class"][c]["support"] for c in "abc"] == [2, 2, 1]
    assert m["macro_f1"] == pytest.approx(0.8 / 3)
    assert m["ece"] == pytest.approx(0.8 - 0.4)


def test_evaluation_counts_a_refused_input_wrong_whatever_its_label() -> None:
    predictor = Predictor(make_checkpoint("origin", "origin-eval"))
    for label in predictor.labels[:2]:  # the first label is what uniform scores point to
        m = evaluate_examples(predictor, [("\U0001F600\U0001F600", label)])
        assert (m["refused"], m["accuracy"], m["per_class"][label]["support"]) == (1, 0.0, 1)


def test_temperature_fit_recovers_an_overconfident_scale() -> None:
    torch.manual_seed(0)
    true_logits = torch.randn(4000, 5)
    y = torch.distributions.Categorical(logits=true_logits).sample()
    assert fit_temperature(true_logits * 2.0, y) == pytest.approx(2.0, abs=0.15)


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert training_main(argv) == 0
    return capsys.readouterr().out


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """What training says on stderr when it refuses these arguments."""
    with pytest.raises(SystemExit):
        training_main(argv)
    return capsys.readouterr().err


def test_tiny_origin_training_learns_and_reevaluates_exactly(
    names_zip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    _run(["origin", "--data", str(names_zip), "--out", str(out), "--epochs", "12",
          "--hidden", "32", "--layers", "1", "--emb-dim", "16", "--patience", "12",
          "--batch-size", "32", "--device", "cpu"], capsys)
    report = json.loads((out / "origin_metrics.json").read_text())
    losses = report["history"]["train_loss"]
    assert losses[-1] < 0.7 * losses[0]
    assert report["test"]["accuracy"] > 3 / 18  # chance is 1/18
    for name in ("origin.safetensors", "origin_loss.png", "origin_confusion.png",
                 "origin_report.txt"):
        assert (out / name).stat().st_size > 0
    printed = _run(["evaluate", "origin", "--data", str(names_zip), "--checkpoint",
                    str(out / "origin.safetensors"), "--json"], capsys)
    again = json.loads(printed)
    ckpt = load_checkpoint(out / "origin.safetensors")
    assert again["accuracy"] == ckpt.metrics["test_accuracy"] == report["test"]["accuracy"]
    assert again["macro_f1"] == ckpt.metrics["test_macro_f1"]
    assert again["model_version"] == ckpt.version and again["n"] == report["test"]["n"]
    assert ckpt.metrics["protocol"] == "clean" and "warning" not in capsys.readouterr().err
    # made ready to serve: every split's names to answer from, a threshold from validation
    splits = clean_name_splits(names_zip)
    assert set(ckpt.known_inputs) == set(splits.train + splits.val + splits.test)
    assert 0 < ckpt.verdicts["not_sure_below"] <= 1


def test_ready_adds_known_inputs_and_verdicts_but_never_scores_from_memory(
    names_zip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The memory holds the test names too (serving uses every split), yet the recorded
    test figures are the model's: a random model would score ~1.0 from memory."""
    path = write_checkpoint(tmp_path / "origin.safetensors", "origin", "origin-r", seed=4)
    _run(["ready", "origin", "--checkpoint", str(path), "--data", str(names_zip)], capsys)
    ckpt = load_checkpoint(path, "origin")
    splits = clean_name_splits(names_zip)
    assert set(ckpt.known_inputs) == set(splits.train + splits.val + splits.test)
    assert ckpt.metrics["known_inputs"]["pairs"] == len(ckpt.known_inputs)
    top, right = answers(Predictor(ckpt), splits.val)
    assert ckpt.verdicts == {"not_sure_below": sure_threshold(top, right, SURE_ACCURACY)}
    printed = _run(["evaluate", "origin", "--data", str(names_zip), "--checkpoint", str(path),
                    "--json"], capsys)
    again = json.loads(printed)
    assert again["accuracy"] == ckpt.metrics["test_accuracy"] < 0.5
    assert ckpt.version == "origin-r"  # the model is the same one


def test_the_sure_threshold_is_the_lowest_with_enough_right_above_it() -> None:
    top = torch.tensor([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    right = torch.tensor([True, True, False, True, False, False])
    assert sure_threshold(top, right, 0.75) == 0.6  # 3 of the top 4 right
    assert sure_threshold(top, right, 1.0) == 0.8
    assert sure_threshold(top, torch.zeros(6, dtype=torch.bool), 0.9) == 1.0


def test_evaluate_defaults_to_the_model_the_bot_serves(
    names_zip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SEQBOT_MODEL_DIR", raising=False)
    monkeypatch.setenv("SEQBOT_DB", str(tmp_path / "seqbot.db"))
    promote(tmp_path / "models", "origin", "origin-20260101-000001")  # beside the database
    printed = _run(["evaluate", "origin", "--data", str(names_zip), "--json"], capsys)
    assert json.loads(printed)["model_version"] == "origin-20260101-000001"


def test_a_tutorial_protocol_model_is_evaluated_with_a_warning(
    names_zip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    _run(["origin", "--protocol", "tutorial", "--data", str(names_zip), "--out", str(out),
          "--epochs", "1", "--hidden", "8", "--emb-dim", "8", "--device", "cpu"], capsys)
    assert load_checkpoint(out / "origin.safetensors").metrics["protocol"] == "tutorial"
    assert training_main(["evaluate", "origin", "--data", str(names_zip), "--checkpoint",
                          str(out / "origin.safetensors")]) == 0
    assert "trained on the tutorial protocol" in capsys.readouterr().err


def test_tiny_sentiment_training_learns(
    imdb_tar: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    printed = _run(["sentiment", "--data", str(imdb_tar), "--out", str(out), *TINY_SENTIMENT,
                    "--epochs", "8", "--w2v-epochs", "2", "--patience", "8", "--device", "cpu"],
                   capsys)
    assert "word2vec" in printed
    report = json.loads((out / "sentiment_metrics.json").read_text())
    assert report["test"]["accuracy"] > 0.8
    assert report["short_texts"]["n"] == 80


MIXTURE = [a for a in TINY_SENTIMENT if a != "--no-chat-data"]  # the tiny chat model's flags


def test_the_chat_mixture_trains_on_reviews_phrases_and_tweets_and_finetune_replays_it(
    imdb_tar: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from training.finetune import FinetuneConfig, original_data

    data = short_data(tmp_path / "data")
    shutil.copyfile(imdb_tar, data / "aclImdb_v1.tar.gz")
    out = tmp_path / "run"
    printed = _run(["sentiment", "--data", str(data), "--out", str(out), *MIXTURE,
                    "--epochs", "1", "--w2v-epochs", "0", "--device", "cpu"], capsys)
    assert "examples (chat)" in printed
    ckpt = load_checkpoint(out / "sentiment.safetensors")
    assert ckpt.metrics["dataset"] == "chat" and ckpt.preprocess_version == 6
    words = set(ckpt.vocab.itos)
    assert {"zorblax", "positive", "negative"} <= words  # the phrases' and tweets' own words
    assert {"emo_smile", "emo_frown"} <= words  # Sentiment140's emoticons, given back
    replayed = {text for text, _ in original_data("sentiment", data, ckpt, FinetuneConfig()).train}
    assert any("zorblax" in t for t in replayed) and any("<br />" in t for t in replayed)
    imdb_parent = make_checkpoint("sentiment", "sentiment-v1")  # records no data set: IMDB
    replayed = {t for t, _ in original_data("sentiment", data, imdb_parent, FinetuneConfig()).train}
    assert replayed and not any("zorblax" in t for t in replayed)


def _tiny_chat_model(imdb_tar: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                     *flags: str) -> tuple[Path, Path, str]:
    """A data folder with every chat data set, a tiny chat model trained on it with these
    flags, and what the run printed."""
    data = short_data(tmp_path / "data")
    shutil.copyfile(imdb_tar, data / "aclImdb_v1.tar.gz")
    first = tmp_path / "first" / "sentiment.safetensors"
    printed = _run(["sentiment", "--data", str(data), "--out", str(first.parent), *MIXTURE,
                    *flags, "--epochs", "1", "--w2v-epochs", "0", "--device", "cpu"], capsys)
    return data, first, printed


def _continued(imdb_tar: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
               *flags: str) -> tuple[Path, Path, Checkpoint, Checkpoint, str]:
    """A tiny chat model continued for an epoch with these flags: the data folder, the
    model's path, the model, the continued one, and what the run printed."""
    data, first, _ = _tiny_chat_model(imdb_tar, tmp_path, capsys)
    out = tmp_path / "continued"
    printed = _run(["sentiment", "--data", str(data), "--out", str(out), *MIXTURE, *flags,
                    "--init", str(first), "--epochs", "1", "--device", "cpu"], capsys)
    return (data, first, load_checkpoint(first), load_checkpoint(out / "sentiment.safetensors"),
            printed)


def test_a_chat_model_continues_on_the_neutral_mixture_with_its_own_vocabulary(
    imdb_tar: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, first, parent, child, printed = _continued(imdb_tar, tmp_path, capsys,
                                                     "--min-freq", "5", "--neutral-words")
    assert "examples (chat+neutral)" in printed and "word2vec" not in printed
    assert child.vocab.itos == parent.vocab.itos  # not rebuilt, though --min-freq differs
    assert child.metrics["dataset"] == "chat+neutral"
    assert child.metrics["init_version"] == parent.version
    assert any(not torch.equal(child.state_dict[k], parent.state_dict[k])
               for k in parent.state_dict)
    sentiment = ["sentiment", "--data", str(data), "--out", str(tmp_path / "x")]
    assert "(it differs in hidden); give its own model flags" in _refused(
        [*sentiment, *MIXTURE, "--hidden", "32", "--init", str(first), "--device", "cpu"], capsys)
    for flag in ("--neutral-words", "--negation-frames", "--question-frames",
                 "--double-negation", "--said-alone", "--contrast-frames", "--idiom-frames",
                 "--advice-frames"):
        assert f"{flag} adds to the chat mixture; drop --no-chat-data" in _refused(
            [*sentiment, *TINY_SENTIMENT, flag, "--device", "cpu"], capsys)
    assert "--double-negation changes the negation frames; give --negation-frames" in _refused(
        [*sentiment, *MIXTURE, "--double-negation", "--device", "cpu"], capsys)


def test_emoji_kin_grows_a_continued_models_vocabulary_and_it_serves_the_new_emoji(
    imdb_tar: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from inference.predictor import Predictor
    from training.emoji_kin import emoji_unit

    _, _, parent, child, printed = _continued(imdb_tar, tmp_path, capsys, "--emoji-kin")
    added = child.vocab.itos[len(parent.vocab):]
    assert child.vocab.itos[:len(parent.vocab)] == parent.vocab.itos  # ids keep their meaning
    assert added and all(unit.startswith("emoji_") for unit in added)
    assert f"emoji kin: {len(added)} emoji join the vocabulary" in printed
    assert child.metrics["emoji_kin_rows"] == len(added)
    assert child.config.vocab_size == len(child.vocab)
    served = Predictor(child)
    read = {emoji: child.vocab.itos[served.prepare(f"the cake {emoji}").ids[-1]]
            for emoji in "🏆🎂🎄🤮🤣"}  # marks training meets, newer faces with known kin
    assert {unit for unit in read.values() if unit in added}  # served as learnt, not <unk>
    assert all(unit == emoji_unit(emoji) or unit == "<unk>" for emoji, unit in read.items())


def test_emoji_kin_joins_a_new_models_vocabulary_once_it_is_trained(
    imdb_tar: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dataclasses import replace

    from inference.text import Vocab
    from training.emoji_kin import with_emoji_kin

    _, path, printed = _tiny_chat_model(imdb_tar, tmp_path, capsys, "--emoji-kin")
    grown = load_checkpoint(path)
    n = len(grown.vocab) - grown.metrics["emoji_kin_rows"]
    embed = grown.state_dict["embed.weight"].float()
    trained = replace(grown, vocab=Vocab(grown.vocab.itos[:n]),
                      config=replace(grown.config, vocab_size=n),
                      state_dict={**grown.state_dict, "embed.weight": embed[:n]})
    expected, added = with_emoji_kin(trained)  # the rows its trained rows give
    assert added and grown.vocab.itos == expected.vocab.itos
    assert all(unit.startswith("emoji_") for unit in added)
    assert torch.allclose(embed, expected.state_dict["embed.weight"].half().float())
    assert f"emoji kin: {len(added)} emoji join the trained model's vocabulary" in printed
    assert grown.metrics["emoji_kin_rows"] == len(added) and grown.parent is None  # one save
    report = json.loads((path.parent / "sentiment_metrics.json").read_text())
    assert report["checkpoint"]["emoji_kin_rows"] == len(added) and "short_texts" in report
    # scored as saved, the kin rows in: the test figures sit beside the kin's count
    assert report["checkpoint"]["test_accuracy"] == grown.metrics["test_accuracy"]
    assert report["test"]["model_version"] == grown.version


def test_a_model_of_a_pipeline_the_newest_extends_continues_under_the_newest(
    imdb_tar: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, first, _ = _tiny_chat_model(imdb_tar, tmp_path, capsys)
    older = load_checkpoint(first)
    older.preprocess_version = 3  # v6 extends v5, v5 v4, v4 v3: their units are v3's
    save_checkpoint(older, tmp_path / "v3.safetensors")
    _run(["sentiment", "--data", str(data), "--out", str(tmp_path / "continued"), *MIXTURE,
          "--init", str(tmp_path / "v3.safetensors"), "--epochs", "1", "--device", "cpu"],
         capsys)
    child = load_checkpoint(tmp_path / "continued" / "sentiment.safetensors")
    assert child.preprocess_version == 6 and child.vocab.itos == older.vocab.itos
    assert SENTIMENT.continuable() == {2, 3, 4, 5, 6}
    older.preprocess_version = 1  # another tokenizer and vocabulary altogether
    save_checkpoint(older, tmp_path / "v1.safetensors")
    assert "reads text with preprocessing v1; training uses v6" in _refused(
        ["sentiment", "--data", str(data), "--out", str(tmp_path / "x"), *MIXTURE,
         "--init", str(tmp_path / "v1.safetensors"), "--device", "cpu"], capsys)


def test_self_training_keeps_only_what_the_teacher_is_sure_of(
    imdb_tar: Path, checkpoints: dict[str, Path]
) -> None:
    from inference.predictor import Predictor
    from training.data import DataError, load_imdb
    from training.sentiment import pseudo_labelled

    teacher = Predictor.load("sentiment", checkpoints["sentiment"], device="cpu")
    texts = [t for t, _ in load_imdb(imdb_tar, "unsup")]
    probs = teacher.probabilities([teacher.prepare(t) for t in texts])
    cut = float(probs.max(dim=-1).values.median())
    kept = pseudo_labelled(teacher, texts, cut)
    want = [(t, int(p.argmax())) for t, p in zip(texts, probs, strict=True) if p.max() >= cut]
    assert kept == want and 0 < len(kept) < len(texts)
    assert pseudo_labelled(teacher, texts, 1.01) == []
    with pytest.raises(DataError, match="unlabelled"):
        pseudo_labelled(teacher, [], 0.5)


def test_self_training_rounds_chain_teachers(
    imdb_tar: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    printed = _run(["sentiment", "--data", str(imdb_tar), "--out", str(out), *TINY_SENTIMENT,
                    "--epochs", "8", "--w2v-epochs", "2", "--patience", "10",
                    "--self-training-rounds", "1", "--self-training-epochs", "10",
                    "--pseudo-threshold", "0.5", "--device", "cpu"], capsys)
    first = json.loads((out / "round-0" / "sentiment_metrics.json").read_text())
    second = json.loads((out / "round-1" / "sentiment_metrics.json").read_text())
    assert first["checkpoint"]["hyperparameters"]["teacher"] == ""
    # the teacher's file by its name (not the folders it was in), and its version
    assert second["checkpoint"]["hyperparameters"]["teacher"] == "sentiment.safetensors"
    assert second["checkpoint"]["teacher_version"] == load_checkpoint(
        out / "round-0" / "sentiment.safetensors").version
    assert len(second["history"]["train_loss"]) == 10
    assert "self-training:" in printed and second["test"]["accuracy"] > 0.8


def test_ready_refuses_a_missing_checkpoint_clearly(names_zip: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert training_main(["ready", "origin", "--checkpoint", str(tmp_path / "none"),
                          "--data", str(names_zip)]) == 2
    assert capsys.readouterr().err.startswith("error: checkpoint not found")
