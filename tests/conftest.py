"""Shared fixtures: generated data sets, tiny models, a feedback database, the bot on the
fake Discord. A module overrides one of them by defining a fixture of the same name."""

from __future__ import annotations

import asyncio
import http.server
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
import torch

from benchmarks.fakediscord import FakeDiscord
from benchmarks.pgcluster import TEMPLATE, Cluster, find_bindir, throwaway_cluster
from bot.settings import Settings
from db import FeedbackStore
from db.migrations import SCHEMA_VERSION
from tests.helpers import (
    BACKENDS,
    HASHER,
    bot_settings,
    running_bot,
    tiny_checkpoints,
    tiny_worker,
    write_imdb_tar,
    write_names_zip,
)

torch.set_num_threads(1)


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
def loopback() -> Iterator[tuple[str, type[_Handler]]]:
    """A real HTTP server on loopback serving `routes` (path -> body), for download tests;
    a path in `truncate` sends half its body."""
    handler = type("Handler", (_Handler,), {"routes": {}, "truncate": set()})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    httpd.shutdown()


@pytest.fixture(scope="session")
def names_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_names_zip(tmp_path_factory.mktemp("names") / "data.zip")


@pytest.fixture(scope="session")
def imdb_tar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_imdb_tar(tmp_path_factory.mktemp("imdb") / "aclImdb_v1.tar.gz")


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tiny random origin and sentiment checkpoints, for tests that need a model, not a good one."""
    return tiny_checkpoints(tmp_path_factory.mktemp("ckpt"))


@pytest.fixture
async def worker(checkpoints: dict[str, Path]):
    async with tiny_worker(checkpoints) as worker:
        yield worker


@pytest.fixture(scope="session")
def postgres() -> Iterator[Cluster]:
    """One throwaway PostgreSQL cluster for the whole session (benchmarks.pgcluster), with a
    migrated template database that each test's database is copied from."""
    if find_bindir() is None:
        pytest.skip("PostgreSQL half skipped: no PostgreSQL binaries (initdb, pg_ctl) found "
                    "through pg_config --bindir or PATH")
    with throwaway_cluster() as cluster:
        cluster.psql(f"CREATE DATABASE {TEMPLATE}")
        # opened without a secret: each test database records the fingerprint of its own
        asyncio.run(_close(FeedbackStore.open(cluster.url(TEMPLATE), None)))
        yield cluster


# Every table but the schema version, emptied with its identities restarted; fails (and the
# database is dropped instead) when the schema is not the one the migrations make.
EMPTY_DATABASE = f"""
SET lock_timeout = '2s';
DO $$ BEGIN
    IF (SELECT version FROM seqbot_schema) <> {SCHEMA_VERSION} THEN
        RAISE EXCEPTION 'schema changed';
    END IF;
    EXECUTE (SELECT 'TRUNCATE ' || string_agg(quote_ident(tablename), ', ')
                    || ' RESTART IDENTITY CASCADE'
             FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'seqbot_schema');
END $$;
"""


async def _close(opening) -> None:
    await (await opening).close()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "seqbot.db"


@pytest.fixture(scope="session")
def _spare_databases() -> list[str]:
    """Emptied PostgreSQL test databases, reused: emptying one takes a fraction of the
    time creating one does."""
    return []


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, db_path: Path) -> Iterator[str]:
    """Where the test's feedback database lives, once per backend: the SQLite file `db_path`
    (not created yet), or an empty, migrated PostgreSQL database, as a URL."""
    if request.param == "sqlite":
        yield str(db_path)
        return
    cluster: Cluster = request.getfixturevalue("postgres")
    spare: list[str] = request.getfixturevalue("_spare_databases")
    name = spare.pop() if spare else cluster.create_database(TEMPLATE)
    yield cluster.url(name)
    try:
        cluster.psql(EMPTY_DATABASE, name)
        spare.append(name)
    except subprocess.CalledProcessError:  # a test changed the schema or kept a lock
        cluster.drop_database(name)


@pytest.fixture
async def store(database: str, request: pytest.FixtureRequest):
    """A FeedbackStore on a fresh database of each backend. Where a `clock` fixture is in use
    (asked for, or autouse in the module), the store runs on that clock, which the test
    moves by hand."""
    clock = {"clock": request.getfixturevalue("clock")} if "clock" in request.fixturenames else {}
    async with await FeedbackStore.open(database, HASHER, **clock) as store:
        yield store


@pytest.fixture
async def fake(request: pytest.FixtureRequest):
    """A loopback fake Discord (gateway + REST) with one guild. A test module may set
    DEADLINE_S to shorten Discord's 3 s acknowledgement deadline, so deadline tests run fast."""
    deadline = getattr(request.module, "DEADLINE_S", 3.0)
    async with FakeDiscord(ack_deadline_s=deadline) as fake:
        fake.guild = fake.add_guild()
        yield fake


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return bot_settings(tmp_path)


@pytest.fixture
async def bot(fake: FakeDiscord, checkpoints: dict[str, Path], settings: Settings):
    """seqbot connected to `fake`, serving the tiny checkpoints with `settings`."""
    async with running_bot(fake, settings, tiny_worker(checkpoints)) as bot:
        yield bot


@pytest.fixture(autouse=True)
def _no_ambient_data_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never read the developer's SEQBOT_DATA or download into their real cache (an
    empty variable also hides a SEQBOT_DATA in a .env: the environment wins over .env)."""
    monkeypatch.setenv("SEQBOT_DATA", "")
    monkeypatch.setenv("SEQBOT_CACHE", str(tmp_path / "cache"))
