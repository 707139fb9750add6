"""Shared fixtures: generated data sets, and the real ones when ../shared/data has them."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tests.data_fixtures import write_imdb_tar, write_names_zip
from tests.fakediscord import FakeDiscord
from tests.inference_fixtures import tiny_checkpoints

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

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
async def fake(request: pytest.FixtureRequest):
    """A loopback fake Discord (gateway + REST) with one guild. A test module may set
    DEADLINE_S to shorten Discord's 3 s acknowledgement deadline, so deadline tests run fast."""
    deadline = getattr(request.module, "DEADLINE_S", 3.0)
    async with FakeDiscord(ack_deadline_s=deadline) as fake:
        fake.guild = fake.add_guild()
        yield fake


@pytest.fixture(autouse=True)
def _no_ambient_data_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never read the developer's SEQBOT_DATA or download into their real cache (an
    empty variable also hides a SEQBOT_DATA in a .env: the environment wins over .env)."""
    monkeypatch.setenv("SEQBOT_DATA", "")
    monkeypatch.setenv("SEQBOT_CACHE", str(tmp_path / "cache"))


def real_data(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"real data set {path} not present")
    return path
