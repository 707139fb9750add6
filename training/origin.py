"""Surname -> language of origin: data preparation for the char-level bi-GRU."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import torch

from inference.text import InputError, Vocab, encode, name_chars, normalize_name
from training.config import OriginConfig
from training.data import (
    NameSplits,
    clean_name_splits,
    fingerprint,
    locate,
    tutorial_name_splits,
)
from training.fit import Encoded


def encode_names(splits: NameSplits) -> Encoded:
    """Vocabulary from the training names only, then the shared pipeline for every split."""
    vocab = Vocab.build(name_chars(normalize_name(n)) for n, _ in splits.train)

    def enc(pairs: list[tuple[str, str]]) -> tuple[list[list[int]], list[int]]:
        seqs, ys = [], []
        for name, lang in pairs:
            try:
                seqs.append(encode("origin", vocab, name)[1])
            except InputError:
                continue
            ys.append(splits.labels.index(lang))
        return seqs, ys

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
