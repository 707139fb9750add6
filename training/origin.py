"""Surname -> language of origin: data preparation for the char-level bi-GRU."""

from __future__ import annotations

import argparse
import shutil
from collections import Counter
from pathlib import Path

import torch

from inference.predictor import Predictor
from inference.registry import shipped_checkpoint
from inference.tasks import ORIGIN
from inference.text import Vocab
from training.config import OriginConfig
from training.data import (
    NameSplits,
    clean_name_splits,
    fingerprint,
    locate,
    tutorial_name_splits,
)
from training.fit import Encoded, encode_examples, fit
from training.ready import answers, ready_command, sure_threshold
from training.recipes import Recipe, UsageError

# An answer is given as "sure" at and above the lowest top probability at which the
# validation answers are right at least this often (inference.verdict).
SURE_ACCURACY = 0.9


def encode_names(splits: NameSplits) -> Encoded:
    """Vocabulary from the training names only, then the shared pipeline for every split."""
    pipeline = ORIGIN.pipeline()
    vocab = Vocab.build(pipeline.tokenize(pipeline.normalize(n)) for n, _ in splits.train)

    def enc(pairs: list[tuple[str, str]]) -> tuple[list[list[int]], list[int]]:
        return encode_examples(ORIGIN.name, pipeline, vocab, splits.labels, pairs)

    return Encoded(vocab, splits.labels, enc(splits.train), enc(splits.val), splits.test,
                   fingerprint(splits.train + splits.val + splits.test))


def load(data: str | Path | None, protocol: str = "clean") -> Encoded:
    source = locate("names", data)
    if protocol == "clean":
        return encode_names(clean_name_splits(source))
    # The tutorial protocol has no validation split: carve one from its training lines.
    tut = tutorial_name_splits(source)
    cut = int(0.9 * len(tut.train))
    return encode_names(NameSplits(tut.train[:cut], tut.train[cut:], tut.test, tut.labels))


def class_weights(data: Encoded, cfg: OriginConfig) -> torch.Tensor:
    counts = Counter(data.train[1])
    w = torch.tensor([counts.get(i, 1) ** -cfg.class_weight_power
                      for i in range(len(data.labels))], dtype=torch.float)
    return w / (w * torch.tensor([counts.get(i, 0) for i in range(len(w))])).sum() * len(
        data.train[1])


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--protocol", choices=["clean", "tutorial"], default="clean",
                        help="tutorial = random 80/20 of raw lines, for comparison only "
                             "(default %(default)s)")


def train(cfg: OriginConfig, args: argparse.Namespace, out: Path, device: torch.device) -> None:
    if args.protocol == "tutorial" and args.ship:
        raise UsageError("the tutorial protocol is for comparison only; it is never shipped")
    data = load(args.data, args.protocol)
    path, _ = fit(ORIGIN.name, cfg, data, out, device, class_weights=class_weights(data, cfg),
                  provenance={"protocol": args.protocol})
    if args.protocol == "clean":
        ready_command(ORIGIN.name, path, args.data)
    if args.ship:
        shutil.copyfile(path, shipped_checkpoint(ORIGIN.name))
        print(f"shipped as {shipped_checkpoint(ORIGIN.name)}")


def choose_verdicts(predictor: Predictor, val: list[tuple[str, str]]) -> dict:
    """Not sure below the threshold at which validation answers are SURE_ACCURACY right."""
    top, right = answers(predictor, val)
    return {"not_sure_below": sure_threshold(top, right, SURE_ACCURACY)}


RECIPE = Recipe(OriginConfig, train, add_options, choose_verdicts=choose_verdicts)
