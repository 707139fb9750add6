"""Console mode, driven as a user would: `python -m bot` with piped stdin, no token."""

from __future__ import annotations

import os
import re
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from db import SECRET_ENV, FeedbackStore, Hasher, resolve_secret
from db.privacy import secret_path
from inference.registry import set_current, task_dir
from tests.helpers import promote, write_ready_origin, write_ready_sentiment

ROOT = Path(__file__).resolve().parents[2]


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
    assert "Sentiment: I loved it!" in out
    assert re.search(r"^(Positive|Negative) \(\d+(\.\d)?% confident\)$", out, re.M)
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


def test_bytes_that_are_not_utf8_are_read_as_replacement_characters(env, tmp_path):
    result = subprocess.run([sys.executable, "-m", "bot"], env={**env, "PYTHONIOENCODING":
                            "utf-8:strict"}, cwd=tmp_path, capture_output=True, timeout=60,
                            input=b"/origin Smith\n/origin M\xfcller\n/origin Jones\n")
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()
    assert all(f"Language of origin: {n}" in out for n in ("Smith", "M\ufffdller", "Jones"))
    assert b"Traceback" not in result.stderr


def test_an_unexpected_error_gets_an_id_and_the_chat_goes_on(env, tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "bot"], env=env, cwd=tmp_path, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdin.write("/origin Smith\n")
    proc.stdin.flush()
    while "Was I right?" not in proc.stdout.readline():
        pass
    with sqlite3.connect(env["SEQBOT_DB"], isolation_level=None) as other:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock too long
        proc.stdin.write("/right\n")
        proc.stdin.flush()
        apology = proc.stdout.readline()  # once the vote gave up waiting for the lock
        other.execute("ROLLBACK")
    out, err = proc.communicate("/origin Jones\n", timeout=60)
    out = apology + out
    assert proc.returncode == 0, err
    assert apology.startswith("Sorry, something went wrong on my side (error id")
    assert "Language of origin: Jones" in out  # the chat went on
    [error_id] = re.findall(r"error id `([0-9a-f]{8})`", out)
    assert f"error {error_id}" in err and "database is locked" in err


def test_console_exits_cleanly_at_end_of_input(env, tmp_path):
    result = run(env, tmp_path, "/origin Schmidt\n")
    assert result.returncode == 0, result.stderr
    assert "Language of origin: Schmidt" in result.stdout
    assert "Traceback" not in result.stderr


