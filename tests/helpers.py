"""What the tests share besides fixtures: data sets, tiny models, a feedback database, the
bot on the fake Discord (benchmarks.fakediscord) and hostile input.

No stand-ins for the bot's own parts: a real InferenceWorker serves tiny checkpoints, a real
FeedbackStore writes a temporary SQLite file, and a real discord.py client talks to the fake
Discord over loopback HTTP and websocket.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import random
import socket
import sqlite3
import string
import tarfile
import threading
import zipfile
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import asyncpg
import pytest
import torch
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from benchmarks.fakediscord import FakeDiscord, connected
from bot.core import SeqBot, ShardedSeqBot, create_bot
from bot.services import Services
from bot.settings import Settings
from db import CONFIRMED, FeedbackStore, Hasher, parse_location
from inference.checkpoint import Checkpoint, save_checkpoint
from inference.models import ModelConfig, SeqClassifier
from inference.predictor import Predictor
from inference.registry import set_current, task_dir
from inference.results import Prediction
from inference.server import InferenceServer
from inference.tasks import task_spec
from inference.text import SPECIALS, Vocab
from inference.worker import InferenceWorker
from training.data import clean_name_splits, load_imdb, split_validation
from training.loop import train_classifier

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def real_data(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"real data set {path} not present")
    return path


BACKENDS = ("sqlite", "postgresql")
sqlite_only = pytest.mark.parametrize("database", ["sqlite"], indirect=True)
"""For a test of SQLite itself (its files, locks, pragmas) that uses the `store` fixture."""



async def query_rows(database: str | Path, sql: str) -> list[tuple]:
    """Rows as plain tuples, read past the store on its own connection, from either backend
    (the SQL must be valid on both)."""
    location = parse_location(database)
    if not location.is_postgres:
        with sqlite3.connect(location.sqlite_path) as conn:
            return [tuple(row) for row in conn.execute(sql).fetchall()]
    conn = await asyncpg.connect(location.dsn)
    try:
        return [tuple(row) for row in await conn.fetch(sql)]
    finally:
        await conn.close()


HASH_SECRET = "test-hash-secret"
HASHER = Hasher(HASH_SECRET)


class Clock:
    """A store's clock that the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


# Small generated data sets shaped like the real ones (names zip, IMDB tar.gz, folders).
# Each language gets a telltale suffix and each sentiment its own words, so a model trained
# on them for a few seconds has something real to learn.

LANGUAGES = {
    "Arabic": "ani", "Chinese": "ang", "Czech": "cek", "Dutch": "dijk", "English": "ton",
    "French": "eau", "German": "mann", "Greek": "opoulos", "Irish": "aghan", "Italian": "ini",
    "Japanese": "moto", "Korean": "eon", "Polish": "ski", "Portuguese": "eira",
    "Russian": "ov", "Scottish": "mac", "Spanish": "ez", "Vietnamese": "uyen",
}
POSITIVE = "great wonderful loved brilliant superb enjoyable moving".split()
NEGATIVE = "awful terrible boring hated waste dull painful".split()
FILLER = "the movie film plot actor scene story was and a it this".split()


def names_files(per_language: int = 30, seed: int = 0) -> dict[str, str]:
    rng = random.Random(seed)
    files = {}
    for lang, suffix in LANGUAGES.items():
        names = []
        for _ in range(per_language):
            stem = "".join(rng.choice("bdgklmnprstv") + rng.choice("aeiou") for _ in range(2))
            names.append((stem + suffix).capitalize())
        names += names[:3]  # duplicates, as in the real data
        files[lang] = "\n".join(names) + "\n"
    return files


# The canonical data.zip also holds the translation tutorial's pairs, beside data/names/.
TRANSLATION_PAIRS = "Go.\tVa !\nRun!\tCours !\n"


