"""The training loop both tasks share: AdamW, cosine schedule, early stopping on validation."""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn
from tqdm.auto import tqdm

from inference.models import pad_batch
from training.batching import bucket_batches


@dataclass
class History:
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_score: list[float] = field(default_factory=list)
    best_epoch: int = 0
    seconds: float = 0.0


@torch.inference_mode()
def predict_logits(
    model: nn.Module, seqs: list[list[int]], batch_size: int, device: torch.device
) -> torch.Tensor:
    """Logits for every sequence, in the given order (batched by length for speed)."""
    model.eval()
    if not seqs:
        return torch.empty(0, 0)
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
    chunks = [model(*pad_batch([seqs[i] for i in order[s : s + batch_size]], device)).float()
              for s in range(0, len(order), batch_size)]
    logits = torch.cat(chunks).cpu()
    out = torch.empty_like(logits)
    out[order] = logits
    return out


def warmup_cosine(opt: torch.optim.Optimizer, steps_per_epoch: int,
                  epochs: int) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up over the first epoch (at most a tenth of the run), then cosine decay
    to zero at the last possible step; stepped once per batch."""
    total = max(1, epochs * steps_per_epoch)
    warmup = max(1, min(steps_per_epoch, total // 10))

    def lr_factor(step: int) -> float:
        return min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * step / total))

    return torch.optim.lr_scheduler.LambdaLR(opt, lr_factor)


def train_classifier(
    model: nn.Module,
    train: tuple[list[list[int]], list[int]],
    val: tuple[list[list[int]], list[int]],
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    weight_decay: float,
    patience: int,
    score: Callable[[torch.Tensor, torch.Tensor], float],
    device: torch.device,
    seed: int = 0,
    class_weights: torch.Tensor | None = None,
    label_smoothing: float = 0.0,
    desc: str = "train",
) -> History:
    """Train until validation `score` stops improving; the model ends at its best epoch."""
    torch.manual_seed(seed)
    model.to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    steps_per_epoch = math.ceil(len(train[0]) / batch_size)
    sched = warmup_cosine(opt, steps_per_epoch, epochs)
    weights = class_weights.to(device) if class_weights is not None else None
    loss_fn = nn.CrossEntropyLoss(weight=weights, label_smoothing=label_smoothing)
    val_y = torch.tensor(val[1])
    history, best_state, best, bad = History(), None, -math.inf, 0
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        model.train()
        running, n = 0.0, 0
        bar = tqdm(bucket_batches(*train, batch_size, shuffle=True, seed=seed + epoch,
                                  device=device),
                   total=steps_per_epoch, desc=f"{desc} epoch {epoch}/{epochs}", leave=False)
        for ids, lengths, y in bar:
            loss = loss_fn(model(ids, lengths), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            running, n = running + loss.item() * len(y), n + len(y)
            bar.set_postfix(loss=f"{running / n:.4f}")
        logits = predict_logits(model, val[0], 256, device)
        history.train_loss.append(running / n)
        history.val_loss.append(nn.functional.cross_entropy(logits, val_y).item())
        history.val_score.append(score(logits, val_y))
        tqdm.write(f"{desc} epoch {epoch}: train loss {history.train_loss[-1]:.4f}  "
                   f"val loss {history.val_loss[-1]:.4f}  val score {history.val_score[-1]:.4f}")
        if history.val_score[-1] > best:
            best, bad, history.best_epoch = history.val_score[-1], 0, epoch
            best_state = copy.deepcopy(model.state_dict())
        else:
            bad += 1
            if bad >= patience:
                tqdm.write(f"{desc}: early stop, best epoch {history.best_epoch}")
                break
    assert best_state is not None
    model.load_state_dict(best_state)
    history.seconds = time.perf_counter() - start
    return history
