"""Data sets: find or download them, read them from an archive or a folder, split them.

Sources, in order: an explicit path (a CLI flag), SEQBOT_DATA (a file, or a folder holding
the archives or their extracted contents), then a one-time download into SEQBOT_CACHE with
a progress bar and verification. Both keys are read here from TrainingSettings (.env and
the environment), because benchmarks call these helpers as well as the CLI. A download that
fails verification is deleted, never left behind as a corrupt cache entry.
"""

from __future__ import annotations

import hashlib
import io
import random
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath, PurePosixPath
from typing import TypeVar

from inference.errors import InputError
from inference.tasks import ORIGIN
from training.settings import TrainingSettings

NAMES_URL = "https://download.pytorch.org/tutorial/data.zip"
IMDB_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
IMDB_MD5 = "7c2ac02c03563afcf9b574c7e56c153a"
# Neither publishes a checksum: a download is verified by its content (training.sentences).
SST2_URL = "https://dl.fbaipublicfiles.com/glue/data/SST-2.zip"
SENTIMENT140_URL = "http://cs.stanford.edu/people/alecmgo/trainingandtestdata.zip"
# Hutto and Gilbert's rated sentences ship inside vaderSentiment's source archive on PyPI.
HUTTO_URL = ("https://files.pythonhosted.org/packages/77/8c/4a48c10a50f750ae565e341e697d74"
             "a38075a3e43ff0df6f1ab72e186902/vaderSentiment-3.3.2.tar.gz")
HUTTO_SHA256 = "5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9"

# File names a local copy may have, archive first; the canonical archive name comes first.
LOCAL_NAMES = {
    "names": ("data.zip", "names.zip", "data/names", "names"),
    "imdb": ("aclImdb_v1.tar.gz", "aclImdb"),
    "imdb_unsup": ("aclImdb_unsup.tar.gz", "aclImdb_v1.tar.gz", "aclImdb"),
    "sst2": ("SST-2.zip", "sst2.tar.gz", "SST-2", "sst2"),
    "sentiment140": ("trainingandtestdata.zip", "sentiment140_100k.tar.gz",
                     "sentiment140_100k", "trainingandtestdata"),
    "hutto": ("vaderSentiment-3.3.2.tar.gz", "hutto_ICWSM_2014.tar.gz", "hutto_ICWSM_2014"),
}
N_LANGUAGES = 18
# The clean protocol reads names as origin's preprocessing v1 does, whatever version new
# models train with: its splits, and so every recorded test score, never move.
_SPLIT_READER = ORIGIN.pipeline(1)
PathT = TypeVar("PathT", bound=PurePath)


class DataError(RuntimeError):
    """A data set that cannot be found, downloaded or read; the message says what to do."""


def cache_dir() -> Path:
    return TrainingSettings.load().cache


def locate(dataset: str, path: str | Path | None = None) -> Path:
    """Resolve a data set to a local archive or folder, downloading it if need be."""
    for candidate in (path, TrainingSettings.load().data):
        if not candidate:
            continue
        candidate = Path(candidate).expanduser()
        if candidate.is_file():
            return candidate
        if candidate.is_dir():
            for name in LOCAL_NAMES[dataset]:
                if (candidate / name).exists():
                    return candidate / name
            if _looks_like(dataset, candidate):
                return candidate
        if path:
            raise DataError(f"{candidate} has no {dataset} data (looked for "
                            f"{', '.join(LOCAL_NAMES[dataset])})")
    return download(dataset)


def _looks_like(dataset: str, folder: Path) -> bool:
    if dataset == "names":
        return any(folder.glob("*.txt"))
    if dataset in ("sst2", "sentiment140"):
        from training.sentences import looks_like

        return looks_like(dataset, folder)
    if dataset == "hutto":
        return any(folder.glob("*_GroundTruth.txt"))
    return (folder / "train").is_dir() or (folder / "test").is_dir()


