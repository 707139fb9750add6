"""Admin command line: `python -m db {forget,purge,stats,voters,quarantine,release,
teach-pool,copy,models}`.

Safe to run while the bot is up: it opens its own connection; the reports (stats, voters,
teach-pool stats) only read, and the other commands wait for the bot's writes (SQLite's busy
timeout; PostgreSQL's lock timeout). `--db` takes what SEQBOT_DB takes: a file
path, sqlite:///path or postgresql://user@host/dbname (see settings.database).
"""

import argparse
import asyncio
import json
import logging
import math
import sqlite3
import sys

from db.copy import copy_database
from db.errors import StoreError
from db.model_sync import ModelSync
from db.postgres import DRIVER_ERRORS
from db.privacy import SECRET_ENV, Hasher, is_user_hash, resolve_secret
from db.records import VoterGroup, VoterStats, check_task
from db.settings import DbSettings
from db.store import MAX_RETENTION_DAYS, FeedbackStore
from db.trust import GROUP_ID
from settings.cli import command_line
from settings.database import location_argument

DB_KEY = DbSettings.declared_keys()["db"]
READ_ONLY = ("stats", "voters")  # with `teach-pool stats`: they never take the write lock


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        type=location_argument,
        help=f"database: a file, sqlite:///path or postgresql://user@host/dbname "
             f"(default: ${DB_KEY.env}, else {DB_KEY.shown})",
    )
    hashing = argparse.ArgumentParser(add_help=False)
    hashing.add_argument(
        "--dev",
        action="store_true",
        help=f"without ${SECRET_ENV}, use the dev secret file next to the database",
    )
    parser = argparse.ArgumentParser(prog="python -m db", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    forget = commands.add_parser(
        "forget", parents=[common, hashing], help="erase a user's votes and predictions"
    )
    forget.add_argument("user", type=int, metavar="USER_ID", help="their Discord user id")

    purge = commands.add_parser("purge", parents=[common], help="delete old unvoted predictions")
    purge.add_argument("--older-than-days", type=_days, required=True, metavar="N",
                       help="delete those older than N days")

    commands.add_parser("stats", parents=[common], help="print counts as JSON")

    voters = commands.add_parser(
        "voters", parents=[common],
        help="each voter's estimated trust and flagged groups (and why), suspects first")
    voters.add_argument("--task", type=_task, help="one task's votes only (e.g. origin)")

    for name, alias, summary in (
        ("quarantine", "ignore-voter", "stop counting the votes of a voter or a flagged group"),
        ("release", "unignore-voter", "count a quarantined voter's or group's votes again"),
    ):
        command = commands.add_parser(name, aliases=[alias], parents=[common, hashing],
                                      help=summary)
        command.add_argument(
            "user", type=_voter_ref, metavar="USER_ID_HASH_OR_GROUP",
            help="Discord id, voter hash, or group id (g-..., from `voters`)")
    pool = commands.add_parser("teach-pool", help="unlabelled inputs /teach may ask about")
    pool_commands = pool.add_subparsers(dest="pool_command", required=True)
    add = pool_commands.add_parser(
        "add", parents=[common], help="add inputs, one per line (- reads stdin)"
    )
    add.add_argument("--task", type=_task, required=True,
                     help="the task whose model scores them (e.g. sentiment)")
    add.add_argument("file", type=argparse.FileType("r", encoding="utf-8"), metavar="FILE",
                     help="one input per line")
    add.add_argument("--source", help="where they come from (default: the file name)")
    pool_commands.add_parser("stats", parents=[common], help="pooled and scored inputs per task")
    copy = commands.add_parser(
        "copy", help="copy every row from one database to another (SQLite <-> PostgreSQL), "
                     "then compare them row for row")
    copy.add_argument("source", type=location_argument, metavar="SRC", help="the database to read")
    copy.add_argument("destination", type=location_argument, metavar="DST",
                      help="the database to fill (migrated first)")
    copy.add_argument("--force", action="store_true",
                      help="empty a destination that already holds rows, instead of refusing")
    models = commands.add_parser("models", help="the model registry every process follows")
    model_commands = models.add_subparsers(dest="models_command", required=True)
    sync = model_commands.add_parser(
        "sync", parents=[common],
        help="write each task's production checkpoint and CURRENT into a model folder (the "
             "sidecar of a standalone inference service, whose watcher then loads it)")
    sync.add_argument("--model-dir", required=True, metavar="DIR",
                      help="the folder the inference service serves (its SEQBOT_MODELS)")
    sync.add_argument("--follow", action="store_true",
                      help="keep following promotions and rollbacks until interrupted")
    sync.add_argument("--interval", type=_seconds, default=None, metavar="S",
                      help="seconds between polls (default: $SEQBOT_MODEL_SYNC_S)")
    rollback = model_commands.add_parser(
        "rollback", parents=[common],
        help="make the version promoted before the current one production again, everywhere")
    rollback.add_argument("task", type=_task, help="which model (e.g. origin)")
    return parser


def _voter_ref(text: str) -> int | str:
    """Admins copy hashes and group ids from the `voters` report, and ids from Discord."""
    if is_user_hash(text) or GROUP_ID.fullmatch(text):
        return text
    if text.isdigit():
        return int(text)
    raise argparse.ArgumentTypeError(
        "expected a Discord user id, a 64-hex voter hash or a group id (g-...)")


async def run(args: argparse.Namespace, settings: DbSettings) -> str:
    if args.command == "copy":
        counts = await copy_database(args.source, args.destination, force=args.force,
                                     progress=lambda line: print(line, file=sys.stderr))
        return (f"copied {sum(counts.values())} rows from {args.source} to "
                f"{args.destination}; every table verified row for row")
    if not args.db.exists():
        raise StoreError(f"no database at {args.db}")
    needs_hasher = isinstance(getattr(args, "user", None), int)  # hashes need no secret
    hasher = (Hasher(resolve_secret(args.db, settings.hash_secret, dev_mode=args.dev))
              if needs_hasher else None)
    read_only = args.command in READ_ONLY or getattr(args, "pool_command", None) == "stats"
    async with await FeedbackStore.open(args.db, hasher, read_only=read_only) as store:
        if args.command == "models":
            return await _models(store, args, settings)
        return await _dispatch(store, args)


async def _models(store: FeedbackStore, args: argparse.Namespace, settings: DbSettings) -> str:
    if args.models_command == "rollback":
        moved = await store.rollback_model(args.task)
        if moved is None:
            raise StoreError(f"the registry has no earlier {args.task} version to roll back to")
        return f"{args.task}: {moved.version} is production again; every process follows"
    sync = ModelSync(store, args.model_dir,
                     interval_s=args.interval or settings.model_sync_s or 5.0)
    if args.follow:
        await sync.follow()
    changed = await sync.sync()
    return "; ".join(f"{m.task}: CURRENT -> {m.version}" for m in changed) or "up to date"


async def _dispatch(store: FeedbackStore, args: argparse.Namespace) -> str:
    if args.command == "forget":
        return json.dumps(await store.forget_user(args.user))
    if args.command == "purge":
        return f"purged {await store.purge_unvoted(args.older_than_days)} unvoted predictions"
    if args.command == "stats":
        return json.dumps(await store.stats(), indent=2)
    if args.command == "voters":
        return _voter_table(await store.voter_agreement(args.task), await store.voter_groups())
    if args.command == "teach-pool":
        return await _teach_pool(store, args)
    return await _set_ignored(store, args.user,
                              ignore=args.command in ("quarantine", "ignore-voter"))


async def _set_ignored(store: FeedbackStore, voter: int | str, *, ignore: bool) -> str:
    if isinstance(voter, str) and GROUP_ID.fullmatch(voter):
        count = await (store.quarantine_group if ignore else store.release_group)(voter)
        return f"group {voter}: {count} voters {'quarantined' if ignore else 'released'}"
    if isinstance(voter, int):
        changed = await (store.ignore_voter if ignore else store.unignore_voter)(voter)
    else:
        changed = await (store.ignore_voter_hash if ignore else store.unignore_voter_hash)(voter)
    return f"voter {'now' if changed else 'already'} {'ignored' if ignore else 'counted'}"


async def _teach_pool(store: FeedbackStore, args: argparse.Namespace) -> str:
    if args.pool_command == "add":
        with args.file as lines:
            added = await store.teach.add_to_pool(args.task, lines, args.source or lines.name)
        return f"added {added} {args.task} inputs to the pool (the bot scores them itself)"
    return json.dumps(await store.teach.pool_stats(), indent=2)


def _voter_table(stats: list[VoterStats], groups: list[VoterGroup]) -> str:
    lines = [f"{'voter_hash':64}  {'votes':>5}  {'trust':>5}  {'checked':>7}  {'agreement':>9}  "
             f"{'group':13}  quarantined"]
    for voter in stats:
        share = "-" if voter.agreement is None else f"{voter.agreement:.2f}"
        flag = "yes" if voter.ignored else "no"
        trust = "mod" if voter.moderator else f"{voter.trust:.2f}"
        lines.append(f"{voter.voter_hash:64}  {voter.votes:>5}  {trust:>5}  "
                     f"{voter.evaluated:>7}  {share:>9}  {voter.group or '-':13}  {flag}")
    lines.append("")
    lines.append(f"flagged groups: {len(groups)}" + (" (quarantine one: python -m db "
                                                      "quarantine GROUP_ID)" if groups else ""))
    for group in groups:
        state = "quarantined" if group.quarantined else "counted"
        lines.append(f"{group.group_id}  {len(group.members)} voters, {state}: "
                     + "; ".join(group.reasons))
    return "\n".join(lines)


def _task(raw: str) -> str:
    """The database keeps any well-formed task name; which tasks are served is the
    inference spec's business."""
    try:
        return check_task(raw)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _seconds(raw: str) -> float:
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not 0 < seconds < math.inf:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a positive number of seconds")
    return seconds


def _days(raw: str) -> float:
    """An age the purge accepts, refused here with a usage message instead of a traceback."""
    try:
        days = float(raw)
    except ValueError:
        days = math.nan
    if not 0 <= days <= MAX_RETENTION_DAYS:
        raise argparse.ArgumentTypeError(
            f"{raw!r} is not a number of days from 0 to {MAX_RETENTION_DAYS}")
    return days


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    settings = DbSettings.load_or_exit()
    if hasattr(args, "db"):
        args.db = args.db or settings.db
    try:
        print(asyncio.run(run(args, settings)))
    except (StoreError, sqlite3.Error, UnicodeDecodeError, OSError, *DRIVER_ERRORS) as error:
        # a message, no traceback (no driver error carries the password)
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    with command_line([StoreError]):
        sys.exit(main())
