"""`python -m db` as an admin runs it: a separate process, secret and path from the environment."""

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from db import SECRET_ENV, FeedbackStore, Hasher

REPO = Path(__file__).resolve().parents[2]
SECRET = "cli-test-secret-0123456789"
AUTHOR, HONEST, TROLL = 1001, 1002, 1003


def cli(*args: str, db_path: str | None = None, secret: str | None = SECRET):
    env = {k: v for k, v in os.environ.items() if k not in (SECRET_ENV, "SEQBOT_DB")}
    if secret is not None:
        env[SECRET_ENV] = secret
    if db_path is not None:
        env["SEQBOT_DB"] = db_path
    return subprocess.run(
        [sys.executable, "-m", "db", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
async def db(database: str) -> str:
    """A database (of each backend) with an old unvoted prediction and one voted on by an
    honest user and a troll; what SEQBOT_DB or --db would say to reach it."""
    path = database
    long_ago = datetime.now(timezone.utc) - timedelta(days=90)
    store = await FeedbackStore.open(path, Hasher(SECRET), clock=lambda: long_ago)
    await store.log_prediction("origin", "Old", "old", "v1", "English", [], 1, 2, None)
    pred_id = await store.log_prediction("origin", "Kim", "kim", "v1", "Korean", [], 1, 2, AUTHOR)
    await store.record_vote(pred_id, HONEST, "confirmed")
    await store.record_vote(pred_id, AUTHOR, "confirmed")
    await store.record_vote(pred_id, TROLL, "Klingon")
    await store.close()
    return path


def test_stats_reads_the_path_from_the_environment_and_needs_no_secret(db: str) -> None:
    result = cli("stats", db_path=db, secret=None)
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["predictions"]["origin"] == 2
    assert (stats["votes"], stats["voters"]) == (3, 3)
    assert stats["agreed_examples"]["origin"] == 1


def test_the_cli_reads_dot_env_like_the_bot_and_the_environment_wins(
        db: str, tmp_path: Path) -> None:
    folder = tmp_path / "deploy"
    folder.mkdir()
    (folder / ".env").write_text(f"SEQBOT_DB={db}\n")
    env = {k: v for k, v in os.environ.items() if k not in (SECRET_ENV, "SEQBOT_DB")}

    def stats(environment: dict[str, str]) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "db", "stats"], cwd=folder,
                              env=environment, capture_output=True, text=True, timeout=60)

    from_file = stats(env)
    assert from_file.returncode == 0, from_file.stderr
    assert json.loads(from_file.stdout)["predictions"]["origin"] == 2  # SEQBOT_DB from .env
    other = tmp_path / "other.db"
    env_wins = stats({**env, "SEQBOT_DB": str(other)})
    assert f"no database at {other}" in env_wins.stderr


def test_bad_input_is_a_one_line_error_not_a_traceback(db: str, tmp_path: Path) -> None:
    for days in ("nan", "-1", "1e9"):
        result = cli("purge", "--older-than-days", days, db_path=db)
        assert result.returncode == 2 and "number of days from 0 to 36500" in result.stderr
    junk = tmp_path / "junk.db"
    junk.write_bytes(bytes(range(256)) * 16)
    latin1 = tmp_path / "names.txt"
    latin1.write_bytes("Müller\n".encode("latin-1"))
    for args, message in ((["stats", "--db", str(junk)], "file is not a database"),
                          (["teach-pool", "add", "--task", "origin", str(latin1)],
                           "can't decode")):
        result = cli(*args, db_path=db)
        assert result.returncode == 1 and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


def test_voters_report_then_ignore_by_hash(db: str) -> None:
    troll_hash = Hasher(SECRET).hash_user(TROLL)
    report = cli("voters", "--db", db, "--task", "origin", secret=None)
    assert report.returncode == 0, report.stderr
    assert report.stdout.splitlines()[1].startswith(troll_hash)  # least agreeing first

    result = cli("ignore-voter", troll_hash, "--db", db, secret=None)
    assert (result.returncode, result.stdout.strip()) == (0, "voter now ignored")
    again = cli("ignore-voter", str(TROLL), "--db", db)
    assert (again.returncode, again.stdout.strip()) == (0, "voter already ignored")
    assert "yes" in cli("voters", "--db", db).stdout.splitlines()[1]
    restored = cli("unignore-voter", str(TROLL), "--db", db)
    assert restored.stdout.strip() == "voter now counted"


def test_forget_and_purge(db: str) -> None:
    forget = cli("forget", str(AUTHOR), "--db", db)
    assert forget.returncode == 0, forget.stderr
    assert json.loads(forget.stdout) == {
        "votes": 1,
        "predictions": 1,
        "votes_on_their_predictions": 2,
        "teach_shown": 0,
    }
    purge = cli("purge", "--older-than-days", "30", "--db", db)
    assert (purge.returncode, purge.stdout.strip()) == (0, "purged 1 unvoted predictions")


