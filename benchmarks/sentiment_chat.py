"""Sentiment on chat-length text: the shipped model beside two baselines on every set.

- the shipped LSTM, as served (short-input temperature, verdicts: training/short_text.py);
- a word 1-2-gram TF-IDF logistic regression trained on IMDB train + SST-2 train (its hash
  90%) + tweets train (their hash 80%), C chosen on the short-text validation split;
- VADER (Hutto and Gilbert 2014): compound >= 0 reads positive; |compound| < 0.05 is its
  "neutral", scored as not sure in the behaviour suite.
Sets: SST-2 dev (872), held-out tweets (the hash tenth of the shared 100k copy), the official
IMDB test set, the behaviour suite and the negation, emoji, question, idiom, advice and
comparative probes. From SST-2's validation part, words no training example uses in the way
measured:
- neutral words no training phrase has (training/neutral.py: how many read as not sure);
- qualities no training question asks about (training/questions.py `held_out`: asked in each
  frame, how many read as not sure; said, how many read right);
- words no training frame negates (training/negation.py `held_out`: negated once and twice,
  and said, how many read right);
- words no contrast frame used (training/contrast.py `held_out`: as the verdict after a
  concession, how many read right);
- words no idiom framed (training/idioms.py `held_out`: in idioms whose negation keeps their
  sense, how many read right);
and each of these as a person sees it: how many are answered as sure and right, and as sure
and wrong (`held_out_sure`).
From the training tweets, the words no one-word example teaches (training/alone.py
`held_out`: said alone, how near the tweets' share), and the emoji and emoticons the tweets are
marked with (training/chat_marks.py `mark_shares`), taught alone or held out. Then the
unknown-language check on the non-English "final" half and on English text; ECE and a
reliability diagram; the risk-coverage curve with the not-sure threshold on it.

    python -m benchmarks.sentiment_chat --data ../shared/data [--checkpoint PATH]

Writes benchmarks/results/sentiment_chat.json, docs/results/sentiment_reliability.png and
docs/results/sentiment_risk_coverage.png.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

from inference.checkpoint import load_checkpoint
from inference.predictor import Predictor, new_words
from inference.registry import shipped_checkpoint
from inference.verdict import NOT_SURE, SURE, UNKNOWN_WORDS
from training.alone import held_out as alone_held_out
from training.alone import tweet_shares
from training.chat_marks import mark_shares
from training.contrast import held_out as contrast_held_out
from training.data import load_imdb, locate
from training.idioms import held_out as idioms_held_out
from training.negation import held_out as negation_held_out
from training.neutral import unseen_neutral_words
from training.questions import held_out
from training.sentences import Example, sst2_splits, tweet_splits
from training.short_text import ece, logits, short_text
from training.suites import SUITES, Case, non_english_cases, right, run_suite, tally

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "sentiment_chat.json"
RELIABILITY = ROOT / "docs" / "results" / "sentiment_reliability.png"
RISK = ROOT / "docs" / "results" / "sentiment_risk_coverage.png"
C_GRID = (1.0, 4.0)
# the suites that expect labels
SUITES_SCORED = ("behaviour", "negation", "emoji", "questions", "idioms", "advice",
                 "comparatives")
VADER_NEUTRAL = 0.05
EVEN = 0.1  # a tweet share this close to a half: the word is used alike in both classes
LEANING = 0.15  # a tweet share this far from a half: the tweets lean one way


def suite_scores(suite: str, cases: list[Case], predictor: Predictor,
                 pipe: Pipeline) -> dict[str, dict]:
    """A hand-written suite: the LSTM with its verdicts, the baselines on labels (VADER's
    neutral as not sure), as `<suite>_lstm`, `<suite>_linear` and `<suite>_vader`."""
    result = run_suite(predictor, cases)
    out = {f"{suite}_lstm": {k: v for k, v in result.items() if k != "cases"}}
    texts = [c.text for c in cases]
    for name, said in (("linear", ["positive" if p else "negative" for p in pipe.predict(texts)]),
                       ("vader", [NOT_SURE if abs(s) < VADER_NEUTRAL else
                                  "positive" if s >= 0 else "negative"
                                  for s in vader_scores(texts)])):
        # a baseline's answer is its label, or its verdict (VADER's neutral)
        out[f"{suite}_{name}"] = tally(cases, [right(c, s, s)
                                               for c, s in zip(cases, said, strict=True)])
    return out


def answer_scores(predictor: Predictor, examples: list[tuple[str, int]]) -> dict[str, float]:
    """Of (text, label id) examples, from one pass: the share whose answer's label is theirs,
    whatever its verdict ("right"); and what a person sees, the shares answered as sure and
    right and as sure and wrong (a not-sure answer is neither)."""
    answers = predictor.predict([text for text, _ in examples])
    scored = [(a.label == predictor.labels[y], a.confidence == SURE)
              for a, (_, y) in zip(answers, examples, strict=True)]
    return {"right": sum(r for r, _ in scored) / len(scored),
            "sure_right": sum(r and s for r, s in scored) / len(scored),
            "sure_wrong": sum(s and not r for r, s in scored) / len(scored)}


def labels_right(predictor: Predictor, examples: list[tuple[str, int]]) -> float:
    """The share of (text, label id) examples whose answer's label is theirs."""
    return answer_scores(predictor, examples)["right"]