def write_names_zip(path: Path, **kw) -> Path:
    """Laid out as the canonical data.zip: data/names/<Language>.txt and data/eng-fra.txt."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("data/eng-fra.txt", TRANSLATION_PAIRS)
        for lang, text in names_files(**kw).items():
            zf.writestr(f"data/names/{lang}.txt", text)
    return path


def write_names_dir(root: Path, **kw) -> Path:
    """The canonical data.zip, extracted."""
    folder = root / "data" / "names"
    folder.mkdir(parents=True)
    (root / "data" / "eng-fra.txt").write_text(TRANSLATION_PAIRS)
    for lang, text in names_files(**kw).items():
        (folder / f"{lang}.txt").write_text(text)
    return root


# A sentiment model small enough to train on the generated archive in seconds, with a
# learning rate that makes it learn whatever the validation draw (at 2e-3 it barely moved).
# IMDB alone (--no-chat-data): the chat mixture's tests add SST-2 and tweets (short_data).
TINY_SENTIMENT = ["--hidden", "16", "--emb-dim", "16", "--min-freq", "1", "--batch-size", "8",
                  "--lr", "0.01", "--no-chat-data"]


SHORT_WORDS = ["good", "bad", "great", "awful", "film", "plot", "not", "boring", "loved", "hated"]


def short_data(root: Path, n: int = 400) -> Path:
    """SST-2 and tweets folders of texts in the tiny model's words (and a few new ones)."""
    rng = random.Random(0)

    def text() -> str:
        return " ".join(rng.choice([*SHORT_WORDS, "zorblax"]) for _ in range(rng.randint(2, 8)))

    (root / "SST-2").mkdir(parents=True)
    for split in ("train", "dev"):
        rows = "".join(f"{text()} {i}\t{rng.randint(0, 1)}\n" for i in range(n))
        (root / "SST-2" / f"{split}.tsv").write_text("sentence\tlabel\n" + rows)
    (root / "sentiment140_100k").mkdir()
    for name in ("positive", "negative"):
        (root / "sentiment140_100k" / f"{name}.txt").write_text(
            "".join(f"{text()} {name} {i}\n" for i in range(n)))
    return root


def review(rng: random.Random, label: int, words: int = 30) -> str:
    vocab = POSITIVE if label else NEGATIVE
    body = [rng.choice(vocab if rng.random() < 0.3 else FILLER) for _ in range(words)]
    return " ".join(body).capitalize() + ".<br /><br />The end."


def imdb_members(per_class: int = 40, seed: int = 0) -> dict[str, str]:
    rng = random.Random(seed)
    members = {"aclImdb/README": "fixture"}
    for split in ("train", "test"):
        for label, folder in ((0, "neg"), (1, "pos")):
            for i in range(per_class):
                stars = 7 if label else 2
                members[f"aclImdb/{split}/{folder}/{i}_{stars}.txt"] = review(rng, label)
    for i in range(per_class):
        members[f"aclImdb/train/unsup/{i}_0.txt"] = review(rng, rng.randint(0, 1))
    return members