def download(dataset: str, dest: Path | None = None) -> Path:
    """Download a data set once into the cache, verifying it; returns the archive path."""
    import pooch  # only needed when downloading

    dest = dest or cache_dir()
    url, known_hash, fname = {
        "names": (NAMES_URL, None, "data.zip"),
        "imdb": (IMDB_URL, f"md5:{IMDB_MD5}", "aclImdb_v1.tar.gz"),
        "imdb_unsup": (IMDB_URL, f"md5:{IMDB_MD5}", "aclImdb_v1.tar.gz"),
        "sst2": (SST2_URL, None, "SST-2.zip"),
        "sentiment140": (SENTIMENT140_URL, None, "trainingandtestdata.zip"),
        "hutto": (HUTTO_URL, f"sha256:{HUTTO_SHA256}", "vaderSentiment-3.3.2.tar.gz"),
    }[dataset]
    try:
        # pooch writes to a temporary file and moves it in place only once it is complete
        # and its hash matches, so a failed download never leaves a corrupt cache entry.
        path = Path(pooch.retrieve(url, known_hash=known_hash, fname=fname, path=dest,
                                   progressbar=True))
    except Exception as exc:  # network errors, truncation, hash mismatch
        raise DataError(f"downloading {url} failed: {exc}. Try again, or download it "
                        "yourself and pass --data PATH (or set SEQBOT_DATA)") from exc
    verify = {"names": verify_names_archive}.get(dataset)
    if dataset in ("sst2", "sentiment140"):
        from training.sentences import VERIFY

        verify = VERIFY[dataset]
    if verify is not None:
        try:
            verify(path)
        except DataError:
            path.unlink(missing_ok=True)
            raise
    return path


def verify_names_archive(path: Path) -> None:
    """The tutorial zip has no published checksum, so check its content instead."""
    try:
        n = len({lang for _, lang in iter_names(path)})
    except (DataError, zipfile.BadZipFile, OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path} is not a valid surnames archive: {exc}") from exc
    if n != N_LANGUAGES:
        raise DataError(f"{path} holds {n} languages, expected {N_LANGUAGES}")


# ---------------------------------------------------------------- surnames


def iter_names(source: Path) -> Iterator[tuple[str, str]]:
    """(surname, language) for every line of every `<Language>.txt`, in a stable order."""
    for lang, text in sorted(_read_texts(source, ".txt", "names")):
        for line in text.splitlines():
            if line.strip():
                yield line.strip(), lang


def _read_texts(source: Path, suffix: str, kind: str) -> Iterator[tuple[str, str]]:
    """(file stem, content) of the name files in a zip or a folder.

    The canonical data.zip also holds the translation tutorial's `data/eng-fra.txt`: where
    the files sit in a `names/` folder, as there, only those are read.
    """
    if source.is_dir():
        for f in _in_names_folder(sorted(source.rglob(f"*{suffix}"))):
            yield f.stem, f.read_text(encoding="utf-8")
        return
    if not zipfile.is_zipfile(source):
        raise DataError(f"{source} is not a zip archive or a folder of {kind} files")
    with zipfile.ZipFile(source) as zf:
        members = {PurePosixPath(i.filename): i for i in zf.infolist()}
        for p in _in_names_folder([p for p in members
                                   if p.suffix == suffix and not p.name.startswith(".")]):
            yield p.stem, zf.read(members[p]).decode("utf-8")


def _in_names_folder(paths: list[PathT]) -> list[PathT]:
    """The files in a folder called `names`, if there are any; else all of them."""
    return [p for p in paths if p.parent.name == "names"] or paths


@dataclass(frozen=True)
class NameSplits:
    train: list[tuple[str, str]]
    val: list[tuple[str, str]]
    test: list[tuple[str, str]]
    labels: tuple[str, ...]


def split_of(name: str) -> str:
    """80/10/10 by a stable hash of the lower-cased name: a name never straddles splits,
    and a name seen in the future lands in the same split on every machine."""
    bucket = int(hashlib.sha1(name.lower().encode("utf-8")).hexdigest(), 16) % 10
    return "test" if bucket == 0 else "val" if bucket == 1 else "train"


