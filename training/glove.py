"""General-English word vectors to start the sentiment embeddings from, beside word2vec.

Word2vec learns from the project's own texts, reviews and tweets; GloVe (Pennington, Socher
and Manning, EMNLP 2014: 400,000 words from Wikipedia and Gigaword, public domain under the
Open Data Commons PDDL) has seen words those texts rarely use. Stanford distributes it as
glove.6B.zip (822 MB) with no published checksum, so it is read from a local path only: the
archive, or one of its text files (a word and its numbers to a line). docs/data.md says where
to get it; docs/results.md ("Sentiment: general-English word vectors") what it measured.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import torch
from tqdm import tqdm

from training.data import DataError

GLOVE_PAGE = "https://nlp.stanford.edu/projects/glove/"


def _lines(path: Path, dim: int) -> Iterator[str]:
    """The text lines of a GloVe file, or of the archive's member of `dim` dimensions."""
    if not path.is_file():
        raise DataError(f"no GloVe vectors at {path}: download glove.6B.zip from {GLOVE_PAGE} "
                        "and give its path (or one of its .txt files)")
    if not zipfile.is_zipfile(path):
        with open(path, encoding="utf-8") as fh:
            yield from fh
        return
    with zipfile.ZipFile(path) as archive:
        members = [n for n in archive.namelist() if n.endswith(f".{dim}d.txt")]
        if not members:
            raise DataError(f"{path} holds no GloVe file of {dim} dimensions "
                            f"({', '.join(archive.namelist())})")
        with archive.open(members[0]) as raw:
            yield from io.TextIOWrapper(raw, encoding="utf-8")


def read_glove(path: Path, words: Iterable[str], dim: int) -> dict[str, torch.Tensor]:
    """The GloVe vectors of those of `words` it has."""
    wanted, found = set(words), {}
    for line in tqdm(_lines(path, dim), desc="GloVe", unit=" words", mininterval=1.0):
        word, _, numbers = line.rstrip("\n").partition(" ")
        if word in wanted and word not in found:
            values = numbers.split(" ")
            if len(values) != dim:
                raise DataError(f"{path}: {word!r} has {len(values)} numbers, not {dim}")
            found[word] = torch.tensor([float(v) for v in values])
    return found


def glove_embeddings(path: Path, itos: list[str], dim: int, spread: float) -> torch.Tensor:
    """An embedding block [len(itos), dim]: each word's GloVe vector, scaled to a standard
    deviation of `spread` (word2vec's, beside it); zeros for a word GloVe lacks, and for the
    padding row."""
    found = read_glove(path, itos[1:], dim)
    if not found:
        raise DataError(f"{path} has none of the vocabulary's words")
    block = torch.zeros(len(itos), dim)
    scale = spread / torch.stack(list(found.values())).std()
    for i, word in enumerate(itos[1:], start=1):
        if (vector := found.get(word)) is not None:
            block[i] = vector * scale
    print(f"GloVe: {len(found)}/{len(itos)} words covered")
    return block