def tar_bytes(files: dict[str, bytes]) -> bytes:
    """A gzipped tar of these files, in this order."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def write_imdb_tar(path: Path, *, reverse: bool = False, **kw) -> Path:
    """reverse: list the members in the opposite order, as another copy of the archive might."""
    members = list(imdb_members(**kw).items())
    path.write_bytes(tar_bytes({name: text.encode()
                                for name, text in (reversed(members) if reverse else members)}))
    return path


def write_imdb_dir(root: Path, **kw) -> Path:
    for name, text in imdb_members(**kw).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root / "aclImdb"


# Tiny random checkpoints, so inference tests never need the shipped weights.

ORIGIN_LABELS = (
    "Arabic", "Chinese", "Czech", "Dutch", "English", "French", "German", "Greek", "Irish",
    "Italian", "Japanese", "Korean", "Polish", "Portuguese", "Russian", "Scottish", "Spanish",
    "Vietnamese",
)
SENTIMENT_LABELS = ("negative", "positive")
WORDS = (
    "the", "a", "movie", "film", "good", "bad", "great", "awful", "plot", "acting", "not",
    "was", "is", "and", "i", "it", "loved", "hated", "boring", "!", "?",
)

NAMES = ["Nakamura", "Smith", "O'Neill", "Schmidt", "Rossi", "Dvořák", "Nguyen", "Abe",
         "Müller-Lüdenscheidt", "Papadopoulos", "Kim", "Ng", "MacDonald", "Kowalski", "Silva"]
TEXTS = ["I loved it!", "The plot was boring and the acting was awful.", "great",
         "Not good. Not bad either?", "a " * 450 + "film", "It is a film. " * 30,
         "<br />Bad movie<br/>", "I hated the movie and I hated the plot", "what a film"]


def make_checkpoint(task: str, version: str, seed: int = 0, reverse_vocab: bool = False
                    ) -> Checkpoint:
    """A random, untrained model whose outputs still differ clearly between inputs.

    reverse_vocab gives the same tokens other ids, as a retrained model's vocabulary would.
    """
    torch.manual_seed(seed)
    if task == "origin":
        chars = (*string.ascii_lowercase, " ", "-", "'")
        vocab = Vocab((*SPECIALS, *(chars[::-1] if reverse_vocab else chars)))
        config = ModelConfig(len(vocab), len(ORIGIN_LABELS), emb_dim=8, hidden=12, cell="gru")
        labels = ORIGIN_LABELS
    else:
        vocab = Vocab((*SPECIALS, *WORDS))
        config = ModelConfig(len(vocab), 2, emb_dim=8, hidden=12, cell="lstm")
        labels = SENTIMENT_LABELS
    model = SeqClassifier(config)
    state = {k: v * 3 for k, v in model.state_dict().items()}
    return Checkpoint(task, config, vocab, labels, state, version, temperature=1.5)


def write_checkpoint(path: Path, task: str, version: str, seed: int = 0,
                     reverse_vocab: bool = False) -> Path:
    save_checkpoint(make_checkpoint(task, version, seed, reverse_vocab), path)
    return path


# What a checkpoint made ready to serve carries (training/ready.py): known inputs, and a
# not-sure threshold that no model answer of a tiny random model reaches.
KNOWN_NAMES = (("Nakamura", "Japanese"), ("Smith", "English"), ("Smith", "Scottish"),
               ("Smith", "Czech"))
ALWAYS_NOT_SURE = {"not_sure_below": 1.0}


def write_ready_origin(path: Path, version: str = "origin-ready", seed: int = 1) -> Path:
    """A tiny origin checkpoint with KNOWN_NAMES and ALWAYS_NOT_SURE."""
    ckpt = make_checkpoint("origin", version, seed)
    ckpt.known_inputs, ckpt.verdicts = KNOWN_NAMES, ALWAYS_NOT_SURE
    save_checkpoint(ckpt, path)
    return path


# A sentiment checkpoint made ready for chat (training/short_text.py): not sure below 1.0
# (every model answer), and another language where half the words are new to its vocabulary.
CHAT_VERDICTS = {"not_sure_below": 1.0, "unknown_words_at_least": 0.5}


def write_ready_sentiment(path: Path, version: str = "sentiment-ready", seed: int = 2) -> Path:
    """A tiny sentiment checkpoint with CHAT_VERDICTS."""
    ckpt = make_checkpoint("sentiment", version, seed)
    ckpt.verdicts = CHAT_VERDICTS
    save_checkpoint(ckpt, path)
    return path


def tiny_checkpoints(folder: Path) -> dict[str, Path]:
    """Small random checkpoints of both tasks: models to serve, not good ones."""
    return {
        "origin": write_checkpoint(folder / "origin.safetensors", "origin", "origin-tiny", 1),
        "sentiment": write_checkpoint(folder / "sentiment.safetensors", "sentiment",
                                      "sentiment-tiny", 2),
    }


def assert_same_prediction(got: Prediction, want: Prediction, tol: float = 1e-5) -> None:
    """Same input, version and labels, probabilities equal within `tol`."""
    assert (got.input, got.normalized, got.model_version, got.truncated) == (
        want.input, want.normalized, want.model_version, want.truncated)
    got_p, want_p = dict(got.top), dict(want.top)
    assert got_p.keys() == want_p.keys()
    assert all(abs(got_p[label] - want_p[label]) <= tol for label in want_p)


def promote(model_dir: Path, task: str, version: str, seed: int = 0,
            reverse_vocab: bool = False) -> Path:
    """Save a version into the registry layout and make it CURRENT."""
    path = write_checkpoint(task_dir(model_dir, task) / f"{version}.safetensors", task,
                            version, seed, reverse_vocab)
    set_current(model_dir, task, version)
    return path


def promote_both(model_dir: Path) -> None:
    """A tiny promoted version of each task, as a served model dir has."""
    promote(model_dir, "origin", "origin-20260101-000001", seed=1)
    promote(model_dir, "sentiment", "sentiment-20260101-000001", seed=2)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.asynccontextmanager
async def serving(worker: InferenceWorker, **options: object) -> AsyncIterator[InferenceServer]:
    """The HTTP service over a started worker, on a free loopback port, closed afterwards."""
    server = InferenceServer(worker, port=0, **options)
    await server.start()
    try:
        yield server
    finally:
        await server.close()


def hold_model(monkeypatch) -> threading.Event:
    """Make every forward pass wait for the returned gate, so requests pile up behind it."""
    gate = threading.Event()
    predict_prepared = Predictor.predict_prepared

    def held(self, items, top_k=3):
        gate.wait(5)
        return predict_prepared(self, items, top_k)

    monkeypatch.setattr(Predictor, "predict_prepared", held)
    return gate


# Tiny trained models and a feedback database the community 'voted' into. The generated
# surnames give each language a telltale suffix, so a tiny model learns them in seconds;
# names with a suffix it never saw are what corrections teach it.

def train_tiny(task: str, source: Path) -> Checkpoint:
    """A few seconds of training on the generated data: right on (nearly) all of it."""
    pipeline = task_spec(task).pipeline()
    if task == "origin":
        splits = clean_name_splits(source)
        train, val, labels = splits.train, splits.val, splits.labels
    else:
        reviews, held = split_validation(load_imdb(source, "train"), 0.1, 0)
        labels = task_spec(task).labels
        train = [(text, labels[y]) for text, y in reviews]
        val = [(text, labels[y]) for text, y in held]
    vocab = Vocab.build(pipeline.tokenize(pipeline.normalize(raw)) for raw, _ in train)

    def enc(pairs):
        return ([pipeline.encode(vocab, raw)[1] for raw, _ in pairs],
                [labels.index(label) for _, label in pairs])

    config = ModelConfig(len(vocab), len(labels), emb_dim=16, hidden=32,
                         cell="gru" if task == "origin" else "lstm")
    torch.manual_seed(0)
    model = SeqClassifier(config)
    train_classifier(model, enc(train), enc(val), epochs=25, batch_size=32, lr=1e-2,
                     weight_decay=0.0, patience=25, device=torch.device("cpu"),
                     score=lambda logits, y: (logits.argmax(-1) == y).float().mean().item())
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    return Checkpoint(task, config, vocab, labels, state, f"{task}-20260101-000001",
                      metrics={"hyperparameters": {"label_smoothing": 0.0, "seed": 0}})


def install(model_dir: Path, ckpt: Checkpoint) -> Path:
    """Promote a checkpoint into the registry layout, as an earlier fine-tune would have."""
    path = task_dir(model_dir, ckpt.task) / f"{ckpt.version}.safetensors"
    save_checkpoint(ckpt, path)
    set_current(model_dir, ckpt.task, ckpt.version)
    return path


def names_with_suffix(suffix: str, n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    names = set()
    while len(names) < n:
        stem = "".join(rng.choice("bdgklmnprstv") + rng.choice("aeiou") for _ in range(3))
        names.add((stem + suffix).capitalize())
    return sorted(names)


async def community_votes(db_path: Path, task: str, parent: Checkpoint,
                          items: list[tuple[str, str]], voters: int = 3,
                          community: int = 9) -> None:
    """Log what the parent answers for each (input, true label), and have `voters` people
    agree on the true label (confirming the answer when it was already right): different
    members of a `community` on each input, as in a real server, so that they earn trust by
    agreeing with each other (db.trust) instead of looking like one group voting together."""
    predictor = Predictor(parent)
    normalize = parent.pipeline.normalize
    async with await FeedbackStore.open(db_path, HASHER) as store:
        for i, (raw, label) in enumerate(items):
            answer = predictor.predict([raw])[0]
            pred_id = await store.log_prediction(
                task, raw, normalize(raw), parent.version, answer.label, answer.top,
                guild_id=1, channel_id=2, author_id=10_000 + i)
            for voter in range(voters):
                await store.record_vote(pred_id, 1 + (i + voter) % community,
                                        CONFIRMED if label == answer.label else label)


# seqbot on the fake Discord: tiny random models, a temporary database, a connected bot.

def bot_settings(folder: Path, **overrides: object) -> Settings:
    base = Settings(db=parse_location(folder / "seqbot.db"), hash_secret=HASH_SECRET,
                    cooldown_rate=0, retention_days=0, model_watch_s=0, model_sync_s=0)
    return replace(base, **overrides)  # type: ignore[arg-type]


def component_id(message: dict, prefix: str) -> str:
    """The custom id of the message's first component whose id starts with `prefix`
    ("seqbot:why:", "seqbot:vote:")."""
    return next(c["custom_id"] for row in message["components"] for c in row["components"]
                if c["custom_id"].startswith(prefix))


def tiny_worker(checkpoints: dict[str, Path]) -> InferenceWorker:
    return InferenceWorker(checkpoints=checkpoints, device="cpu", threads=1, max_wait_ms=1)


class ModelGate:
    """Holds the model thread of every worker: each forward pass waits until `open()`
    (or at most `hold_s`), like a model thread busy with a long batch.

    Only the forward pass is held: queueing, batching and backpressure stay the worker's own.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, hold_s: float = 10.0) -> None:
        self.hold_s = hold_s
        self.entered = threading.Event()
        self._open = threading.Event()
        forward = Predictor.predict_prepared

        def held(predictor: Predictor, items: list, top_k: int = 3) -> list[Prediction]:
            self.entered.set()
            self._open.wait(self.hold_s)
            return forward(predictor, items, top_k)

        monkeypatch.setattr(Predictor, "predict_prepared", held)

    def open(self) -> None:
        self._open.set()

    async def wait_entered(self, timeout: float = 5.0) -> None:
        """Until a forward pass is being held."""
        assert await asyncio.to_thread(self.entered.wait, timeout), "no forward pass started"


