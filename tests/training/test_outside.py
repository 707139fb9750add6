"""Hutto and Gilbert's rated sentences: read from PyPI's source archive, the archive inside
it or its folder, downloaded and checked like every other data set."""

import hashlib
import tarfile
from pathlib import Path

import pytest

from tests.helpers import (
    HUTTO_RATINGS,
    cache_files,
    hutto_archive,
    hutto_source_archive,
    tar_bytes,
)
from training import data
from training.data import DataError, locate
from training.outside import SETS, Rated, load_hutto


def test_every_form_of_the_ratings_reads_the_same(tmp_path: Path) -> None:
    sdist = tmp_path / "vaderSentiment-3.3.2.tar.gz"
    sdist.write_bytes(hutto_source_archive())
    inner = tmp_path / "hutto_ICWSM_2014.tar.gz"
    inner.write_bytes(hutto_archive())
    folder = tmp_path / "extracted"
    with tarfile.open(inner) as tar:
        tar.extractall(folder, filter="data")
    got = [load_hutto(source) for source in (sdist, inner, folder / "hutto_ICWSM_2014")]
    assert got[0] == got[1] == got[2]
    assert set(got[0]) == set(SETS)  # the movie snippets are not read
    # a text rated exactly 0 has no side to get right; HTML entities are unescaped
    assert got[0]["tweets"] == [Rated("So lucky & happy.", 1, 2.7),
                                Rated("Monday again", 0, -1.2), Rated("!", 1, 0.5)]
    assert [r.label for r in got[0]["editorials"]] == [1, 0]


def test_a_missing_set_is_a_clear_error(tmp_path: Path) -> None:
    sdist = tmp_path / "vaderSentiment-3.3.2.tar.gz"
    sdist.write_bytes(hutto_source_archive({"tweets": HUTTO_RATINGS["tweets"]}))
    with pytest.raises(DataError, match=r"amazonReviewSnippets_GroundTruth\.txt"):
        load_hutto(sdist)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"no tweets_GroundTruth\.txt"):
        load_hutto(tmp_path / "empty")


def test_an_unreadable_inner_archive_is_named(tmp_path: Path) -> None:
    sdist = tmp_path / "vaderSentiment-3.3.2.tar.gz"
    sdist.write_bytes(tar_bytes({"vaderSentiment-3.3.2/additional_resources/"
                            "hutto_ICWSM_2014.tar.gz": b"not an archive"}))
    with pytest.raises(DataError, match=r"its hutto_ICWSM_2014\.tar\.gz: an archive inside"):
        load_hutto(sdist)


def test_locate_finds_a_local_copy_by_its_names(tmp_path: Path) -> None:
    (tmp_path / "vaderSentiment-3.3.2.tar.gz").write_bytes(hutto_source_archive())
    assert locate("hutto", tmp_path) == tmp_path / "vaderSentiment-3.3.2.tar.gz"


def test_the_download_is_checked_against_its_sha256(loopback, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    url, handler = loopback
    payload = hutto_source_archive()
    handler.routes["/vader.tar.gz"] = payload
    monkeypatch.setattr(data, "HUTTO_URL", f"{url}/vader.tar.gz")
    monkeypatch.setattr(data, "HUTTO_SHA256", "0" * 64)
    with pytest.raises(DataError, match="failed"):
        locate("hutto")
    assert cache_files(tmp_path) == []
    monkeypatch.setattr(data, "HUTTO_SHA256", hashlib.sha256(payload).hexdigest())
    assert len(load_hutto(locate("hutto"))["tweets"]) == 3