def alone_scores(predictor: Predictor, shares: dict[str, float]) -> dict:
    """How the answers to words (or emoji) said alone agree with the tweets' shares
    (training/alone.py): the mean distance of the positive probability from the share; of
    the words the tweets use about as often in each class (EVEN), how many read as not
    sure; of the words they lean on (LEANING from a half), how many read with the tweets'
    label, and how many of them a person sees answered as sure and right. Words the
    pipeline refuses (a lone box-drawing mark) are left out."""
    read = dict(zip(shares, predictor.predict(list(shares)), strict=True))
    words = [w for w, a in read.items() if not isinstance(a, Exception)]
    answers = [read[w] for w in words]
    positive = [a.probability if a.label == predictor.labels[1] else 1 - a.probability
                for a in answers]
    even = [a for w, a in zip(words, answers, strict=True) if abs(shares[w] - 0.5) <= EVEN]
    leaning = [(a.label == predictor.labels[shares[w] > 0.5], a.confidence == SURE)
               for w, a in zip(words, answers, strict=True) if abs(shares[w] - 0.5) >= LEANING]
    return {"words": len(words),
            "mean_distance": sum(abs(p - shares[w]) for w, p in zip(words, positive,
                                                                    strict=True)) / len(words),
            "even": len(even),
            "even_not_sure": sum(a.confidence == NOT_SURE for a in even) / max(len(even), 1),
            "leaning": len(leaning),
            "leaning_right": sum(r for r, _ in leaning) / max(len(leaning), 1),
            "leaning_sure_right": sum(r and s for r, s in leaning) / max(len(leaning), 1)}


def linear(train: list[Example], c: float) -> Pipeline:
    pipe = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                        token_pattern=r"(?u)\b\w[\w']*\b"),
        LogisticRegression(C=c, max_iter=1000))
    pipe.fit([t for t, _ in train], [y for _, y in train])
    return pipe


def baseline(data: str | None, val: list[Example]) -> tuple[Pipeline, dict]:
    """The TF-IDF baseline fitted on the three training sets, its C chosen on `val`."""
    started = time.perf_counter()
    train = (load_imdb(locate("imdb", data), "train") + sst2_splits(locate("sst2", data))[0]
             + tweet_splits(locate("sentiment140", data))["train"])
    fits = {c: linear(train, c) for c in C_GRID}
    val_scores = {c: accuracy(p.predict([t for t, _ in val]), val) for c, p in fits.items()}
    best = max(val_scores, key=val_scores.get)
    return fits[best], {"train_n": len(train), "C": best, "validation_accuracy": val_scores,
                        "fit_seconds_both": round(time.perf_counter() - started, 1)}


def accuracy(pred: np.ndarray, examples: list[Example]) -> float:
    return float((pred == np.array([y for _, y in examples])).mean())


def vader_scores(texts: list[str]) -> np.ndarray:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    return np.array([analyzer.polarity_scores(t)["compound"] for t in texts])


def probs_served(ckpt, examples: list[Example]) -> tuple[torch.Tensor, torch.Tensor]:
    """Probabilities as served (per-input temperature) and labels."""
    z, y, lengths = logits(ckpt, examples)
    return torch.softmax(z / ckpt.temperatures(lengths), dim=-1), y


def reliability(ax, probs: torch.Tensor, y: torch.Tensor, label: str, bins: int = 10) -> None:
    conf, pred = probs.max(dim=-1)
    right = (pred == y).float()
    edges = torch.linspace(0.5, 1.0, bins + 1)
    xs, ys = [], []
    for lo, hi in itertools.pairwise(edges):
        m = (conf > lo) & (conf <= hi)
        if m.sum() >= 10:
            xs.append(conf[m].mean().item())
            ys.append(right[m].mean().item())
    ax.plot(xs, ys, marker="o", label=label)