@contextlib.asynccontextmanager
async def running_bot(
    fake: FakeDiscord, settings: Settings, client: object
) -> AsyncIterator[SeqBot | ShardedSeqBot]:
    """Open the services around `client`, connect a bot to `fake`, and close it all after."""
    services = await Services.open(settings, client=client)  # type: ignore[arg-type]
    try:
        bot = create_bot(settings, services)
        async with connected(fake, bot, shards=settings.shard_count or 1):
            yield bot
    finally:
        await services.close()


@contextlib.asynccontextmanager
async def db_held(store: FeedbackStore) -> AsyncIterator[None]:
    """A long read transaction on the bot's own connection (a statistics scan of a big
    database) until the block ends: every other read and write queues behind it."""
    entered, release = asyncio.Event(), asyncio.Event()

    async def scan(conn) -> None:
        entered.set()
        await release.wait()

    holder = asyncio.create_task(store._db.read(scan))
    await asyncio.wait_for(entered.wait(), 5)
    try:
        yield
    finally:
        release.set()
        await holder


# Hostile and odd input, for the models and the whole bot.

FRAGMENTS = [
    "@everyone", "@here", "<@123>", "<@!123456789012345678>", "<@&456>",
    "<@&123456789012345678>", "<#123456789012345678>", "**bold**", "__under__", "~~gone~~",
    "`tick`", "```py\nprint(1)\n```", "> quote", "||spoiler||", "[link](https://e.example)",
    "# Heading", "\\", "'; DROP TABLE votes; --", "' OR '1'='1", "\"); DELETE FROM predictions;",
    "\u202e", "\u202d", "\u2066", "\u200f", "\u200b", "\u200d", "\ufeff", "\x00", "\x07",
    "\x1b[31m", "\r\n", "\t", "ﷺ", "𒐫", "👨\u200d👩\u200d👧", "Ǆ", "ß", "İ",
    "Nakamura", "great film",
]
MARKS = st.characters(categories=("Mn", "Me"))


