"""Lone emoji as sure as the tweets marked with them, by training only the emoji's own rows.

The chat frames taught that a token alone is seldom sure, and emoji sent alone drifted under
what the marked tweets teach (training/chat_marks.py): "🔥" read 53% positive and not sure
where 68% of the tweets carrying it are positive. Retraining the model with the emoji alone
(`--emoji-alone`) fixed that and moved everything else by a seed's luck (docs/results.md,
"Sentiment: emoji said alone"). Here every weight stays as it is but the embedding rows of
the emoji the examples read: each taught emoji alone as often positive as its share
(training/alone.py `said_alone` over the emoji of `mark_shares`), and the training tweets
the marks give an emoji, so that a row keeps what it means in a message. The model reads in
eval mode, at the short-input temperature it is served with, so the fit is to what a person
sees. A text without those emoji reads exactly as before, so the calibration and the
not-sure band, chosen on text without emoji, stay valid.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from inference.checkpoint import Checkpoint, load_checkpoint, save_checkpoint, unique_version
from inference.models import pad_batch
from training.alone import said_alone
from training.chat_marks import mark_shares, with_marks
from training.data import locate
from training.emoji_kin import emoji_unit
from training.finetune import encode_pairs
from training.recipes import UsageError
from training.sentences import tweet_splits
from training.splits import ChatSentiment


@dataclass
class EmojiRowsConfig:
    epochs: int = 4
    lr: float = 5e-3
    batch_size: int = 64


def emoji_examples(ckpt: Checkpoint, data: str | Path | None) -> list[tuple[str, int]]:
    """Each taught emoji alone, then the training tweets its marks give an emoji, drawn as
    the model's own training drew them (its seed)."""
    shares = {mark: share for mark, share in mark_shares().items() if emoji_unit(mark)}
    seed = ckpt.metrics.get("hyperparameters", {}).get("seed", 0)
    tweets = tweet_splits(locate("sentiment140", data))["train"]
    marked = with_marks(tweets, ChatSentiment.TWEET_MARKS, seed)
    return said_alone(shares) + [(text, y) for (text, y), (plain, _) in
                                 zip(marked, tweets, strict=True)
                                 if text != plain
                                 and emoji_unit(text.replace(plain, "", 1).strip())]


def refit_emoji_rows(ckpt: Checkpoint, examples: list[tuple[str, int]],
                     cfg: EmojiRowsConfig) -> tuple[Checkpoint, int]:
    """`ckpt` with the rows of the emoji `examples` read fitted to them, a new version; and
    how many rows moved."""
    seqs, ys = encode_pairs(ckpt, [(text, ckpt.labels[y]) for text, y in examples])
    rows = sorted({i for seq in seqs for i in seq if ckpt.vocab.itos[i].startswith("emoji_")})
    if not rows:
        raise UsageError(f"{ckpt.version} reads none of the marks' emoji")
    model = ckpt.build_model(torch.device("cpu"))  # in eval mode: as served
    model.requires_grad_(False)
    embed = model.embed.weight.requires_grad_(True)
    moves = torch.zeros(embed.size(0), 1)
    moves[rows] = 1.0
    opt = torch.optim.Adam([embed], lr=cfg.lr)
    order = list(range(len(seqs)))
    for epoch in range(cfg.epochs):
        random.Random(epoch).shuffle(order)
        batches = [order[k:k + cfg.batch_size] for k in range(0, len(order), cfg.batch_size)]
        for batch in (bar := tqdm(batches, desc=f"emoji rows {epoch + 1}/{cfg.epochs}")):
            ids, lengths = pad_batch([seqs[i] for i in batch])
            loss = F.cross_entropy(model(ids, lengths) / ckpt.temperatures(lengths.tolist()),
                                   torch.tensor([ys[i] for i in batch]))
            opt.zero_grad()
            loss.backward()
            embed.grad *= moves  # every other row, and every other weight, stays
            opt.step()
            bar.set_postfix(loss=f"{loss.item():.4f}")
    fitted = ckpt.state_dict["embed.weight"].clone()
    fitted[rows] = embed.detach()[rows].half().to(fitted.dtype)  # as precise as the file
    state = {**ckpt.state_dict, "embed.weight": fitted}
    return replace(ckpt, state_dict=state, parent=ckpt.version,
                   version=unique_version(ckpt.task, {ckpt.version})), len(rows)


def emoji_rows_command(task: str, checkpoint: Path, data: str | Path | None,
                       cfg: EmojiRowsConfig | None = None) -> Checkpoint:
    """Refit a sentiment checkpoint's emoji rows in place, as a new version."""
    if task != "sentiment":
        raise UsageError("only sentiment reads emoji")
    ckpt = load_checkpoint(checkpoint, task)
    cfg = cfg or EmojiRowsConfig()
    examples = emoji_examples(ckpt, data)
    new, moved = refit_emoji_rows(ckpt, examples, cfg)
    new.metrics = {**new.metrics, "emoji_rows": moved,
                   "emoji_rows_fit": {"examples": len(examples), **asdict(cfg)}}
    save_checkpoint(new, checkpoint)
    print(f"{checkpoint}: {new.version} (from {new.parent}): {moved} emoji rows fitted to "
          f"{len(examples)} examples")
    return new
