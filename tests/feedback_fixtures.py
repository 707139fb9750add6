"""Tiny trained models and a feedback database the community 'voted' into.

The generated surnames (tests/data_fixtures.py) give each language a telltale suffix, so a
tiny model learns them in seconds; names with a suffix it never saw are what corrections
teach it.
"""

from __future__ import annotations

import random
from pathlib import Path

import torch

from db import CONFIRMED, FeedbackStore, Hasher
from inference.checkpoint import Checkpoint, save_checkpoint
from inference.models import ModelConfig, SeqClassifier
from inference.predictor import Predictor
from inference.registry import set_current, task_dir
from inference.tasks import task_spec
from inference.text import Vocab
from training.data import clean_name_splits, load_imdb, split_validation
from training.loop import train_classifier

HASHER = Hasher("finetune-test-secret")


def train_tiny(task: str, source: Path) -> Checkpoint:
    """A few seconds of training on the generated data: right on (nearly) all of it."""
    pipeline = task_spec(task).pipeline()
    if task == "origin":
        splits = clean_name_splits(source)
        train, val, labels = splits.train, splits.val, splits.labels
    else:
        reviews, held = split_validation(load_imdb(source, "train"), 0.1, 0)
        labels = task_spec(task).labels
        train = [(text, labels[y]) for text, y in reviews]
        val = [(text, labels[y]) for text, y in held]
    vocab = Vocab.build(pipeline.tokenize(pipeline.normalize(raw)) for raw, _ in train)

    def enc(pairs):
        return ([pipeline.encode(vocab, raw)[1] for raw, _ in pairs],
                [labels.index(label) for _, label in pairs])

    config = ModelConfig(len(vocab), len(labels), emb_dim=16, hidden=32,
                         cell="gru" if task == "origin" else "lstm")
    torch.manual_seed(0)
    model = SeqClassifier(config)
    train_classifier(model, enc(train), enc(val), epochs=25, batch_size=32, lr=1e-2,
                     weight_decay=0.0, patience=25, device=torch.device("cpu"),
                     score=lambda logits, y: (logits.argmax(-1) == y).float().mean().item())
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    return Checkpoint(task, config, vocab, labels, state, f"{task}-20260101-000001",
                      metrics={"hyperparameters": {"label_smoothing": 0.0, "seed": 0}})


def install(model_dir: Path, ckpt: Checkpoint) -> Path:
    """Promote a checkpoint into the registry layout, as an earlier fine-tune would have."""
    path = task_dir(model_dir, ckpt.task) / f"{ckpt.version}.safetensors"
    save_checkpoint(ckpt, path)
    set_current(model_dir, ckpt.task, ckpt.version)
    return path


def names_with_suffix(suffix: str, n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    names = set()
    while len(names) < n:
        stem = "".join(rng.choice("bdgklmnprstv") + rng.choice("aeiou") for _ in range(3))
        names.add((stem + suffix).capitalize())
    return sorted(names)


async def community_votes(db_path: Path, task: str, parent: Checkpoint,
                          items: list[tuple[str, str]], voters: int = 2) -> None:
    """Log what the parent answers for each (input, true label), and have `voters` people
    agree on the true label (confirming the answer when it was already right)."""
    predictor = Predictor(parent)
    normalize = parent.pipeline.normalize
    async with await FeedbackStore.open(db_path, HASHER) as store:
        for i, (raw, label) in enumerate(items):
            answer = predictor.predict([raw])[0]
            pred_id = await store.log_prediction(
                task, raw, normalize(raw), parent.version, answer.label, answer.top,
                guild_id=1, channel_id=2, author_id=10_000 + i)
            for voter in range(voters):
                await store.record_vote(pred_id, 1 + voter,
                                        CONFIRMED if label == answer.label else label)
