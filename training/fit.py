"""From encoded data to a shipped checkpoint: train, calibrate, save, evaluate, report."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from inference.checkpoint import Checkpoint, new_version, save_checkpoint
from inference.errors import InputError
from inference.models import ModelConfig, SeqClassifier
from inference.predictor import Predictor, read_rows
from inference.registry import shipped_checkpoint
from inference.text import Pipeline, Vocab
from training import plots
from training.config import training_seed
from training.evaluate import evaluate_examples, format_report
from training.loop import History, predict_logits, train_classifier
from training.metrics import fit_temperature, summarize


@dataclass
class Encoded:
    """A task's data after the shared input pipeline."""

    vocab: Vocab
    labels: tuple[str, ...]
    train: tuple[list[list[int]], list[int]]
    val: tuple[list[list[int]], list[int]]
    test: list[tuple[str, str]]  # raw inputs: evaluated through the serving pipeline
    fingerprint: str


def encode_examples(task: str, pipeline: Pipeline, vocab: Vocab, labels: tuple[str, ...],
                    pairs: list[tuple[str, str]]) -> tuple[list[list[int]], list[int]]:
    """(input, label name) pairs as the task's model reads them, label ids beside: through
    the pipeline, and a full name word by word, each word with its label
    (inference.predictor.read_rows), so training reads as serving does. Inputs the pipeline
    refuses are left out."""
    seqs, ys = [], []
    for raw, label in pairs:
        try:
            ids = pipeline.encode(vocab, raw)[1]
        except InputError:
            continue
        rows = read_rows(task, vocab, ids)
        seqs += rows
        ys += [labels.index(label)] * len(rows)
    return seqs, ys


def model_config(cfg, n_words: int, n_classes: int) -> ModelConfig:
    return ModelConfig(
        vocab_size=n_words, n_classes=n_classes, emb_dim=cfg.emb_dim,
        hidden=cfg.hidden, layers=cfg.layers, cell=cfg.cell, dropout=cfg.dropout,
        emb_dropout=cfg.emb_dropout,
    )


def selection_score(logits: torch.Tensor, y: torch.Tensor, labels: tuple[str, ...]) -> float:
    """Mean of accuracy and macro-F1: accuracy alone lets the rare classes starve."""
    m = summarize(torch.softmax(logits, -1), y, labels)
    return 0.5 * (m["accuracy"] + m["macro_f1"])


def fit(
    task: str,
    cfg,
    data: Encoded,
    out_dir: Path,
    device: torch.device,
    *,
    class_weights: torch.Tensor | None = None,
    init_state: dict[str, torch.Tensor] | None = None,
    provenance: dict | None = None,
    finish: Callable[[Checkpoint], Checkpoint] | None = None,
    ship: bool = False,
) -> tuple[Path, dict]:
    """init_state: pre-trained weights (embeddings, encoder) the classifier starts from;
    provenance: what else the checkpoint should record about its making (a teacher...);
    finish: what the trained checkpoint becomes before it is saved and scored (a new
    sentiment model's emoji kin), its metrics kept beside the test figures."""
    out_dir.mkdir(parents=True, exist_ok=True)
    config = model_config(cfg, len(data.vocab), len(data.labels))
    torch.manual_seed(training_seed(cfg))
    model = SeqClassifier(config)
    if init_state is not None:
        unexpected = model.load_state_dict(init_state, strict=False).unexpected_keys
        if unexpected:
            raise ValueError(f"pre-trained weights do not fit the model: {unexpected}")
    history = train_classifier(
        model, data.train, data.val, epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr,
        weight_decay=cfg.weight_decay, patience=cfg.patience,
        score=lambda lg, y: selection_score(lg, y, data.labels), device=device,
        seed=training_seed(cfg), class_weights=class_weights,
        label_smoothing=cfg.label_smoothing, desc=task,
    )
    # Round to the stored precision first, so every figure below is the shipped file's own.
    state = {k: v.detach().cpu().half().float() if v.is_floating_point() else v.cpu()
             for k, v in model.state_dict().items()}
    model.load_state_dict(state)
    val_logits = predict_logits(model.to(device), data.val[0], 256, device)
    temperature = fit_temperature(val_logits, torch.tensor(data.val[1]))
    ckpt = Checkpoint(task=task, config=config, vocab=data.vocab, labels=data.labels,
                      state_dict=state, version=new_version(task), temperature=temperature,
                      data_fingerprint=data.fingerprint)
    if finish is not None:
        ckpt = finish(ckpt)
    path = out_dir / f"{task}.safetensors"
    save_checkpoint(ckpt, path)  # the trained weights are safe before the test set is read
    # Scored on the CPU, where it will be served: the evaluate CLI then reproduces these
    # figures exactly, whichever device trained the model (the checkpoint in memory holds
    # what the file holds: weights at stored precision, the same temperature).
    metrics = evaluate_examples(Predictor(ckpt, "cpu"), data.test)
    ckpt.metrics = {
        **ckpt.metrics, "test_accuracy": metrics["accuracy"], "test_macro_f1": metrics["macro_f1"],
        "test_ece": metrics["ece"], "test_n": metrics["n"], "temperature": temperature,
        "train_seconds": round(history.seconds, 1), "best_epoch": history.best_epoch,
        "device": str(device), "hyperparameters": recorded(cfg), **(provenance or {}),
    }
    save_checkpoint(ckpt, path)
    write_reports(task, metrics, history, ckpt, out_dir)
    print(format_report(task, metrics))
    print(f"trained in {history.seconds:.0f} s; checkpoint {path}")
    if ship:
        shutil.copyfile(path, shipped_checkpoint(task))
        print(f"shipped as {shipped_checkpoint(task)}")
    return path, metrics


def recorded(cfg) -> dict:
    """The hyper-parameters a checkpoint records, each file a run read (GloVe's vectors, a
    teacher, the model continued) by its name: a shipped file must not carry the folders of
    the machine that trained it, and the versions it came from are recorded beside them."""
    return {key: Path(value).name if isinstance(value, str) and value else value
            for key, value in asdict(cfg).items()}


def write_reports(task: str, metrics: dict, history: History | None, ckpt: Checkpoint,
                  out_dir: Path) -> None:
    """Metrics JSON, the per-class report, and the figures (no loss curve for a model that
    was assembled rather than trained)."""
    report = {"checkpoint": ckpt.metrics, "test": metrics,
              "history": asdict(history) if history else None}
    (out_dir / f"{task}_metrics.json").write_text(json.dumps(report, indent=2))
    (out_dir / f"{task}_report.txt").write_text(format_report(task, metrics) + "\n")
    if history:
        plots.loss_curve(history, out_dir / f"{task}_loss.png", f"{task}: training curves")
    plots.confusion(metrics["confusion"], ckpt.labels, out_dir / f"{task}_confusion.png",
                    f"{task}: test confusion (row-normalised)")