def zalgo(word: str, marks: list[str]) -> str:
    return "".join(c + "".join(marks) for c in word)


def long_text(piece: str) -> str:
    return (piece * (6000 // len(piece) + 1))[:6000]


# Random Unicode excludes lone surrogates: Discord's JSON is UTF-8 and cannot carry them.
hostile_text = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=12)
    .map("".join),
    st.builds(zalgo, st.text(string.ascii_letters, min_size=1, max_size=24),
              st.lists(MARKS, min_size=1, max_size=8)),
    st.builds(long_text, st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=6)
              .map("".join)),
)
HYPOTHESIS = settings(max_examples=100, deadline=None, database=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture,
                                             HealthCheck.too_slow])


def cache_files(tmp_path: Path) -> list[Path]:
    """The files a download left in the test's cache (tmp_path/cache)."""
    return [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]


# Hutto and Gilbert's rated sentences (training/outside.py), a few lines of each set
HUTTO_RATINGS = {
    "tweets": ("1\t2.7\tSo lucky &amp; happy.\n2\t0\tJust a tweet.\n3\t-1.2\tMonday again\n"
               "4\t0.5\t!\n"),
    "amazonReviewSnippets": "1_1\t-0.9\tno picture at all.\n1_2\t0.15\tit works.\n",
    "nytEditorialSnippets": "1_1\t0.4\tA fine plan.\n1_2\t-2.5\tA disgrace.\n",
    "movieReviewSnippets": "1\t3.1\tNot read: SST's own source.\n",
}


def hutto_archive(sets: dict[str, str] = HUTTO_RATINGS) -> bytes:
    return tar_bytes({f"hutto_ICWSM_2014/{stem}_GroundTruth.txt": text.encode()
                      for stem, text in sets.items()})


def hutto_source_archive(sets: dict[str, str] = HUTTO_RATINGS) -> bytes:
    """vaderSentiment's sdist: the ratings sit in an archive of their own inside it."""
    root = "vaderSentiment-3.3.2"
    return tar_bytes({f"{root}/setup.py": b"", f"{root}/additional_resources/"
                      "hutto_ICWSM_2014.tar.gz": hutto_archive(sets)})