def test_console_shows_not_sure_known_names_scripts_and_why(env, tmp_path):
    """The console draws the same card: a not-sure headline, a known name, the script a
    name is written in, and Why? with what the writing says."""
    models = Path(env["SEQBOT_MODEL_DIR"])
    write_ready_origin(task_dir(models, "origin") / "origin-ready.safetensors")
    set_current(models, "origin", "origin-ready")
    result = run(env, tmp_path, "/origin Kowalczyk\n/origin smith\n/origin 김\n"
                                "/origin 山田\n/origin Müller\n/why\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert re.search(r"^Not sure — maybe \w+, \w+ or \w+$", out, re.M)
    known = re.search(r"^Known name: (.+) in the data$", out, re.M)
    assert known and set(known[1].split(", ")) == {"English", "Scottish", "Czech"}
    assert "Written in Hangul (Korean)" in out
    assert "Written in Han characters: it could be Chinese or Japanese" in out
    assert "How it is written:" in out and "the letter ü (German)" in out


def test_console_names_unknown_and_discord_only_commands(env, tmp_path):
    """A command that starts with / is named as unknown, or as Discord-only when the bot's
    cogs declare it; /help lists what the console accepts, whatever the case typed."""
    result = run(env, tmp_path, "/HELP\n/teach\n/forget-me\n/admin status\n/foo bar\n"
                                "/ORIGIN Smith\n/Right\n/about\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for command in ("/teach", "/forget-me", "/admin"):
        assert f"{command} works only on Discord, not in the console" in out
    assert "There is no /foo command: try /help." in out
    assert "Commands start with /" not in out
    assert "Language of origin: Smith" in out and "Thanks, vote recorded" in out
    listed = re.findall(r"^(/\S+)", out.split("Only on Discord:")[0], re.M)
    assert listed == ["/origin", "/sentiment", "/right", "/wrong", "/why", "/about", "/help",
                      "/quit"]
    assert re.search(r"^Only on Discord: /forget-me, /admin, /teach\.$", out, re.M)
    # the console has no buttons, and one vote is one vote
    assert "buttons" not in out and "After every answer, /right or /wrong <label>" in out
    assert "The community has given 1 vote on 1 answer." in out


def test_console_help_is_exactly_what_it_accepts():
    from bot.cogs import slash_commands
    from bot.console import COMMANDS, DISCORD_ONLY

    assert set(DISCORD_ONLY) == {f"/{name}" for name in slash_commands()} - COMMANDS
    assert {"/teach", "/forget-me", "/admin"} <= set(DISCORD_ONLY)


class Terminal:
    """What a terminal shows, read up to what a test waits for; the rest stays buffered for
    the next wait (an answer and the next prompt often arrive in one read)."""

    def __init__(self, fd: int) -> None:
        self.fd, self.pending = fd, ""

    def until(self, wanted: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while wanted not in self.pending and time.monotonic() < deadline:
            if select.select([self.fd], [], [], 0.5)[0]:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:  # the program ended and closed the terminal
                    break
                if not chunk:
                    break
                self.pending += chunk.decode(errors="replace")
        end = self.pending.find(wanted)
        end = len(self.pending) if end < 0 else end + len(wanted)
        shown, self.pending = self.pending[:end], self.pending[end:]
        return shown


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_console_in_a_terminal_edits_lines_keeps_history_and_ends_on_its_own_line(env,
                                                                                 tmp_path):
    """Up-arrow brings the last line back (readline), not `^[[A`; Ctrl-D ends the chat
    with a newline, so the shell's prompt starts on a line of its own."""
    main, child = os.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "bot", "console"], cwd=tmp_path,
                            env={**env, "TERM": "dumb", "SEQBOT_CONSOLE_HISTORY":
                                 str(tmp_path / "state" / "history")},
                            stdin=child, stdout=child, stderr=subprocess.DEVNULL)
    os.close(child)
    screen = Terminal(main)
    try:
        assert screen.until("> ").endswith("> ")
        os.write(main, b"/origin Smith\n")
        assert "Was I right?" in screen.until("Was I right?")
        screen.until("> ")
        os.write(main, b"\x1b[A\n")  # up-arrow: the last line again
        shown = screen.until("Was I right?")
        assert "Language of origin: Smith" in shown and "^[[A" not in shown
        screen.until("> ")
        os.write(main, b"\x04")  # Ctrl-D
        assert proc.wait(timeout=60) == 0
        assert screen.until("\n", timeout=5).endswith("\n")
    finally:
        proc.kill()
        os.close(main)
    history = tmp_path / "state" / "history"
    assert "/origin Smith" in history.read_text()


@pytest.mark.parametrize("after_s", [0.3, 1.5, 4.0])
def test_ctrl_c_during_start_up_ends_quietly(env, tmp_path, after_s):
    """SIGINT while modules import, models load or the chat waits: no traceback, and the
    shell reads status 130. Python 3.11 ends a process by SIGINT itself when the interrupt
    landed inside a library's `exec` of a string (dataclasses does one per class), even
    though the program handled it; a shell shows that as 130 too."""
    # a shell starts a background job (`pytest &`) with SIGINT ignored, and children inherit
    # that: the console gets Ctrl-C's default, as it does in a terminal
    proc = subprocess.Popen([sys.executable, "-m", "bot", "console"], env=env, cwd=tmp_path,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(after_s)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode in (130, -signal.SIGINT), (out, err)
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert err.endswith("\n")


def test_console_starts_on_the_newest_valid_version_when_the_current_one_is_truncated(
        env, tmp_path):
    models = Path(env["SEQBOT_MODEL_DIR"])
    good = task_dir(models, "origin") / "origin-c1.safetensors"
    data = good.read_bytes()
    (task_dir(models, "origin") / "origin-c2.safetensors").write_bytes(data[: len(data) // 2])
    set_current(models, "origin", "origin-c2")
    result = run(env, tmp_path, "/origin Nakamura\n")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "origin: starting on origin-c1, the newest version that can be served" in (
        result.stderr)
    assert "model origin-c1" in result.stdout
def test_console_says_mixed_or_neutral_and_when_the_words_are_new(env, tmp_path):
    models = Path(env["SEQBOT_MODEL_DIR"])
    write_ready_sentiment(task_dir(models, "sentiment") / "sentiment-ready.safetensors")
    set_current(models, "sentiment", "sentiment-ready")
    result = run(env, tmp_path, "/sentiment not bad\n/sentiment Отличный фильм\n/wrong\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert re.search(r"^Mixed or neutral — leaning (positive|negative), \d+\.\d%$", out, re.M)
    assert re.search(r"^I read English; most of these words are new to me$", out, re.M)
    assert "Traceback" not in result.stderr
async def test_the_console_never_writes_an_existing_database_under_a_new_secret(env, tmp_path):
    db = Path(env["SEQBOT_DB"])
    async with await FeedbackStore.open(db, Hasher("the-production-secret-0123")) as store:
        await store.log_prediction("origin", "Tanaka", "tanaka", "v1", "Japanese", [], 1, 2, 7)
    for secret, why in ((None, f"{SECRET_ENV} is not set and {db} already exists"),
                        ("a-wrong-secret-0123456789", f"{SECRET_ENV} is not the secret")):
        environment = env if secret is None else {**env, SECRET_ENV: secret}
        result = run(environment, tmp_path, "/origin Smith\n")
        assert result.returncode == 2, result.stderr
        assert f"configuration error: {why}" in result.stderr
        assert "Traceback" not in result.stderr and "Smith" not in result.stdout
    assert not secret_path(db).exists()
    async with await FeedbackStore.open(db, None) as store:
        assert (await store.stats())["predictions"]["origin"] == 1  # nothing was written


async def write_rows(db: Path, n: int) -> None:
    async with await FeedbackStore.open(db, Hasher("the-production-secret-0123")) as store:
        for i in range(n):
            await store.log_prediction("origin", f"Name{i:05d}" * 8, "n", "v1", "English", [],
                                       1, 2, i)


async def test_a_damaged_database_or_unusable_path_is_one_line_not_a_traceback(env, tmp_path):
    good = tmp_path / "good.db"
    await write_rows(good, 600)  # closed: the WAL is in the file
    page = 4096
    data = good.read_bytes()
    middle = len(data) // page // 2 * page
    paper = tmp_path / "paper.txt"
    paper.write_text("not a folder")
    cases = {
        "junk": (bytes(range(256)) * 16, "is not a usable SQLite database"),
        "truncated": (data[: 3 * page + 100], "restore it from a backup"),
        "overwritten": (data[:middle] + b"\xa5" * page + data[middle + page:],
                        "restore it from a backup"),  # found by PRAGMA quick_check
    }
    for name, (content, why) in cases.items():
        db = tmp_path / f"{name}.db"
        db.write_bytes(content)
        result = run({**env, "SEQBOT_DB": str(db), SECRET_ENV: "the-production-secret-0123"},
                     tmp_path, "/origin Smith\n")
        assert result.returncode == 1, (name, result.stderr)
        [line] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert why in line and str(db) in line, line
        assert "Traceback" not in result.stderr
        assert db.read_bytes() == content  # nothing was written into it
    inside_a_file = paper / "seqbot.db"
    result = run({**env, "SEQBOT_DB": str(inside_a_file), SECRET_ENV: "a-secret-0123456789"},
                 tmp_path, "/origin Smith\n")
    assert result.returncode == 1 and f"error: cannot open {inside_a_file}" in result.stderr
    assert "Traceback" not in result.stderr
    without_secret = run({**env, "SEQBOT_DB": str(inside_a_file)}, tmp_path, "/origin Smith\n")
    assert without_secret.returncode == 2 and "Traceback" not in without_secret.stderr
    assert "the dev secret file" in without_secret.stderr.splitlines()[-1]
