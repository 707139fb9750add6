"""Sentence-level sentiment data: SST-2 (phrases and sentences) and Sentiment140 (tweets).

Both are read from the canonical archive, from a repacked copy (../shared/data) or from
either's extracted folder, found by training.data.locate (--data, $SEQBOT_DATA, else a
verified download). docs/data.md has each set's source, licence and citation.

- SST-2 (GLUE's SST-2.zip: `SST-2/{train,dev}.tsv`, `sentence<TAB>label`; the shared copy:
  `sst2/{train,dev}.tsv`, `label<TAB>sentence`): the header's `label` column is the label,
  the other one the text.
  Dev is for final reports only; `sst2_splits` carves the validation split from train.
- Sentiment140 (`trainingandtestdata.zip`: 1.6 M tweets in
  `training.1600000.processed.noemoticon.csv`, polarity 0/4): the sample used is fixed and
  balanced: in each class, the SAMPLE_PER_CLASS tweets with the lowest sha1 of their tweet
  id. The shared copy (`sentiment140_100k/{positive,negative}.txt`) is another 100k sample:
  figures name the copy they were measured on.
- Tweets are split by a stable hash of their text (`tweet_split`): 10% test, 10%
  validation, never trained on, whichever copy they come from.
"""

from __future__ import annotations

import csv
import hashlib
import io
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

from training.data import DataError

Example = tuple[str, int]  # (text, label): 0 negative, 1 positive
SST2_ROWS = {"train": 67_349, "dev": 872}  # the canonical files' sizes (download check)
S140_CSV = "training.1600000.processed.noemoticon.csv"
S140_ROWS_PER_CLASS = 800_000  # the canonical file's (download check)
SAMPLE_PER_CLASS = 50_000


def archive_members(source: Path | bytes, wanted: Callable[[PurePosixPath], bool]
                    ) -> Iterator[tuple[PurePosixPath, bytes]]:
    """(path, content) of the wanted files of a zip, a tar or a folder, in path order; an
    archive found inside another is given as its bytes."""
    found: list[tuple[PurePosixPath, bytes]] = []
    opened = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        if isinstance(opened, Path) and opened.is_dir():
            found = [(PurePosixPath(p.relative_to(opened).as_posix()), p.read_bytes())
                     for p in opened.rglob("*")
                     if p.is_file() and wanted(PurePosixPath(p.as_posix()))]
        elif zipfile.is_zipfile(opened):
            with zipfile.ZipFile(opened) as zf:
                found = [(PurePosixPath(i.filename), zf.read(i)) for i in zf.infolist()
                         if not i.is_dir() and wanted(PurePosixPath(i.filename))]
        else:
            if isinstance(opened, io.BytesIO):
                opened.seek(0)  # is_zipfile read it
            with (tarfile.open(opened, "r:*") if isinstance(opened, Path)
                  else tarfile.open(fileobj=opened, mode="r:*")) as tar:
                for member in tar:
                    if member.isfile() and wanted(PurePosixPath(member.name)):
                        fh = tar.extractfile(member)
                        assert fh is not None
                        found.append((PurePosixPath(member.name), fh.read()))
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as exc:
        what = "an archive inside another" if isinstance(source, bytes) else source
        raise DataError(f"{what} is not a readable archive or folder: {exc}") from exc
    yield from sorted(found, key=lambda f: str(f[0]))


def looks_like(dataset: str, folder: Path) -> bool:
    """An extracted copy of the data set (for training.data.locate)."""
    if dataset == "sst2":
        return (folder / "train.tsv").is_file() and (folder / "dev.tsv").is_file()
    return (folder / "positive.txt").is_file() or (folder / S140_CSV).is_file()


# ---------------------------------------------------------------- SST-2


def load_sst2(source: Path, split: str) -> list[Example]:
    """(text, label) rows of `train` or `dev`, in file order."""
    rows = [row for _, data in archive_members(source, lambda p: p.name == f"{split}.tsv")
            for row in _tsv(data)]
    if not rows:
        raise DataError(f"no SST-2 {split}.tsv in {source}")
    return rows


