"""Text -> positive/negative: data preparation and word2vec pre-training for the bi-LSTM.

The embeddings start from word2vec vectors learned here, on the training reviews plus the
50,000 unlabelled ones (never the test set): the cheap part of semi-supervised learning
that lifts an LSTM trained on 22,500 labelled reviews. With a teacher checkpoint, the
unlabelled reviews it is confident about also join training with its labels (self-training).
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import torch

from inference.predictor import Predictor
from inference.text import InputError, Vocab, encode, normalize_text, tokenize
from training.config import SentimentConfig
from training.data import DataError, fingerprint, load_imdb, locate, split_validation
from training.evaluate import SENTIMENT_LABELS, evaluate_examples
from training.fit import Encoded, fit

SHORT_TEXTS = Path(__file__).with_name("short_texts.tsv")


def short_text_examples() -> list[tuple[str, str]]:
    """Hand-written chat-length sentences: IMDB reviews are long, bot messages are not."""
    rows = [line.split("\t") for line in SHORT_TEXTS.read_text().splitlines() if line.strip()]
    return [(text, label) for label, text in rows]


def encode_reviews(cfg: SentimentConfig, data: str | Path | None) -> tuple[Encoded, list]:
    source = locate("imdb", data)
    train, val = split_validation(load_imdb(source, "train"), 0.1, cfg.seed)
    test = [(text, SENTIMENT_LABELS[y]) for text, y in load_imdb(source, "test")]
    train_tokens = [tokenize(normalize_text(t)) for t, _ in train]
    vocab = Vocab.build(train_tokens, min_freq=cfg.min_freq, max_size=cfg.vocab_size)
    if cfg.teacher:
        train = train + pseudo_labelled(Path(cfg.teacher), data, cfg.pseudo_threshold)

    def enc(pairs: list[tuple[str, int]]) -> tuple[list[list[int]], list[int]]:
        return [encode("sentiment", vocab, t)[1] for t, _ in pairs], [y for _, y in pairs]

    encoded = Encoded(vocab, SENTIMENT_LABELS, enc(train), enc(val), test,
                      fingerprint(train + val))
    return encoded, train_tokens


def pseudo_labelled(teacher: Path, data: str | Path | None,
                    threshold: float) -> list[tuple[str, int]]:
    """The unlabelled reviews the teacher is sure about, with the teacher's label.

    The teacher's vocabulary must not matter: it scores raw text through its own pipeline.
    Validation and test stay human-labelled, so the gate on them is unchanged.
    """
    start = time.perf_counter()
    predictor = Predictor.load("sentiment", teacher, device="cpu")
    texts, prepared = [], []
    for text, _ in load_imdb(locate("imdb_unsup", data), "unsup"):
        try:
            prepared.append(predictor.prepare(text))
        except InputError:
            continue
        texts.append(text)
    probs = predictor.probabilities(prepared)
    confidence, labels = probs.max(dim=-1)
    keep = [(t, int(y)) for t, c, y in zip(texts, confidence.tolist(), labels.tolist(),
                                           strict=True) if c >= threshold]
    print(f"self-training: {len(keep)}/{len(texts)} unlabelled reviews at >= {threshold:.0%} "
          f"confidence from {predictor.version} ({time.perf_counter() - start:.0f} s)")
    return keep


def unlabelled_tokens(data: str | Path | None) -> list[list[str]]:
    try:
        source = locate("imdb_unsup", data)
        return [tokenize(normalize_text(t)) for t, _ in load_imdb(source, "unsup")]
    except DataError as exc:
        print(f"no unlabelled reviews ({exc}); word2vec uses the training reviews only")
        return []


def word2vec_embeddings(cfg: SentimentConfig, vocab: Vocab,
                        sentences: list[list[str]]) -> torch.Tensor:
    """Embedding matrix initialised from word2vec; words it never saw start random."""
    from gensim.models import Word2Vec

    start = time.perf_counter()
    w2v = Word2Vec(sentences, vector_size=cfg.emb_dim, window=5, min_count=cfg.min_freq,
                   workers=2, epochs=cfg.w2v_epochs, seed=cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    weights = torch.randn(len(vocab), cfg.emb_dim, generator=gen) * 0.1
    vectors = torch.from_numpy(w2v.wv.vectors).float()
    scale = 0.5 / vectors.std()
    hits = 0
    for i, word in enumerate(vocab.itos):
        j = w2v.wv.key_to_index.get(word)
        if j is not None:
            weights[i], hits = vectors[j] * scale, hits + 1
    weights[0] = 0.0
    print(f"word2vec: {len(sentences)} reviews, {hits}/{len(vocab)} words covered, "
          f"{time.perf_counter() - start:.0f} s")
    return weights


def train(cfg: SentimentConfig, data: str | Path | None, out: Path, device: torch.device,
          *, ship: bool = False) -> Path:
    """Train, then run the self-training rounds, each in its own folder; ship the last."""
    path = train_once(cfg, data, out if not cfg.self_training_rounds else out / "round-0",
                      device, ship=ship and not cfg.self_training_rounds)
    for k in range(1, cfg.self_training_rounds + 1):
        step = replace(cfg, teacher=str(path), epochs=cfg.self_training_epochs)
        path = train_once(step, data, out / f"round-{k}", device,
                          ship=ship and k == cfg.self_training_rounds)
    return path


def train_once(cfg: SentimentConfig, data: str | Path | None, out: Path, device: torch.device,
               *, ship: bool = False) -> Path:
    encoded, train_tokens = encode_reviews(cfg, data)
    init = None
    if cfg.w2v_epochs > 0:
        init = word2vec_embeddings(cfg, encoded.vocab, train_tokens + unlabelled_tokens(data))
    path, _ = fit("sentiment", cfg, encoded, out, device, init_embeddings=init, ship=ship)
    short = evaluate_examples(Predictor.load("sentiment", path, device="cpu"),
                              short_text_examples())
    print(f"short chat texts: accuracy {short['accuracy']:.3f} on {short['n']}")
    report = json.loads((out / "sentiment_metrics.json").read_text())
    report["short_texts"] = {k: short[k] for k in ("accuracy", "macro_f1", "n")}
    (out / "sentiment_metrics.json").write_text(json.dumps(report, indent=2))
    return path
