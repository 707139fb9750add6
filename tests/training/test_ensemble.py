"""Ensembles: the average of their members, calibrated on validation, served and scored like
any checkpoint, and refused when the members do not belong together."""

import json
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from inference.checkpoint import load_checkpoint, save_checkpoint
from inference.models import Ensemble, pad_batch
from inference.predictor import Predictor
from tests.helpers import NAMES, TINY_SENTIMENT, make_checkpoint, write_names_zip
from training.cli import main as training_main
from training.ensemble import EnsembleError, combine

TINY = ["--epochs", "6", "--hidden", "16", "--layers", "1", "--emb-dim", "8",
        "--batch-size", "32", "--device", "cpu"]


@pytest.fixture(scope="module")
def members(names_zip: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two tiny origin models of the same data split, differing by seed and cell."""
    root = tmp_path_factory.mktemp("members")
    for i, cell in enumerate(("gru", "lstm")):
        assert training_main(["origin", "--data", str(names_zip), "--out", str(root / cell),
                              "--seed", str(i), "--cell", cell, *TINY]) == 0
    return [root / cell / "origin.safetensors" for cell in ("gru", "lstm")]


def test_an_ensemble_serves_the_average_of_its_calibrated_members(
    members: list[Path], names_zip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ens"
    assert training_main(["ensemble", "origin", *map(str, members), "--data", str(names_zip),
                          "--out", str(out)]) == 0
    ckpt = load_checkpoint(out / "origin.safetensors")
    assert isinstance(ckpt.config, tuple) and len(ckpt.config) == 2
    assert [m["version"] for m in ckpt.metrics["members"]] == [
        load_checkpoint(p).version for p in members]
    assert ckpt.metrics["hyperparameters"] == {"seed": 0}  # its split, for finetune
    ensemble = Predictor(ckpt)
    singles = [Predictor(load_checkpoint(p)) for p in members]
    # the models' own probabilities: the clues of a name's writing come after either
    prepared = [replace(ensemble.prepare(n), evidence=None) for n in NAMES]
    average = sum(s.probabilities(prepared) for s in singles) / 2
    want = torch.softmax(average.log() / ckpt.temperature, dim=-1)
    # temperatures are stored in float16, like the weights
    assert torch.allclose(ensemble.probabilities(prepared), want, atol=2e-3)
    report = json.loads((out / "origin_metrics.json").read_text())
    assert report["history"] is None and (out / "origin_confusion.png").stat().st_size > 0
    capsys.readouterr()
    assert training_main(["evaluate", "origin", "--data", str(names_zip), "--checkpoint",
                          str(out / "origin.safetensors"), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["accuracy"] == ckpt.metrics["test_accuracy"] == report["test"]["accuracy"]


def test_sentiment_members_share_their_split_but_not_their_weights(
    imdb_tar: Path, tmp_path: Path
) -> None:
    """--member gives another start and batch order on the same split (the seed also draws
    the IMDB validation reviews), so the ensemble's calibration data is held out from both;
    a member taught by a teacher (self-training) still shares that split."""
    paths: list[Path] = []
    for member in ("0", "1"):
        out = tmp_path / member
        taught = ["--teacher", str(paths[0]), "--pseudo-threshold", "0.5"] if paths else []
        assert training_main(["sentiment", "--data", str(imdb_tar), "--out", str(out),
                              *TINY_SENTIMENT, "--epochs", "1", "--w2v-epochs", "0",
                              "--member", member, *taught, "--device", "cpu"]) == 0
        paths.append(out / "sentiment.safetensors")
    first, second = (load_checkpoint(p) for p in paths)
    assert first.data_fingerprint == second.data_fingerprint
    assert first.vocab.itos == second.vocab.itos
    assert not torch.equal(first.state_dict["embed.weight"], second.state_dict["embed.weight"])
    assert second.metrics["hyperparameters"]["member"] == 1
    assert second.metrics["teacher_version"] == first.version
    assert training_main(["ensemble", "sentiment", *map(str, paths), "--data", str(imdb_tar),
                          "--out", str(tmp_path / "ens")]) == 0


def test_an_ensemble_scores_a_sequence_the_same_alone_or_in_any_batch() -> None:
    members = [make_checkpoint("sentiment", f"s{i}", seed=i) for i in range(3)]
    model = combine(members).build_model()
    assert isinstance(model, Ensemble)
    seqs = [[2, 3, 4], [5], [6, 7, 8, 9, 10, 11, 2], [3, 3]]
    with torch.no_grad():
        batched = model(*pad_batch(seqs))
        alone = torch.cat([model(*pad_batch([s])) for s in seqs])
    assert torch.allclose(batched, alone, atol=1e-6)
    assert torch.allclose(batched.exp().sum(-1), torch.ones(len(seqs)))


def test_members_that_do_not_belong_together_are_refused(
    members: list[Path], names_zip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = load_checkpoint(members[0])
    with pytest.raises(EnsembleError, match="at least two"):
        combine([a])
    with pytest.raises(EnsembleError, match="vocab"):
        combine([a, make_checkpoint("origin", "other", reverse_vocab=True)])
    with pytest.raises(EnsembleError, match="task"):
        combine([a, make_checkpoint("sentiment", "other")])
    other_split = tmp_path / "other.safetensors"
    save_checkpoint(replace(load_checkpoint(members[1]), data_fingerprint="0" * 16), other_split)
    with pytest.raises(EnsembleError, match="data_fingerprint"):
        combine([a, load_checkpoint(other_split)])
    nested = tmp_path / "nested"
    assert training_main(["ensemble", "origin", *map(str, members), "--data", str(names_zip),
                          "--out", str(nested)]) == 0
    assert training_main(["ensemble", "origin", str(nested / "origin.safetensors"),
                          str(members[0]), "--data", str(names_zip)]) == 2
    assert "single models" in capsys.readouterr().err
    other_data = write_names_zip(tmp_path / "other.zip", seed=1)
    assert training_main(["ensemble", "origin", *map(str, members), "--data",
                          str(other_data)]) == 2
    assert "not trained on this data split" in capsys.readouterr().err


def test_an_ensemble_fine_tunes_like_a_single_model() -> None:
    """The learning loop's tune step sees one model, whatever the checkpoint holds."""
    from training.finetune import FinetuneConfig, OriginalData, tune

    parent = combine([make_checkpoint("origin", f"o{i}", seed=i) for i in range(2)])
    pairs = [(name, "Japanese") for name in NAMES]
    original = OriginalData(train=[(n, "Russian") for n in NAMES], val=pairs, test=[],
                            test_keys=set())
    cfg = FinetuneConfig(epochs=2, min_replay=10, lr=1e-2)
    candidate, _ = tune(parent, pairs, original, cfg, torch.device("cpu"))
    assert candidate.config == parent.config and candidate.parent == parent.version
    assert not torch.equal(candidate.state_dict["members.1.head.weight"],
                           parent.state_dict["members.1.head.weight"])
    assert torch.equal(candidate.state_dict["temperatures"], parent.state_dict["temperatures"])
    before = Predictor(parent).predict(NAMES, top_k=18)
    after = Predictor(candidate).predict(NAMES, top_k=18)
    share = [dict(a.top)["Japanese"] - dict(b.top)["Japanese"]
             for a, b in zip(after, before, strict=True)]
    assert sum(share) > 0  # the corrections moved it toward what they say
