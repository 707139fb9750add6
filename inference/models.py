"""The sequence classifier behind both tasks: chars -> origin, words -> sentiment.

Batches are right-padded. Instead of `pack_padded_sequence` (whose backward pass was ~19x
slower than a padded batch on the CPU build of torch), each direction runs as a causal
unidirectional RNN: the forward one over the padded batch, the backward one over each
sequence reversed within its own length. Padding then never reaches a real position, so a
sequence scores the same alone or in any batch, and training runs at full padded speed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import torch
from torch import Tensor, nn


@dataclass(frozen=True)
class ModelConfig:
    vocab_size: int
    n_classes: int
    emb_dim: int = 64
    hidden: int = 128
    layers: int = 1
    cell: str = "gru"  # "gru" or "lstm"
    dropout: float = 0.3
    emb_dropout: float = 0.1

    def to_dict(self) -> dict:
        return asdict(self)


def reverse_padded(x: Tensor, lengths: Tensor) -> Tensor:
    """Reverse each sequence of a right-padded [B, T, ...] batch within its own length."""
    steps = torch.arange(x.size(1), device=x.device).unsqueeze(0)
    last = (lengths - 1).unsqueeze(1)
    index = torch.where(steps <= last, last - steps, steps)
    index = index.view(*index.shape, *([1] * (x.dim() - 2))).expand_as(x)
    return x.gather(1, index)


class BiRNNLayer(nn.Module):
    """One bidirectional layer built from two causal RNNs (see module docstring)."""

    def __init__(self, cell: str, input_size: int, hidden: int) -> None:
        super().__init__()
        rnn = {"gru": nn.GRU, "lstm": nn.LSTM}[cell]
        self.fwd = rnn(input_size, hidden, batch_first=True)
        self.bwd = rnn(input_size, hidden, batch_first=True)

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        out_f, _ = self.fwd(x)
        out_b, _ = self.bwd(reverse_padded(x, lengths))
        return torch.cat([out_f, reverse_padded(out_b, lengths)], dim=-1)


class SeqClassifier(nn.Module):
    """Embedding -> stacked bi-RNN -> [last states, masked max, masked mean] -> linear."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.emb_dim, padding_idx=0)
        self.emb_drop = nn.Dropout(config.emb_dropout)
        sizes = [config.emb_dim] + [2 * config.hidden] * (config.layers - 1)
        self.rnns = nn.ModuleList(BiRNNLayer(config.cell, s, config.hidden) for s in sizes)
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(6 * config.hidden, config.n_classes)

    def forward(self, ids: Tensor, lengths: Tensor) -> Tensor:
        """ids: [B, T] right-padded token ids; lengths: [B] (>= 1). Returns logits [B, C]."""
        x = self.emb_drop(self.embed(ids))
        for i, rnn in enumerate(self.rnns):
            x = rnn(self.drop(x) if i else x, lengths)
        h = self.config.hidden
        mask = (torch.arange(ids.size(1), device=ids.device)[None, :] < lengths[:, None])
        mask = mask.unsqueeze(-1)
        last_f = x[torch.arange(x.size(0), device=x.device), lengths - 1, :h]
        first_b = x[:, 0, h:]
        max_pool = x.masked_fill(~mask, float("-inf")).amax(dim=1)
        mean_pool = (x * mask).sum(dim=1) / lengths[:, None].to(x.dtype)
        features = torch.cat([last_f, first_b, max_pool, mean_pool], dim=-1)
        return self.head(self.drop(features))


class Ensemble(nn.Module):
    """Several classifiers of one vocabulary; their calibrated probabilities, averaged.

    Members trained differently (word2vec embeddings on a CPU, a pre-trained language model
    on a GPU) make different mistakes, so their average beats each of them. The output is
    the log of the averaged probabilities, which serves as logits: softmax gives the average
    back, and a temperature on top calibrates the ensemble as a whole.
    """

    def __init__(self, configs: Sequence[ModelConfig]) -> None:
        super().__init__()
        if len({(c.vocab_size, c.n_classes) for c in configs}) != 1:
            raise ValueError("ensemble members must share a vocabulary and labels")
        self.members = nn.ModuleList(SeqClassifier(c) for c in configs)
        self.register_buffer("temperatures", torch.ones(len(configs)))

    def forward(self, ids: Tensor, lengths: Tensor) -> Tensor:
        log_probs = torch.stack([
            torch.log_softmax(member(ids, lengths) / t, dim=-1)
            for member, t in zip(self.members, self.temperatures, strict=True)])
        return torch.logsumexp(log_probs, dim=0) - math.log(len(self.members))


ModelSpec = ModelConfig | tuple[ModelConfig, ...]  # one classifier, or an ensemble's members


def build_model(spec: ModelSpec) -> SeqClassifier | Ensemble:
    return SeqClassifier(spec) if isinstance(spec, ModelConfig) else Ensemble(spec)


def pad_batch(seqs: list[list[int]], device: torch.device | str = "cpu") -> tuple[Tensor, Tensor]:
    """Right-pad id lists into an [B, T] tensor plus their lengths."""
    sizes = [len(s) for s in seqs]
    width = max(sizes)
    # one tensor from padded lists: a tensor per row cost more than the rows' own data
    ids = torch.tensor([s + [0] * (width - n) for s, n in zip(seqs, sizes, strict=True)],
                       dtype=torch.long)
    return ids.to(device), torch.tensor(sizes, dtype=torch.long).to(device)