def risk_coverage(probs: torch.Tensor, y: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    conf, pred = probs.max(dim=-1)
    order = torch.argsort(conf, descending=True)
    right = (pred == y)[order].float()
    n = torch.arange(1, len(y) + 1)
    return (n / len(y)).numpy(), (right.cumsum(0) / n).numpy()


def band(probs: torch.Tensor, y: torch.Tensor, threshold: float) -> dict:
    conf, pred = probs.max(dim=-1)
    sure = conf >= threshold
    right = pred == y
    return {"coverage": sure.float().mean().item(),
            "sure_accuracy": right[sure].float().mean().item(),
            "not_sure_accuracy": right[~sure].float().mean().item() if (~sure).any() else None,
            "accuracy": right.float().mean().item()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", help="folder with the archives (default: $SEQBOT_DATA)")
    parser.add_argument("--checkpoint", type=Path, default=shipped_checkpoint("sentiment"),
                        help="the model to measure (default: the shipped one)")
    parser.add_argument("--out", type=Path, default=RESULTS,
                        help="results file; another model's figures are drawn beside it")
    args = parser.parse_args(argv)
    shipped = args.checkpoint.resolve() == shipped_checkpoint("sentiment").resolve()
    figures = {name: path if shipped else args.out.with_name(f"{args.out.stem}_{path.name}")
               for name, path in (("reliability", RELIABILITY), ("risk", RISK))}
    torch.set_num_threads(1)
    ckpt = load_checkpoint(args.checkpoint, "sentiment")
    sets = short_text(args.data)
    imdb_test = load_imdb(locate("imdb", args.data), "test")
    evaluated = {"sst2_dev": sets.sst2_dev, "tweets_test": sets.tweets_test,
                 "imdb_test": imdb_test}
    out: dict = {"model_version": ckpt.version, "sets": {k: len(v) for k, v in
                                                         evaluated.items()}}

    pipe, out["linear"] = baseline(args.data, sets.val)
    out["linear"].update({k: accuracy(pipe.predict([t for t, _ in v]), v)
                          for k, v in evaluated.items()})
    out["vader"] = {k: accuracy((vader_scores([t for t, _ in v]) >= 0).astype(int), v)
                    for k, v in evaluated.items()}

    # the shipped LSTM as served, and at its old single temperature
    served, old = {}, {}
    for name, examples in evaluated.items():
        z, y, lengths = logits(ckpt, examples)
        served[name] = (torch.softmax(z / ckpt.temperatures(lengths), dim=-1), y)
        old[name] = ece(z, y, ckpt.temperature)
    out["lstm"] = {k: (p.argmax(-1) == y).float().mean().item() for k, (p, y) in served.items()}
    out["lstm_ece"] = {k: ece(torch.log(p), y, 1.0) for k, (p, y) in served.items()}
    out["lstm_ece_single_temperature"] = old
    val_probs, val_y = probs_served(ckpt, sets.val)
    threshold = ckpt.verdicts["not_sure_below"]
    out["not_sure"] = {"not_sure_below": threshold, "validation": band(val_probs, val_y,
                                                                       threshold),
                       **{k: band(p, y, threshold) for k, (p, y) in served.items()
                          if k != "imdb_test"}}

    predictor = Predictor(ckpt, "cpu")
    suites = {suite: SUITES[suite]() for suite in SUITES_SCORED}
    scored = {}
    for suite, cases in suites.items():
        scored |= suite_scores(suite, cases, predictor, pipe)
    out |= scored

    # neutral words never trained on: answered as not sure (VADER: its neutral band)
    sst2_train_val = sst2_splits(locate("sst2", args.data))
    neutral = unseen_neutral_words(*sst2_train_val)
    answers = [a for a in predictor.predict(neutral) if not isinstance(a, Exception)]
    out["neutral_words"] = {
        "n": len(neutral), "answered": len(answers),
        "lstm_not_sure": sum(a.confidence == NOT_SURE for a in answers) / len(answers),
        "vader_neutral": float(np.mean(np.abs(vader_scores(neutral)) < VADER_NEUTRAL))}
    # the held-out sets of words no training example used so, each predicted once: read
    # right, and as a person sees them (sure and right, sure and wrong)
    negations = negation_held_out(*sst2_train_val)
    held = held_out(*sst2_train_val)  # qualities no training question asked about
    contrasts = contrast_held_out(*sst2_train_val)
    tweets = tweet_splits(locate("sentiment140", args.data))["train"]
    idioms = idioms_held_out(*sst2_train_val, tweets)
    answered = {name: answer_scores(predictor, examples) for name, examples in (
        *((f"negation_{form}", v) for form, v in negations.items()),
        ("qualities_said", held["said"]), ("contrasts", contrasts),
        *((f"idioms_{kind}", v) for kind, v in idioms.items()))}
    # negated once, twice, and said
    out["negation_held_out"] = {"words": len(negations["said"])} | {
        form: answered[f"negation_{form}"]["right"] for form in negations}
    # qualities asked, answered not sure; said, right
    asked = predictor.predict([text for text, _ in held["asked"]])
    out["asked_qualities"] = {
        "n": len(asked), "qualities": len({text.rsplit(" ", 1)[1] for text, _ in held["said"]}),
        "asked_not_sure": sum(a.confidence == NOT_SURE for a in asked) / len(asked),
        "said_right": answered["qualities_said"]["right"]}
    # words of the training tweets no one-word example teaches, said alone
    out["alone_held_out"] = alone_scores(
        predictor, alone_held_out(tweet_shares(tweets, sst2_train_val[0] + sst2_train_val[1])))
    # the tweets' emoji and emoticons said alone: those no one-mark example teaches, and
    # those taught (with --emoji-alone; without it, both are never said alone in training)
    marks = mark_shares()
    held_marks = alone_held_out(marks)
    out["emoji_alone"] = {
        "held_out": alone_scores(predictor, held_marks),
        "taught": alone_scores(predictor, {m: s for m, s in marks.items() if m not in held_marks})}
    # words no contrast frame used, as the verdict after a concession
    out["contrast_held_out"] = {"n": len(contrasts), "right": answered["contrasts"]["right"]}
    # words no idiom framed, in idioms whose negation does not reverse them
    out["idioms_held_out"] = {kind: {"n": len(v), "right": answered[f"idioms_{kind}"]["right"]}
                              for kind, v in idioms.items()}
    out["held_out_sure"] = {name: {k: v[k] for k in ("sure_right", "sure_wrong")}
                            for name, v in answered.items()}

    # unknown language: the final half of the non-English messages, and English text
    limit = ckpt.verdicts[UNKNOWN_WORDS]
    behaviour = [c.text for c in suites["behaviour"]]

    def flagged(texts: list[str]) -> float:
        return sum(new_words(ckpt, t) >= limit for t in texts) / len(texts)

    out["unknown_language"] = {
        "unknown_words_at_least": limit,
        "non_english_final": flagged([c.text for c in non_english_cases(part="final")]),
        "non_english_tune": flagged([c.text for c in non_english_cases(part="tune")]),
        "behaviour": flagged(behaviour), "sst2_dev": flagged([t for t, _ in sets.sst2_dev]),
        "tweets_test": flagged([t for t, _ in sets.tweets_test]),
        "imdb_test": flagged([t for t, _ in imdb_test]),
        "behaviour_flagged_cases": [t for t in behaviour if new_words(ckpt, t) >= limit],
        "non_english_final_missed": [c.text for c in non_english_cases(part="final")
                                     if new_words(ckpt, c.text) < limit],
    }

    # figures
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0.5, 1], [0.5, 1], "k:", label="perfect")
    for name in ("sst2_dev", "tweets_test"):
        z, y, _ = logits(ckpt, evaluated[name])
        reliability(ax, torch.softmax(z / ckpt.temperature, dim=-1), y,
                    f"{name}, review temperature {ckpt.temperature}")
        reliability(ax, *served[name], f"{name}, as served (short: "
                    f"{ckpt.short_temperature['temperature']})")
    reliability(ax, *served["imdb_test"], "imdb_test, as served")
    ax.set(xlabel="confidence (top probability)", ylabel="accuracy",
           title=f"Reliability, {ckpt.version}")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(figures["reliability"], dpi=110)
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, (p, y) in (("short-text validation", (val_probs, val_y)),
                         ("SST-2 dev", served["sst2_dev"]),
                         ("held-out tweets", served["tweets_test"])):
        cov, acc = risk_coverage(p, y)
        ax.plot(cov, acc, label=name)
    cov = out["not_sure"]["validation"]["coverage"]
    ax.axvline(cov, color="grey", linestyle="--",
               label=f"not sure below {threshold} ({cov:.0%} answered)")
    ax.set(xlabel="share answered (coverage)", ylabel="accuracy of the answered",
           title="Risk-coverage, answers most confident first", ylim=(0.5, 1.0))
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(figures["risk"], dpi=110)
    args.out.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in out.items() if k not in scored},
                     indent=1, ensure_ascii=False))
    print(json.dumps({k: {"gated": v["gated_accuracy"], "groups": v["groups"]}
                      for k, v in sorted(scored.items())}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