def read_name(name: str) -> str:
    """What the origin model reads of a name (its transliterated, case-folded letters), or
    the name lower-cased if the model cannot read it."""
    try:
        return _SPLIT_READER.read_as(_SPLIT_READER.normalize(name))
    except InputError:
        return name.lower()


def clean_name_splits(source: Path) -> NameSplits:
    """The clean protocol: unique (name, label) pairs, split by name hash.

    "Jäger" and "Jager" hash apart but the model reads both as "jager": such a name is kept
    only in the first of test, validation and train that it falls in, so no input the model
    reads straddles splits (and the test set is the hash's, whatever the other splits hold).
    """
    pairs = sorted(set(iter_names(source)))
    parts: dict[str, list[tuple[str, str]]] = {"train": [], "val": [], "test": []}
    for name, lang in pairs:
        parts[split_of(name)].append((name, lang))
    taken: set[str] = set()
    for split in ("test", "val", "train"):
        parts[split] = [(n, lang) for n, lang in parts[split] if read_name(n) not in taken]
        taken |= {read_name(n) for n, _ in parts[split]}
    return NameSplits(**parts, labels=tuple(sorted({lang for _, lang in pairs})))


def tutorial_name_splits(source: Path, seed: int = 0) -> NameSplits:
    """The tutorials' protocol (random 80/20 of raw lines), kept only for comparison:
    duplicates leak across it, so its accuracy overstates what users will see."""
    lines = list(iter_names(source))
    random.Random(seed).shuffle(lines)
    cut = int(0.8 * len(lines))
    return NameSplits(lines[:cut], [], lines[cut:], tuple(sorted({lang for _, lang in lines})))


# ---------------------------------------------------------------- IMDB


def iter_imdb(source: Path, split: str) -> Iterator[tuple[str, int]]:
    """(review, label) pairs of `train`, `test` (label 1 = pos) or `unsup` (label -1).

    Always in order of their paths (`train/neg/0_3.txt`, ...), however an archive lists
    them or a file system returns them: the validation split is a shuffle of this sequence,
    so the same reviews give the same split from any copy of the data set.
    """
    folders = {"unsup": ("unsup",)}.get(split, ("neg", "pos"))
    wanted = {f"{split if split != 'unsup' else 'train'}/{f}" for f in folders}
    label_of = {"neg": 0, "pos": 1, "unsup": -1}
    if source.is_dir():
        root = source / "aclImdb" if (source / "aclImdb").is_dir() else source
        for rel in sorted(wanted):
            for f in sorted((root / rel).glob("*.txt")):
                yield f.read_text(encoding="utf-8"), label_of[f.parent.name]
        return
    found: list[tuple[str, str, int]] = []
    try:
        with tarfile.open(source, "r:*") as tar:
            for member in tar:
                p = PurePosixPath(member.name)
                if member.isfile() and p.suffix == ".txt" and "/".join(p.parts[-3:-1]) in wanted:
                    fh = tar.extractfile(member)
                    assert fh is not None
                    text = io.TextIOWrapper(fh, encoding="utf-8").read()
                    found.append(("/".join(p.parts[-3:]), text, label_of[p.parts[-2]]))
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise DataError(f"{source} is not a readable IMDB archive: {exc}") from exc
    for _, text, label in sorted(found, key=lambda f: f[0]):
        yield text, label


def load_imdb(source: Path, split: str) -> list[tuple[str, int]]:
    data = list(iter_imdb(source, split))
    if not data:
        raise DataError(f"no IMDB {split} reviews found in {source}")
    return data


def split_validation(
    data: list[tuple[str, int]], fraction: float = 0.1, seed: int = 0
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Carve a validation set from the training reviews (the test set stays untouched)."""
    shuffled = data[:]
    random.Random(seed).shuffle(shuffled)
    n_val = int(len(shuffled) * fraction)
    return shuffled[n_val:], shuffled[:n_val]


def fingerprint(items: list[tuple[str, object]]) -> str:
    """A short content hash, recorded in checkpoints to tie them to their data."""
    digest = hashlib.sha256()
    for text, label in items:
        digest.update(f"{text}\t{label}\n".encode())
    return digest.hexdigest()[:16]
