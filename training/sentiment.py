"""Text -> positive/negative: data preparation and semi-supervised pre-training.

What the 50,000 unlabelled reviews (never the test set) can teach reaches the classifier
three ways: word2vec vectors to start the embeddings (cheap, CPU), a bidirectional language
model that pre-trains embeddings and bi-LSTM together (training/lm.py; a GPU job), and
self-training, where the unlabelled reviews a teacher checkpoint is sure about join
training with its labels.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch

from inference.checkpoint import Checkpoint, load_checkpoint
from inference.errors import InputError
from inference.models import ModelConfig, SeqClassifier
from inference.predictor import Predictor, valid_only
from inference.tasks import SENTIMENT
from inference.text import Vocab
from training import plots, short_text
from training.config import SentimentConfig, training_seed
from training.data import DataError, load_imdb, locate
from training.emoji_kin import with_emoji_kin
from training.evaluate import evaluate_examples
from training.fit import Encoded, fit, model_config
from training.glove import glove_embeddings
from training.lm import pretrain
from training.recipes import Recipe, UsageError
from training.splits import ChatSentiment, test_set, train_val

LABELS = SENTIMENT.labels
PIPELINE = SENTIMENT.pipeline()  # new models train with the newest preprocessing
# the flags that add to the chat mixture, each with ChatSentiment's name for it
MIXTURE = {"neutral_words": "neutral", "negation_frames": "frames", "question_frames": "asked",
           "double_negation": "double", "said_alone": "alone", "contrast_frames": "contrast",
           "idiom_frames": "idioms", "advice_frames": "advice", "emoji_alone": "emoji_alone",
           "comparative_frames": "compared"}

SHORT_TEXTS = Path(__file__).with_name("short_texts.tsv")


def short_text_examples() -> list[tuple[str, str]]:
    """Hand-written chat-length sentences: IMDB reviews are long, bot messages are not."""
    rows = [line.split("\t") for line in SHORT_TEXTS.read_text().splitlines() if line.strip()]
    return [(text, label) for label, text in rows]


@dataclass
class Reviews:
    """The data a run needs (IMDB, and with `chat_data` SST-2 and tweets too: the "chat"
    mixture of training/splits.py), read and tokenised once however many rounds it trains."""

    train: list[tuple[str, int]]
    val: list[tuple[str, int]]
    test: list[tuple[str, str]]
    unlabelled: list[str]  # empty when the unlabelled archive is not there
    train_tokens: list[list[str]]
    vocab: Vocab
    train_ids: list[list[int]]  # train and val through the shared pipeline, encoded once
    val_ids: list[list[int]]
    # of the labelled split (training/splits.py), whatever a teacher adds: members taught by
    # different teachers still share their validation data, so they can form an ensemble
    fingerprint: str


def dataset(cfg: SentimentConfig) -> str:
    """What the model trains on, recorded in its checkpoint so that a finetune replays it."""
    if not cfg.chat_data:
        return "imdb"
    return ChatSentiment(**{part: getattr(cfg, flag) for flag, part in MIXTURE.items()}).name


def readable(pairs: list[tuple[str, str]]) -> tuple[list[tuple[str, int]], list[list[str]]]:
    """The examples the pipeline reads, labels as ids, and each one's units (every unit, for
    the vocabulary): SST-2 holds phrases such as "," that serving would refuse, and a model
    should not learn from what it can never be asked."""
    kept, units = [], []
    for text, label in pairs:
        try:
            units.append(PIPELINE.tokenize(PIPELINE.normalize(text)))
        except InputError:
            continue
        kept.append((text, LABELS.index(label)))
    return kept, units


def load_reviews(cfg: SentimentConfig, data: str | Path | None,
                 vocab: Vocab | None = None) -> Reviews:
    """The labelled examples and the unlabelled reviews; the vocabulary is built from the
    training examples unless given (a continued checkpoint's)."""
    splits = train_val(SENTIMENT.name, data, cfg.seed, trained_on=dataset(cfg))
    (train, train_tokens), (val, _) = readable(splits.train), readable(splits.val)
    test = test_set(SENTIMENT.name, data, trained_on=dataset(cfg))
    if vocab is None:
        vocab = Vocab.build(train_tokens, min_freq=cfg.min_freq, max_size=cfg.vocab_size)
    train_ids, val_ids = ([PIPELINE.encode(vocab, t)[1] for t, _ in pairs]
                          for pairs in (train, val))
    try:
        unlabelled = [t for t, _ in load_imdb(locate("imdb_unsup", data), "unsup")]
    except DataError as exc:
        print(f"no unlabelled reviews ({exc}); word2vec uses the training reviews only")
        unlabelled = []
    print(f"training on {len(train):,} examples ({dataset(cfg)}), {len(val):,} to validate; "
          f"{len(unlabelled):,} unlabelled reviews")
    return Reviews(train, val, test, unlabelled, train_tokens, vocab, train_ids, val_ids,
                   splits.fingerprint)


def encode_reviews(reviews: Reviews, extra: list[tuple[str, int]]) -> Encoded:
    """The labelled reviews plus `extra` (pseudo-labelled) ones, through the shared pipeline."""
    train = reviews.train + extra
    train_ids = reviews.train_ids + [PIPELINE.encode(reviews.vocab, t)[1] for t, _ in extra]
    return Encoded(reviews.vocab, LABELS, (train_ids, [y for _, y in train]),
                   (reviews.val_ids, [y for _, y in reviews.val]), reviews.test,
                   reviews.fingerprint)


def pseudo_labelled(teacher: Predictor, texts: list[str],
                    threshold: float) -> list[tuple[str, int]]:
    """The unlabelled reviews the teacher is sure about, with the teacher's label.

    The teacher's vocabulary must not matter: it scores raw text through its own pipeline.
    Validation and test stay human-labelled, so the gate on them is unchanged.
    """
    if not texts:
        raise DataError("self-training needs the unlabelled reviews (aclImdb_unsup.tar.gz, or "
                        "train/unsup in the IMDB archive)")
    start = time.perf_counter()
    each = teacher.prepare_many(texts)
    kept = [t for t, p in zip(texts, each, strict=True) if not isinstance(p, InputError)]
    confidence, labels = teacher.probabilities(valid_only(each)).max(dim=-1)
    keep = [(t, int(y)) for t, c, y in zip(kept, confidence.tolist(), labels.tolist(),
                                           strict=True) if c >= threshold]
    print(f"self-training: {len(keep)}/{len(texts)} unlabelled reviews at >= {threshold:.0%} "
          f"confidence from {teacher.version} ({time.perf_counter() - start:.0f} s)")
    return keep


# The standard deviation pre-trained word vectors start training at, whichever their source.
START_SPREAD = 0.5


def start_embeddings(cfg: SentimentConfig, vocab: Vocab,
                     sentences: list[list[str]]) -> torch.Tensor:
    """The embeddings training starts from: word2vec's, or with --glove, word2vec's in the
    first dimensions and GloVe's in the last `glove_dim`."""
    if not cfg.glove:
        return word2vec_embeddings(cfg, vocab, sentences, cfg.emb_dim)
    return torch.cat([word2vec_embeddings(cfg, vocab, sentences, cfg.emb_dim - cfg.glove_dim),
                      glove_embeddings(Path(cfg.glove), vocab.itos, cfg.glove_dim,
                                       START_SPREAD)], dim=1)


def word2vec_embeddings(cfg: SentimentConfig, vocab: Vocab, sentences: list[list[str]],
                        dim: int) -> torch.Tensor:
    """Embedding matrix initialised from word2vec; words it never saw start random."""
    from gensim.models import Word2Vec

    start = time.perf_counter()
    w2v = Word2Vec(sentences, vector_size=dim, window=5, min_count=cfg.min_freq,
                   workers=2, epochs=cfg.w2v_epochs, seed=training_seed(cfg))
    gen = torch.Generator().manual_seed(training_seed(cfg))
    weights = torch.randn(len(vocab), dim, generator=gen) * 0.1
    vectors = torch.from_numpy(w2v.wv.vectors).float()
    scale = START_SPREAD / vectors.std()
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
    for flag in MIXTURE:
        if getattr(cfg, flag) and not cfg.chat_data:
            raise UsageError(f"--{flag.replace('_', '-')} adds to the chat mixture; "
                             "drop --no-chat-data")
    if cfg.double_negation and not cfg.negation_frames:
        raise UsageError("--double-negation changes the negation frames; give --negation-frames")
    if cfg.glove and (cfg.init or cfg.w2v_epochs <= 0 or not 0 < cfg.glove_dim < cfg.emb_dim):
        raise UsageError("--glove goes beside word2vec in a new model's embeddings: give "
                         "--w2v-epochs, no --init, and a --glove-dim below --emb-dim")
    base = continued(cfg) if cfg.init else None
    added: list[str] = []
    kin_after = cfg.emoji_kin and base is None  # a new model's rows mean nothing until trained
    if base is not None and cfg.emoji_kin:
        base, added = with_emoji_kin(base)
        print(f"emoji kin: {len(added)} emoji join the vocabulary ({len(base.vocab)} units)")
    reviews = load_reviews(cfg, data, base.vocab if base else None)
    init = None
    if base is not None:
        init = base.state_dict
    elif cfg.w2v_epochs > 0:
        sentences = reviews.train_tokens + [PIPELINE.tokenize(PIPELINE.normalize(t))
                                            for t in reviews.unlabelled]
        init = {"embed.weight": start_embeddings(cfg, reviews.vocab, sentences)}
    if cfg.lm_epochs > 0:
        init = pretrained_encoder(cfg, reviews, init, out, device)
    rounds, step = cfg.self_training_rounds, cfg
    for k in range(rounds + 1):
        teacher = Predictor.load(SENTIMENT.name, step.teacher, device="cpu") if (
            step.teacher) else None
        extra = pseudo_labelled(teacher, reviews.unlabelled, step.pseudo_threshold) if (
            teacher) else []
        # the teacher's path may hold another model later: record which one taught
        provenance = {"dataset": dataset(cfg)}
        if base is not None:
            provenance["init_version"] = base.version
        if added:
            provenance["emoji_kin_rows"] = len(added)
        if teacher:
            provenance["teacher_version"] = teacher.version
        last = k == rounds
        path = train_once(step, encode_reviews(reviews, extra), init,
                          out / f"round-{k}" if rounds else out, device, provenance=provenance,
                          finish=emoji_kin_after_training if kin_after and last else None,
                          ship=ship and last)
        step = replace(cfg, teacher=str(path), epochs=cfg.self_training_epochs)
    return path


def emoji_kin_after_training(ckpt: Checkpoint) -> Checkpoint:
    """The emoji a new model's vocabulary lacks join it from their kin once it is trained,
    when its rows mean something, before it is saved and scored."""
    grown, added = with_emoji_kin(ckpt)
    print(f"emoji kin: {len(added)} emoji join the trained model's vocabulary "
          f"({len(grown.vocab)} units)")
    return replace(grown, metrics={**grown.metrics, "emoji_kin_rows": len(added)})


def continued(cfg: SentimentConfig) -> Checkpoint:
    """The checkpoint `--init` names, checked to be the model the flags describe."""
    ckpt = load_checkpoint(cfg.init, SENTIMENT.name)
    if ckpt.preprocess_version not in SENTIMENT.continuable():
        raise UsageError(f"{cfg.init} reads text with preprocessing v{ckpt.preprocess_version};"
                         f" training uses v{SENTIMENT.preprocess_version}")
    if not isinstance(ckpt.config, ModelConfig):
        raise UsageError(f"{cfg.init} is an ensemble; continue one of its members instead")
    have, wanted = ckpt.config.to_dict(), model_config(cfg, len(ckpt.vocab), len(LABELS)).to_dict()
    if have != wanted:
        differ = sorted(k for k, v in wanted.items() if have[k] != v)
        raise UsageError(f"{cfg.init} is not the model these flags describe (it differs in "
                         f"{', '.join(differ)}); give its own model flags")
    return ckpt


def pretrained_encoder(cfg: SentimentConfig, reviews: Reviews,
                       init: dict[str, torch.Tensor] | None, out: Path,
                       device: torch.device) -> dict[str, torch.Tensor]:
    """Embeddings and bi-LSTM pre-trained as a language model on the training reviews and
    the unlabelled ones; the validation reviews only measure its perplexity."""
    unlabelled = [PIPELINE.encode(reviews.vocab, t)[1] for t in reviews.unlabelled]
    train = [s for s in reviews.train_ids + unlabelled if len(s) > 1]
    val = [s for s in reviews.val_ids if len(s) > 1]
    torch.manual_seed(training_seed(cfg))
    model = SeqClassifier(model_config(cfg, len(reviews.vocab), len(LABELS)))
    if init is not None:
        model.load_state_dict(init, strict=False)
    print(f"language model: {len(train)} reviews, {sum(map(len, train)):,} words")
    history = pretrain(model, train, val, epochs=cfg.lm_epochs, batch_size=cfg.lm_batch_size,
                       lr=cfg.lm_lr, weight_decay=cfg.weight_decay, device=device,
                       dropout=cfg.lm_dropout, seed=training_seed(cfg))
    out.mkdir(parents=True, exist_ok=True)
    plots.loss_curve(history, out / "sentiment_lm_loss.png",
                     "sentiment: language-model pre-training", "validation perplexity")
    (out / "sentiment_lm_metrics.json").write_text(json.dumps(asdict(history), indent=2))
    return {k: v.detach().cpu() for k, v in model.state_dict().items()
            if not k.startswith("head.")}


def train_once(cfg: SentimentConfig, encoded: Encoded, init: dict[str, torch.Tensor] | None,
               out: Path, device: torch.device, *, provenance: dict | None = None,
               finish: Callable[[Checkpoint], Checkpoint] | None = None,
               ship: bool = False) -> Path:
    path, _ = fit(SENTIMENT.name, cfg, encoded, out, device, init_state=init,
                  provenance=provenance, finish=finish, ship=ship)
    record_short_texts(path, out)
    return path


def record_short_texts(path: Path, out: Path) -> None:
    """Score the checkpoint on chat-length texts too, into its metrics report."""
    short = evaluate_examples(Predictor.load(SENTIMENT.name, path, device="cpu"),
                              short_text_examples())
    print(f"short chat texts: accuracy {short['accuracy']:.3f} on {short['n']}")
    report = json.loads((out / "sentiment_metrics.json").read_text())
    report["short_texts"] = {k: short[k] for k in ("accuracy", "macro_f1", "n")}
    (out / "sentiment_metrics.json").write_text(json.dumps(report, indent=2))


def _train(cfg: SentimentConfig, args: argparse.Namespace, out: Path,
           device: torch.device) -> Path:
    return train(cfg, args.data, out, device, ship=args.ship)


RECIPE = Recipe(SentimentConfig, _train, report_more=record_short_texts,
                choose_verdicts=short_text.choose_band, calibrate=short_text.calibrate)
