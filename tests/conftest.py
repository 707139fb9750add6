"""Shared fixtures: generated data sets, tiny models, a feedback database, the bot on the
fake Discord. A module overrides one of them by defining a fixture of the same name."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from benchmarks.fakediscord import FakeDiscord
from bot.settings import Settings
from db import FeedbackStore
from tests.helpers import (
    HASHER,
    bot_settings,
    running_bot,
    tiny_checkpoints,
    tiny_worker,
    write_imdb_tar,
    write_names_zip,
)

torch.set_num_threads(1)


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


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "seqbot.db"


@pytest.fixture
async def store(db_path: Path, request: pytest.FixtureRequest):
    """A FeedbackStore on a fresh SQLite file. Where a `clock` fixture is in use (asked for,
    or autouse in the module), the store runs on that clock, which the test moves by hand."""
    clock = {"clock": request.getfixturevalue("clock")} if "clock" in request.fixturenames else {}
    async with await FeedbackStore.open(db_path, HASHER, **clock) as store:
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