def test_forget_without_secret_fails_clearly(db: str) -> None:
    result = cli("forget", str(AUTHOR), "--db", db, secret=None)
    assert result.returncode == 1
    assert SECRET_ENV in result.stderr
    assert not Path(f"{db}.secret").exists()


def test_usage_errors(tmp_path: Path) -> None:
    missing = cli("stats", "--db", str(tmp_path / "nope.db"))
    assert missing.returncode == 1
    assert "no database" in missing.stderr
    assert not (tmp_path / "nope.db").exists()
    assert cli("ignore-voter", "not-an-id", "--db", str(tmp_path / "x.db")).returncode == 2


def test_teach_pool_add_and_stats(db: str, tmp_path: Path) -> None:
    names = tmp_path / "names.txt"
    names.write_text("Nakamura\n\nMüller\nNakamura\n", encoding="utf-8")
    added = cli("teach-pool", "add", "--task", "origin", str(names), "--db", db)
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("added 2 origin inputs")
    again = cli("teach-pool", "add", "--task", "origin", str(names), "--db", db)
    assert again.stdout.startswith("added 0 origin inputs")  # already pooled
    stats = cli("teach-pool", "stats", "--db", db)
    assert json.loads(stats.stdout) == {"origin": {"pooled": 2, "scored": 0}}


WRITER = """
import asyncio, contextlib, sys
from db import FeedbackStore, Hasher, UnknownPrediction

async def main(path: str) -> None:
    async with await FeedbackStore.open(path, Hasher(sys.argv[2])) as store:
        async def keep_writing(k: int) -> None:
            for n in range(10**9):
                pred = await store.log_prediction("origin", f"Name{k}x{n}", "name", "v1",
                                                  "English", [("English", 0.9)], 1, 2, n)
                with contextlib.suppress(UnknownPrediction):  # purged meanwhile
                    await store.record_vote(pred, n + 7, "confirmed")
        print("writing", flush=True)
        await asyncio.gather(*(keep_writing(k) for k in range(16)))

asyncio.run(main(sys.argv[1]))
"""


def test_admin_commands_work_while_another_process_keeps_writing(tmp_path: Path) -> None:
    """As with the bot up and busy: reports and erasures wait for its lock, never fail on it
    (PRAGMA optimize at close once upgraded a read to a write and got "database is locked")."""
    db = str(tmp_path / "busy.db")
    writer = subprocess.Popen([sys.executable, "-c", WRITER, db, SECRET], cwd=REPO,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline() == "writing\n"
        commands = [("stats",), ("voters",), ("purge", "--older-than-days", "0"),
                    ("forget", str(AUTHOR)), ("teach-pool", "stats")] * 2
        for command in commands:
            result = cli(*command, "--db", db)
            assert result.returncode == 0, (command, result.stderr)
            assert writer.poll() is None  # still writing all along
    finally:
        writer.kill()
        writer.wait()


def test_forget_under_another_secret_is_refused_and_erases_nothing(db: str) -> None:
    result = cli("forget", str(AUTHOR), "--db", db, secret="some-other-secret-0123456789")
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {SECRET_ENV} is not the secret this database")
    assert len(result.stderr.splitlines()) == 1
    assert json.loads(cli("stats", "--db", db).stdout)["votes"] == 3  # nothing erased


async def test_voters_shows_a_flagged_group_and_one_command_quarantines_it(database) -> None:
    hasher = Hasher(SECRET)
    async with await FeedbackStore.open(database, hasher) as store:
        for i in range(6):
            pred = await store.log_prediction("origin", f"Kuzawa{i}", f"kuzawa{i}", "v1",
                                              "Japanese", [("Japanese", 0.99)], 1, 2, AUTHOR)
            for colluder in (7001, 7002, 7003):
                await store.record_vote(pred, colluder, "Russian")
    report = cli("voters", "--db", database, secret=None)
    assert report.returncode == 0, report.stderr
    [line] = [row for row in report.stdout.splitlines() if row.startswith("g-")]
    group = line.split()[0]
    assert "3 voters, counted" in line and "6 contradict a model at least 90% sure" in line
    assert report.stdout.splitlines()[1].startswith(
        tuple(hasher.hash_user(c) for c in (7001, 7002, 7003)))  # flagged voters first

    result = cli("quarantine", group, "--db", database, secret=None)
    assert (result.returncode, result.stdout.strip()) == (0, f"group {group}: 3 voters "
                                                             "quarantined")
    assert f"{group}  3 voters, quarantined" in cli("voters", "--db", database).stdout
    async with await FeedbackStore.open(database, None) as store:
        assert (await store.stats())["ignored_voters"] == 3
    released = cli("release", group, "--db", database, secret=None)
    assert released.stdout.strip() == f"group {group}: 3 voters released"
    unknown = cli("release", group, "--db", database, secret=None)
    assert unknown.returncode == 1 and "no quarantined group" in unknown.stderr
