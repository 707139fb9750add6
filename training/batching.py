"""Length-bucketed batches: sequences of similar length share a batch, so little compute
is spent on padding, while batches are still drawn in random order every epoch."""

from __future__ import annotations

import random
from collections.abc import Iterator

import torch

from inference.models import pad_batch


def bucket_batches(
    seqs: list[list[int]],
    labels: list[int],
    batch_size: int,
    *,
    shuffle: bool,
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Yield (ids [B, T], lengths [B], labels [B])."""
    order = list(range(len(seqs)))
    rng = random.Random(seed)
    if shuffle:
        rng.shuffle(order)
    pool = batch_size * 50
    batches = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: len(seqs[i]))
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    if shuffle:
        rng.shuffle(batches)
    for batch in batches:
        ids, lengths = pad_batch([seqs[i] for i in batch], device)
        yield ids, lengths, torch.tensor([labels[i] for i in batch], device=device)
