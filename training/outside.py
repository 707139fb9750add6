"""Rated sentences from outside the training data: Hutto and Gilbert's (2014) ground truth.

VADER's authors had at least 20 people rate every text from -4 to +4. The sign of the mean
rating is the label here; a text rated exactly 0 is left out, as it has no side to get right.

- tweets (4,200): the texts VADER's lexicon and rules were tuned on, so VADER's score there
  is not an outside figure;
- product reviews (3,708 sentences of Amazon reviews, after Hu and Liu 2004);
- editorials (5,190 sentences of New York Times opinion pieces).

Their movie-review snippets are not read: they are Pang and Lee's sentences, SST's own
source (5,627 of the 10,605 are SST-2 training phrases as they stand, 692 dev sentences).

Read from vaderSentiment's source archive on PyPI (MIT licence; training.data.HUTTO_URL,
checked against its sha256), the `hutto_ICWSM_2014.tar.gz` inside it, or that archive's
extracted folder, found by training.data.locate("hutto", ...).
"""

from __future__ import annotations

import html
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from training.data import DataError
from training.sentences import archive_members

SETS = {"tweets": "tweets", "product_reviews": "amazonReviewSnippets",
        "editorials": "nytEditorialSnippets"}
INNER = "hutto_ICWSM_2014.tar.gz"


class Rated(NamedTuple):
    text: str
    label: int  # 1 when the mean rating is above 0
    rating: float  # the raters' mean, -4 to +4


def load_hutto(source: Path) -> dict[str, list[Rated]]:
    """Every set of SETS, its texts in file order."""
    files = {p.name: data for p, data in _ground_truth(source)}
    out = {}
    for name, stem in SETS.items():
        data = files.get(f"{stem}_GroundTruth.txt")
        if data is None:
            raise DataError(f"{source} has no {stem}_GroundTruth.txt (Hutto and Gilbert's "
                            "ratings: vaderSentiment-3.3.2.tar.gz or hutto_ICWSM_2014)")
        out[name] = _rated(data)
    return out


def _ground_truth(source: Path) -> list[tuple[PurePosixPath, bytes]]:
    """The ratings files of the folder or archive, or of the archive inside it (PyPI's
    source archive holds them in one), in one pass over `source`."""
    found = list(archive_members(source, lambda p: p.name == INNER or _ratings(p)))
    files = [(path, data) for path, data in found if _ratings(path)]
    if files:
        return files
    try:
        return [member for _, inner in found for member in archive_members(inner, _ratings)]
    except DataError as exc:
        raise DataError(f"{source}: its {INNER}: {exc}") from exc


def _ratings(path: PurePosixPath) -> bool:
    return path.name.endswith("_GroundTruth.txt")


def _rated(data: bytes) -> list[Rated]:
    """`id<TAB>mean rating<TAB>text` lines; the tweets keep HTML's `&amp;` as scraped."""
    out = []
    for line in data.decode("utf-8").splitlines():
        parts = line.split("\t", 2)
        if len(parts) != 3:
            continue
        rating = float(parts[1])
        if rating != 0:
            out.append(Rated(html.unescape(parts[2]).strip(), int(rating > 0), rating))
    return out
