"""A corrupt or truncated checkpoint offered to /admin reload: refused with a clear log line,
and the model already serving keeps answering, in-process and behind the HTTP service."""

from __future__ import annotations

import contextlib
import logging

import pytest

from benchmarks.fakediscord import FakeDiscord
from inference.factory import make_client
from inference.registry import CURRENT, set_current, task_dir
from inference.server import InferenceServer
from inference.worker import InferenceWorker
from tests.helpers import bot_settings, promote, running_bot


@pytest.fixture
def model_dir(tmp_path):
    """origin-v1 serving; origin-v2 promoted but cut in half, origin-v3 not a checkpoint."""
    folder = tmp_path / "models"
    promote(folder, "sentiment", "sentiment-v1", seed=1)
    good = promote(folder, "origin", "origin-v1", seed=1)
    data = good.read_bytes()
    (task_dir(folder, "origin") / "origin-v2.safetensors").write_bytes(data[: len(data) // 2])
    (task_dir(folder, "origin") / "origin-v3.safetensors").write_bytes(b"\0" * 4096)
    set_current(folder, "origin", "origin-v1")
    return folder


@contextlib.asynccontextmanager
async def served(fake: FakeDiscord, via: str, model_dir, tmp_path):
    """A connected bot whose models are in-process or behind the HTTP service."""
    async with InferenceWorker(model_dir=model_dir, device="cpu", threads=1) as worker:
        if via == "worker":
            async with running_bot(fake, bot_settings(tmp_path), worker) as bot:
                yield bot, worker
            return
        server = InferenceServer(worker, port=0)
        await server.start()
        try:
            settings = bot_settings(tmp_path, inference_url=server.url)
            async with running_bot(fake, settings, make_client(server.url)) as bot:
                yield bot, worker
        finally:
            await server.close()


@pytest.mark.parametrize("via", ["worker", "http"])
async def test_a_broken_checkpoint_is_refused_and_the_old_model_keeps_serving(
        fake, model_dir, tmp_path, caplog, via):
    root = fake.member(fake.guild, "root", admin=True, user_id=int(fake.owner["id"]))  # owner
    async with served(fake, via, model_dir, tmp_path) as (_, worker):
        for version in ("origin-v2", "origin-v3", None):
            if version is None:  # CURRENT already points at the truncated file
                (task_dir(model_dir, "origin") / CURRENT).write_text("origin-v2\n")
            caplog.clear()
            with caplog.at_level(logging.ERROR, logger="seqbot.inference"):
                options = {"version": version} if version else {}
                reply = await (await fake.slash(root, "admin reload", task="origin",
                                                **options)).final(timeout=10)
            assert reply["content"].startswith("Refused, the current model keeps serving:")
            [line] = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
            assert line.startswith("origin: refused checkpoint ")
            assert "origin-v2" in line or "origin-v3" in line
            assert "still serving origin-v1" in line
            assert worker.versions()["origin"] == "origin-v1"
            answer = await (await fake.slash(root, "origin", name="Nakamura")).final()
            assert answer["embeds"][0]["footer"]["text"].startswith("model origin-v1")
