"""The download path, against a real HTTP server on loopback."""

import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from training import data
from training.data import DataError, locate


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, bytes]] = {}
    truncate: ClassVar[set[str]] = set()

    def do_GET(self) -> None:
        body = self.routes.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if self.path in self.truncate else body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, type[_Handler]]]:
    handler = type("Handler", (_Handler,), {"routes": {}, "truncate": set()})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    httpd.shutdown()


def _cache_files(tmp_path: Path) -> list[Path]:
    return [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]


def test_imdb_downloads_once_and_is_verified(server, imdb_tar: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    url, handler = server
    payload = imdb_tar.read_bytes()
    handler.routes["/aclImdb_v1.tar.gz"] = payload
    monkeypatch.setattr(data, "IMDB_URL", f"{url}/aclImdb_v1.tar.gz")
    monkeypatch.setattr(data, "IMDB_MD5", hashlib.md5(payload).hexdigest())
    path = locate("imdb")
    assert path.read_bytes() == payload
    del handler.routes["/aclImdb_v1.tar.gz"]  # a second call must use the cache
    assert locate("imdb") == path


def test_imdb_checksum_mismatch_leaves_nothing_behind(server, imdb_tar: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    url, handler = server
    handler.routes["/aclImdb_v1.tar.gz"] = imdb_tar.read_bytes()
    monkeypatch.setattr(data, "IMDB_URL", f"{url}/aclImdb_v1.tar.gz")
    monkeypatch.setattr(data, "IMDB_MD5", "0" * 32)
    with pytest.raises(DataError, match="failed"):
        locate("imdb")
    assert _cache_files(tmp_path) == []


def test_truncated_download_leaves_nothing_behind(server, names_zip: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    url, handler = server
    handler.routes["/data.zip"] = names_zip.read_bytes()
    handler.truncate.add("/data.zip")
    monkeypatch.setattr(data, "NAMES_URL", f"{url}/data.zip")
    with pytest.raises(DataError):
        locate("names")
    assert _cache_files(tmp_path) == []


def test_names_download_is_checked_by_content(server, names_zip: Path, imdb_tar: Path,
                                              tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    url, handler = server
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