def _tsv(data: bytes) -> list[Example]:
    reader = csv.reader(io.StringIO(data.decode("utf-8")), delimiter="\t",
                        quoting=csv.QUOTE_NONE)
    header = next(reader, [])
    if "label" not in header or len(header) != 2:
        raise DataError(f"an SST-2 file has the header {header}, not a label and a text")
    label = header.index("label")  # the text is the other column ("sentence", "content")
    text = 1 - label
    return [(row[text], int(row[label])) for row in reader if row]


def verify_sst2(path: Path) -> None:
    for split, n in SST2_ROWS.items():
        got = len(load_sst2(path, split))
        if got != n:
            raise DataError(f"{path}: SST-2 {split} has {got} rows, expected {n}")


def sst2_splits(source: Path) -> tuple[list[Example], list[Example]]:
    """SST-2 train split by a stable hash of the text: 90% train, 10% validation (the
    short-text calibration split); dev is never part of either."""
    train, val = [], []
    for text, label in load_sst2(source, "train"):
        (val if _bucket(text) == 0 else train).append((text, label))
    return train, val


# ---------------------------------------------------------------- Sentiment140


def load_sentiment140(source: Path) -> list[Example]:
    """Every tweet of the copy: the sample of the canonical archive, or the copy's own."""
    lines = {p.stem: data for p, data in archive_members(
        source, lambda p: p.name in ("positive.txt", "negative.txt"))}
    if lines:
        return [(line, label) for label, name in ((0, "negative"), (1, "positive"))
                for line in lines.get(name, b"").decode("utf-8").splitlines() if line.strip()]
    return sample_sentiment140(source)


def _canonical_rows(source: Path) -> list[tuple[str, int, str]]:
    """(tweet id, polarity 0/4, text) of the canonical CSV (latin-1, as published)."""
    files = list(archive_members(source, lambda p: p.name == S140_CSV))
    if not files:
        raise DataError(f"no Sentiment140 tweets in {source} (positive.txt/negative.txt or "
                        f"{S140_CSV})")
    reader = csv.reader(io.StringIO(files[0][1].decode("latin-1")))
    return [(row[1], int(row[0]), row[5]) for row in reader if len(row) == 6]


def sample_sentiment140(source: Path) -> list[Example]:
    """The fixed balanced sample: per class, the SAMPLE_PER_CLASS lowest sha1(tweet id)."""
    out: list[Example] = []
    rows = _canonical_rows(source)
    for polarity, label in ((0, 0), (4, 1)):
        ids = sorted((hashlib.sha1(tid.encode()).hexdigest(), text)
                     for tid, pol, text in rows if pol == polarity)
        out += [(text, label) for _, text in ids[:SAMPLE_PER_CLASS]]
    return out


def verify_sentiment140(path: Path) -> None:
    counts: dict[int, int] = {}
    for _, polarity, _ in _canonical_rows(path):
        counts[polarity] = counts.get(polarity, 0) + 1
    if counts != {0: S140_ROWS_PER_CLASS, 4: S140_ROWS_PER_CLASS}:
        raise DataError(f"{path}: Sentiment140 polarities {counts}, expected "
                        f"{S140_ROWS_PER_CLASS} each of 0 and 4")


def _bucket(text: str) -> int:
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest(), 16) % 10


def tweet_split(text: str) -> str:
    """"test" (10%), "val" (10%) or "train", by a stable hash of the tweet's text."""
    bucket = _bucket(text)
    return "test" if bucket == 0 else "val" if bucket == 1 else "train"


def tweet_splits(source: Path) -> dict[str, list[Example]]:
    parts: dict[str, list[Example]] = {"train": [], "val": [], "test": []}
    for text, label in load_sentiment140(source):
        parts[tweet_split(text)].append((text, label))
    return parts


VERIFY = {"sst2": verify_sst2, "sentiment140": verify_sentiment140}
