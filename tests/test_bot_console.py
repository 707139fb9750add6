"""Console mode, driven as a user would: `python -m bot` with piped stdin, no token."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from db import FeedbackStore, Hasher, resolve_secret
from tests.inference_fixtures import promote

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def env(tmp_path):
    models = tmp_path / "models"
    promote(models, "origin", "origin-c1", seed=1)
    promote(models, "sentiment", "sentiment-c1", seed=2)
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("SEQBOT_", "DISCORD_", "INFERENCE_"))}
    return {**clean, "PYTHONPATH": str(ROOT), "SEQBOT_DB": str(tmp_path / "chat.db"),
            "SEQBOT_MODEL_DIR": str(models), "SEQBOT_DEVICE": "cpu",
            "SEQBOT_MODEL_WATCH_S": "0", "SEQBOT_LOG_LEVEL": "WARNING"}


def run(env: dict, cwd: Path, stdin: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot"], input=stdin, env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=60)


async def test_console_chat_predicts_votes_and_logs(env, tmp_path):
    lines = ["/help", "/origin Nakamura", "/wrong", "/wrong Japanese", "/wrong Vietnamese",
             "/sentiment I loved it!", "/right", "/origin 1234", "hello", "/about",
             "/quit", "/origin Smith"]
    result = run(env, tmp_path, "\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "DISCORD_TOKEN" in result.stderr.splitlines()[0]  # the one-line hint
    assert "/wrong label" in out and "/quit" in out
    assert "Language of origin: Nakamura" in out and "model origin-c1" in out
    assert "Which is right? /wrong <one of:" in out
    assert ("Sentiment: I loved it!" in out and "Positive" in out) or "Negative" in out
    assert "That name has no letters I can read." in out
    assert "Commands start with /" in out
    assert "origin: origin-c1" in out and "votes on 2 answers" in out
    assert "Smith" not in out  # nothing runs after /quit
    db = Path(env["SEQBOT_DB"])
    hasher = Hasher(resolve_secret(db, dev_mode=True))  # the console made a dev secret
    async with await FeedbackStore.open(db, hasher) as store:
        stats = await store.stats()
        origin, sentiment = await store.tally(1), await store.tally(2)
    assert stats["predictions"] == {"origin": 1, "sentiment": 1}
    assert origin.voters == 1 and origin.said_right == 0  # the second /wrong replaced the first
    assert sentiment.said_right == 1


def test_console_exits_cleanly_at_end_of_input(env, tmp_path):
    result = run(env, tmp_path, "/origin Schmidt\n")
    assert result.returncode == 0, result.stderr
    assert "Language of origin: Schmidt" in result.stdout
    assert "Traceback" not in result.stderr
