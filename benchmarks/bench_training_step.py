"""Why the models use right-padded batches and one CPU thread: measure, don't assume.

Times one training step (forward + backward + AdamW) of the sentiment bi-LSTM on an
IMDB-sized batch three ways: packed sequences (`pack_padded_sequence` through a standard
bidirectional nn.LSTM), the same nn.LSTM on the padded batch, and seqbot's SeqClassifier
(padded, reverse-within-length backward direction); each with 1 and 2 intra-op threads.

    python -m benchmarks.bench_training_step [--steps 5] [--batch 64] [--max-len 400]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch
from torch import nn

from inference.models import ModelConfig, SeqClassifier

RESULTS = Path(__file__).with_name("results") / "training_step.json"


class PackedLSTM(nn.Module):
    """The tutorials' way: a bidirectional nn.LSTM over packed sequences."""

    def __init__(self, vocab: int, emb: int, hidden: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, emb, padding_idx=0)
        self.lstm = nn.LSTM(emb, hidden, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * hidden, 2)
        self.packed = True

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        x = self.embed(ids)
        if self.packed:
            x = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True,
                                                  enforce_sorted=False)
        _, (h, _) = self.lstm(x)
        return self.head(torch.cat([h[0], h[1]], dim=-1))


def time_steps(model: nn.Module, ids: torch.Tensor, lengths: torch.Tensor, steps: int) -> float:
    opt = torch.optim.AdamW(model.parameters())
    y = torch.randint(0, 2, (ids.size(0),))
    times = []
    for _ in range(steps + 1):  # the first step warms up allocators
        start = time.perf_counter()
        loss = nn.functional.cross_entropy(model(ids, lengths), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--max-len", type=int, default=400)
    args = parser.parse_args()
    torch.manual_seed(0)
    vocab, emb, hidden = 30000, 128, 128
    # a length-bucketed batch: similar lengths, as the training loader builds them
    lengths = torch.randint(int(args.max_len * 0.8), args.max_len + 1, (args.batch,))
    ids = torch.randint(2, vocab, (args.batch, int(lengths.max())))
    ids[torch.arange(ids.size(1))[None, :] >= lengths[:, None]] = 0
    rows = []
    for threads in (1, 2):
        torch.set_num_threads(threads)
        packed = PackedLSTM(vocab, emb, hidden)
        padded = PackedLSTM(vocab, emb, hidden)
        padded.packed = False
        ours = SeqClassifier(ModelConfig(vocab, 2, emb, hidden, 1, "lstm"))
        for name, model in (("packed nn.LSTM", packed), ("padded nn.LSTM", padded),
                            ("seqbot SeqClassifier", ours)):
            seconds = time_steps(model, ids, lengths, args.steps)
            rows.append({"model": name, "threads": threads, "step_s": round(seconds, 4)})
            print(f"{name:<22} threads={threads}  {seconds * 1000:8.1f} ms/step", flush=True)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"batch": args.batch, "max_len": args.max_len,
                                   "torch": torch.__version__, "rows": rows}, indent=2))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
