"""Sentiment on text from outside the training data: Hutto and Gilbert's rated sentences.

The three sets of training/outside.py (tweets, product-review sentences, newspaper
editorial sentences), none of them trained or tuned on. The shipped LSTM, as served, beside
the same two baselines as benchmarks/sentiment_chat.py: the word 1-2-gram TF-IDF logistic
regression on the three training sets and VADER (compound >= 0 reads positive; VADER was
tuned on these tweets). Accuracy scores `label` on every text (an unreadable one, such as
"!", counts as wrong), and again on the clear ones, rated at least 1 away from neutral.

    python -m benchmarks.sentiment_outside --data ../shared/data [--hutto PATH]

Without --hutto the ratings are looked for in --data, then downloaded from PyPI (the
vaderSentiment 3.3.2 source archive, 2.3 MB, checked against its sha256). Writes
benchmarks/results/sentiment_outside.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from benchmarks.sentiment_chat import baseline, vader_scores
from inference.checkpoint import load_checkpoint
from inference.predictor import Predictor
from inference.registry import shipped_checkpoint
from inference.verdict import SURE
from training.data import locate
from training.metrics import expected_calibration_error
from training.outside import Rated, load_hutto
from training.short_text import short_text

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "sentiment_outside.json"
CLEAR = 1.0  # |mean rating| at least this: most raters agreed on the side


def mean(x: np.ndarray) -> float | None:
    return float(x.mean()) if len(x) else None


def scores(right: np.ndarray, rows: list[Rated]) -> dict:
    clear = np.array([abs(r.rating) >= CLEAR for r in rows])
    return {"accuracy": mean(right), "clear_accuracy": mean(right[clear])}


def lstm(predictor: Predictor, rows: list[Rated]) -> dict:
    """Accuracy as served, calibration and the not-sure band's coverage."""
    answers = predictor.predict([r.text for r in rows])
    labels = predictor.labels
    read = np.array([not isinstance(a, Exception) for a in answers])
    right = np.array([ok and a.label == labels[r.label]
                      for ok, a, r in zip(read, answers, rows, strict=True)])
    answered = [(a, r) for ok, a, r in zip(read, answers, rows, strict=True) if ok]
    probs = torch.tensor([[dict(a.top)[label] for label in labels] for a, _ in answered])
    sure = np.array([a.confidence == SURE for a, _ in answered])
    return {**scores(right, rows), "unreadable": int((~read).sum()),
            "ece": expected_calibration_error(probs, torch.tensor([r.label for _, r in answered])),
            "answered_sure": mean(sure), "sure_accuracy": mean(right[read][sure])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", help="folder with the archives (default: $SEQBOT_DATA)")
    parser.add_argument("--hutto", help="vaderSentiment-3.3.2.tar.gz, hutto_ICWSM_2014.tar.gz "
                        "or its folder (default: in --data, else downloaded)")
    parser.add_argument("--checkpoint", type=Path, default=shipped_checkpoint("sentiment"),
                        help="the model to measure (default: the shipped one)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    sets = load_hutto(locate("hutto", args.hutto or args.data))
    ckpt = load_checkpoint(args.checkpoint, "sentiment")
    predictor = Predictor(ckpt, "cpu")
    pipe, fit = baseline(args.data, short_text(args.data).val)
    out: dict = {"model_version": ckpt.version, "clear_at_least": CLEAR,
                 "linear_fit": fit, "sets": {}}
    for name, rows in sets.items():
        texts = [r.text for r in rows]
        y = np.array([r.label for r in rows])
        out["sets"][name] = {
            "n": len(rows), "clear_n": sum(abs(r.rating) >= CLEAR for r in rows),
            "lstm": lstm(predictor, rows),
            "linear": scores(pipe.predict(texts) == y, rows),
            "vader": scores((vader_scores(texts) >= 0).astype(int) == y, rows)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(f"{'set':16} {'n':>5}  {'LSTM':>6} {'TF-IDF':>6} {'VADER':>6}   clear: "
          f"{'LSTM':>6} {'TF-IDF':>6} {'VADER':>6}")
    for name, s in out["sets"].items():
        models = ("lstm", "linear", "vader")
        print(f"{name:16} {s['n']:5}  " + " ".join(f"{s[m]['accuracy']:6.3f}" for m in models)
              + "          " + " ".join(f"{s[m]['clear_accuracy'] or 0:6.3f}" for m in models))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
