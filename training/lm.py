"""Language-model pre-training of the sentiment encoder on reviews nobody labelled.

The classifier's bi-LSTM is two causal LSTMs (see inference.models), so each can learn as a
language model on its own: the forward one predicts the next word, the backward one the
previous word. The embeddings and both LSTMs then start the classifier, which brings what
70,000 reviews without labels taught them to the 22,500 labelled ones (Dai & Le, 2015;
ULMFiT). The word predictors are thrown away after pre-training; only the encoder ships.
"""

from __future__ import annotations

import math
import time

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from inference.models import SeqClassifier, reverse_padded
from training.batching import bucket_batches
from training.loop import History, warmup_cosine


def adaptive_cutoffs(vocab_size: int) -> list[int]:
    """Frequency bands of the adaptive softmax (the vocabulary is sorted by frequency):
    frequent words get the full hidden size, rare ones a cheaper projection."""
    return [c for c in (2000, 10000) if c < vocab_size - 1] or [max(1, vocab_size // 2)]


class BiLanguageModel(nn.Module):
    """The classifier's embeddings and first bi-LSTM layer, each direction predicting the
    word that comes next in its reading order."""

    def __init__(self, classifier: SeqClassifier, dropout: float = 0.1) -> None:
        super().__init__()
        config = classifier.config
        if config.layers != 1:
            raise ValueError("language-model pre-training needs a one-layer encoder: a second "
                             "layer sees both directions, so it would see the word it predicts")
        self.embed = classifier.embed
        self.layer = classifier.rnns[0]
        # lighter than the classifier's: 15M words regularise a language model by themselves
        self.emb_drop = nn.Dropout(dropout / 2)
        self.drop = nn.Dropout(dropout)
        self.heads = nn.ModuleList(
            nn.AdaptiveLogSoftmaxWithLoss(config.hidden, config.vocab_size,
                                          adaptive_cutoffs(config.vocab_size), div_value=4.0)
            for _ in range(2))

    def forward(self, ids: Tensor, lengths: Tensor) -> tuple[Tensor, int]:
        """Mean next-word loss over both directions, and the number of words predicted."""
        steps = torch.arange(ids.size(1) - 1, device=ids.device)
        mask = steps[None, :] + 1 < lengths[:, None]  # position t predicts t + 1
        total, count = ids.new_zeros((), dtype=torch.float), int(mask.sum())
        reversed_ids = reverse_padded(ids, lengths)
        for rnn, head, seq in ((self.layer.fwd, self.heads[0], ids),
                               (self.layer.bwd, self.heads[1], reversed_ids)):
            out, _ = rnn(self.emb_drop(self.embed(seq)))
            hidden = self.drop(out[:, :-1][mask])
            total = total + head(hidden, seq[:, 1:][mask]).loss
        return total / 2, count


def pretrain(
    classifier: SeqClassifier,
    train: list[list[int]],
    val: list[list[int]],
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    weight_decay: float,
    device: torch.device,
    dropout: float = 0.1,
    seed: int = 0,
) -> History:
    """Train the classifier's encoder as a bidirectional language model, in place.

    History's val_score is the validation perplexity (lower is better); the encoder ends
    at its last epoch, since a language model this size does not overfit 18M words.
    """
    torch.manual_seed(seed)
    lm = BiLanguageModel(classifier, dropout).to(device)
    opt = torch.optim.AdamW(lm.parameters(), lr=lr, weight_decay=weight_decay)
    steps_per_epoch = math.ceil(len(train) / batch_size)
    sched = warmup_cosine(opt, steps_per_epoch, epochs)
    history, start = History(), time.perf_counter()
    for epoch in range(1, epochs + 1):
        lm.train()
        running, words = 0.0, 0
        bar = tqdm(bucket_batches(train, [0] * len(train), batch_size, shuffle=True,
                                  seed=seed + epoch, device=device),
                   total=steps_per_epoch, desc=f"language model epoch {epoch}/{epochs}",
                   leave=False)
        for ids, lengths, _ in bar:
            loss, n = lm(ids, lengths)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(lm.parameters(), 1.0)
            opt.step()
            sched.step()
            running, words = running + loss.item() * n, words + n
            bar.set_postfix(ppl=f"{math.exp(running / max(1, words)):.1f}")
        history.train_loss.append(running / max(1, words))
        history.val_loss.append(evaluate_loss(lm, val, batch_size, device))
        history.val_score.append(math.exp(history.val_loss[-1]))
        tqdm.write(f"language model epoch {epoch}: train loss {history.train_loss[-1]:.3f}  "
                   f"val loss {history.val_loss[-1]:.3f}  val perplexity "
                   f"{history.val_score[-1]:.1f}  ({time.perf_counter() - start:.0f} s)")
    history.best_epoch = epochs
    history.seconds = time.perf_counter() - start
    return history


@torch.inference_mode()
def evaluate_loss(lm: BiLanguageModel, seqs: list[list[int]], batch_size: int,
                  device: torch.device) -> float:
    """Mean next-word loss per predicted word, both directions averaged."""
    lm.eval()
    total, words = 0.0, 0
    for ids, lengths, _ in bucket_batches(seqs, [0] * len(seqs), batch_size, shuffle=False,
                                          device=device):
        loss, n = lm(ids, lengths)
        total, words = total + loss.item() * n, words + n
    return total / max(1, words)
