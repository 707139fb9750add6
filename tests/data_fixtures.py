"""Small generated data sets shaped like the real ones (names zip, IMDB tar.gz, folders).

Each language gets a telltale suffix and each sentiment its own words, so a model trained
on them for a few seconds has something real to learn.
"""

from __future__ import annotations

import io
import random
import tarfile
import zipfile
from pathlib import Path

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
TINY_SENTIMENT = ["--hidden", "16", "--emb-dim", "16", "--min-freq", "1", "--batch-size", "8",
                  "--lr", "0.01"]


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


def write_imdb_tar(path: Path, *, reverse: bool = False, **kw) -> Path:
    """reverse: list the members in the opposite order, as another copy of the archive might."""
    members = list(imdb_members(**kw).items())
    with tarfile.open(path, "w:gz") as tar:
        for name, text in reversed(members) if reverse else members:
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def write_imdb_dir(root: Path, **kw) -> Path:
    for name, text in imdb_members(**kw).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root / "aclImdb"
