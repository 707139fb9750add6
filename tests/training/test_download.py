"""The download path, against a real HTTP server on loopback."""

import hashlib
from pathlib import Path

import pytest

from tests.helpers import cache_files as _cache_files
from training import data
from training.data import DataError, locate


def test_imdb_downloads_once_and_is_verified(loopback, imdb_tar: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    url, handler = loopback
    payload = imdb_tar.read_bytes()
    handler.routes["/aclImdb_v1.tar.gz"] = payload
    monkeypatch.setattr(data, "IMDB_URL", f"{url}/aclImdb_v1.tar.gz")
    monkeypatch.setattr(data, "IMDB_MD5", hashlib.md5(payload).hexdigest())
    path = locate("imdb")
    assert path.read_bytes() == payload
    del handler.routes["/aclImdb_v1.tar.gz"]  # a second call must use the cache
    assert locate("imdb") == path


def test_imdb_checksum_mismatch_leaves_nothing_behind(loopback, imdb_tar: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    url, handler = loopback
    handler.routes["/aclImdb_v1.tar.gz"] = imdb_tar.read_bytes()
    monkeypatch.setattr(data, "IMDB_URL", f"{url}/aclImdb_v1.tar.gz")
    monkeypatch.setattr(data, "IMDB_MD5", "0" * 32)
    with pytest.raises(DataError, match="failed"):
        locate("imdb")
    assert _cache_files(tmp_path) == []


def test_truncated_download_leaves_nothing_behind(loopback, names_zip: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    url, handler = loopback
    handler.routes["/data.zip"] = names_zip.read_bytes()
    handler.truncate.add("/data.zip")
    monkeypatch.setattr(data, "NAMES_URL", f"{url}/data.zip")
    with pytest.raises(DataError):
        locate("names")
    assert _cache_files(tmp_path) == []


def test_names_download_is_checked_by_content(loopback, names_zip: Path, imdb_tar: Path,
                                              tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    url, handler = loopback
    handler.routes["/data.zip"] = imdb_tar.read_bytes()  # the wrong file entirely
    monkeypatch.setattr(data, "NAMES_URL", f"{url}/data.zip")
    with pytest.raises(DataError, match="not a valid surnames archive"):
        locate("names")
    assert _cache_files(tmp_path) == []
    handler.routes["/data.zip"] = names_zip.read_bytes()
    assert len({lang for _, lang in data.iter_names(locate("names"))}) == 18


def test_unreachable_server_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(data, "NAMES_URL", "http://127.0.0.1:9/data.zip")
    with pytest.raises(DataError, match="download it yourself"):
        locate("names")
