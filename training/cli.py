"""`python -m training` origin|sentiment|ensemble|evaluate|ready|export-feedback|finetune|...
(see docs/results.md: Training and evaluation, and docs/learning-loop.md)."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import importlib
import json
import sys
from datetime import datetime
from pathlib import Path

from db import StoreError
from inference.device import configure_threads, resolve_device
from inference.errors import CheckpointError, InputError
from inference.registry import resolve_checkpoint
from inference.tasks import TASKS
from settings.database import location_argument, parse_location
from training.data import DataError
from training.finetune import FinetuneConfig
from training.lesson import PARTS as LESSON_PARTS
from training.recipes import UsageError, recipe
from training.settings import TrainingSettings
from training.suites import SUITES

# What `python -m training` reports as one line (settings.cli.run): a failed download, a
# bad checkpoint, a database that cannot be read, an input the model refuses.
KNOWN_ERRORS = (DataError, CheckpointError, StoreError, InputError, UsageError)
DB_KEY = TrainingSettings.declared_keys()["db"]
DB_HELP = (f"feedback database: a SQLite file, sqlite:///path or postgresql://user@host/dbname "
           f"(default: ${DB_KEY.env}, else {DB_KEY.shown})")
DEVICE_HELP = "auto|cpu|cuda|cuda:N|mps (default %(default)s)"
MODEL_DIR_HELP = ("promoted models (default: $SEQBOT_MODEL_DIR, else models/ beside a SQLite "
                  "database, in the working directory for PostgreSQL, as for the bot)")


def add_hyperparameters(parser: argparse.ArgumentParser, cfg_cls: type) -> None:
    """Every dataclass field becomes a --flag, so nothing is configured in two places."""
    for f in dataclasses.fields(cfg_cls):
        flag, shown = f"--{f.name.replace('_', '-')}", f"(default: {f.default})"
        if isinstance(f.default, bool):  # --x / --no-x: type=bool would read "False" as true
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=f.default,
                                help=shown)
        else:
            parser.add_argument(flag, type=type(f.default), default=f.default, help=shown)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m training", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for task in TASKS:
        p = sub.add_parser(task, help=f"train the {task} model")
        p.add_argument("--data", help="archive or folder with the data (default: $SEQBOT_DATA, "
                       "else download into the cache)")
        p.add_argument("--device", default="auto", help=DEVICE_HELP)
        p.add_argument("--threads", type=int, default=None, help="CPU intra-op threads")
        p.add_argument("--out", type=Path, default=None, help="output folder (default runs/...)")
        p.add_argument("--ship", action="store_true",
                       help="also copy the checkpoint over the weights shipped in the package")
        how = recipe(task)
        if how.add_options is not None:
            how.add_options(p)
        add_hyperparameters(p, how.config)
    en = sub.add_parser("ensemble", help="average trained checkpoints of one data split into "
                        "one model, calibrate it on validation and score it on test")
    en.add_argument("task", choices=TASKS, help="the task the members were trained for")
    en.add_argument("members", nargs="+", type=Path, help="checkpoints to average (>= 2)")
    en.add_argument("--data", help="the data the members were trained on (as for training)")
    en.add_argument("--seed", type=int, default=0, help="the members' split seed (default 0)")
    en.add_argument("--out", type=Path, default=None, help="output folder (default runs/...)")
    en.add_argument("--ship", action="store_true",
                    help="also copy the ensemble over the weights shipped in the package")
    ev = sub.add_parser("evaluate", help="score a checkpoint on the task's test set")
    ev.add_argument("task", choices=TASKS, help="the task to evaluate")
    ev.add_argument("--data", help="the test data (as for training)")
    ev.add_argument("--checkpoint", type=Path, default=None,
                    help="default: the model the bot serves, the current one in --model-dir, "
                         "else the shipped weights")
    ev.add_argument("--model-dir", type=Path, help=MODEL_DIR_HELP)
    ev.add_argument("--device", default="cpu", help=DEVICE_HELP)
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    ev.add_argument("--suite", choices=sorted(SUITES),
                    help="score a hand-written suite (training/eval/) instead of the test set: "
                         "a per-category table, and benchmarks/results/<task>_suite_<suite>.json "
                         "(default: the test set)")
    ev.add_argument("--part", choices=["tune", "final"],
                    help="only this half of a split suite (non_english; default: both)")
    for name, does, data_help in (
            ("ready", "make a trained checkpoint ready to serve: its known inputs from every "
                      "split, its verdict thresholds chosen on validation, its test metrics as "
                      "served (training/ready.py)", "the data it was trained on (as for training)"),
            ("calibrate", "fit a checkpoint's temperature and choose its verdict thresholds on "
                          "chat-length validation data, in place, as a new version "
                          "(training/short_text.py)",
             "folder with sst2 and sentiment140 (as for training)"),
            ("emoji-rows", "fit a sentiment checkpoint's emoji rows, and nothing else, to each "
                           "emoji alone as sure as the tweets marked with it, in place, as a "
                           "new version (training/emoji_rows.py)",
             "folder with sentiment140 (as for training)"),
            ("lesson", "teach a sentiment checkpoint one more part of the chat mixture, its "
                       "own mixture replayed as its own predictions, then calibrate it, in "
                       "place, as a new version (training/lesson.py)",
             "the data it was trained on (as for training)")):
        p = sub.add_parser(name, help=does)
        p.add_argument("task", choices=TASKS, help="the task the checkpoint answers")
        p.add_argument("--checkpoint", type=Path, required=True, help="the checkpoint to update")
        p.add_argument("--data", help=data_help)
        for option, spec in IN_PLACE_OPTIONS.get(name, {}).items():
            p.add_argument(f"--{option}", **spec)
    ex = sub.add_parser("export-feedback", help="write the community-agreed examples of a task")
    ex.add_argument("--task", choices=TASKS, required=True, help="whose examples to write")
    ex.add_argument("--format", choices=["jsonl", "csv"], default="jsonl",
                    help="the output format (default %(default)s)")
    ex.add_argument("--db", type=location_argument, help=DB_HELP)
    ex.add_argument("--out", default="-", help="output file (default: stdout)")
    ft = sub.add_parser("finetune", help="fine-tune the served model on agreed feedback and "
                        "promote it if it is better (exit 1: rejected, 3: too few examples)")
    ft.add_argument("task", choices=TASKS, help="the task whose served model to fine-tune")
    ft.add_argument("--db", type=location_argument, help=DB_HELP)
    ft.add_argument("--data", help="original data to replay and test on (as for training)")
    ft.add_argument("--model-dir", type=Path, help=MODEL_DIR_HELP)
    ft.add_argument("--device", default="auto", help=DEVICE_HELP)
    ft.add_argument("--threads", type=int, default=None, help="CPU intra-op threads")
    ft.add_argument("--dry-run", action="store_true",
                    help="train, evaluate and report, but record and promote nothing")
    add_hyperparameters(ft, FinetuneConfig)
    ft.set_defaults(max_share=None)  # SEQBOT_FINETUNE_MAX_SHARE unless the flag is given
    tp = sub.add_parser("teach-pool", help="short sentences from the unlabelled IMDB reviews, "
                        "for `python -m db teach-pool add --task sentiment`")
    tp.add_argument("--data", help="the unlabelled reviews (as for training)")
    tp.add_argument("--limit", type=int, default=5000, help="sentences to write (default 5000)")
    tp.add_argument("--seed", type=int, default=0, help="which sentences (default %(default)s)")
    tp.add_argument("--min-words", type=int, default=4,
                    help="the shortest sentence, in words (default %(default)s)")
    tp.add_argument("--max-words", type=int, default=25,
                    help="the longest sentence, in words (default %(default)s)")
    tp.add_argument("--out", type=Path, default=None, help="output file (default: stdout)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    resolve_settings(args, TrainingSettings.load_or_exit())

    command = {"evaluate": evaluate_command, "export-feedback": export_command,
               "finetune": finetune_command, "teach-pool": teach_pool_command,
               **dict.fromkeys(IN_PLACE, in_place_command_line)}.get(args.command)
    if command is not None:
        return command(args)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    if args.command == "ensemble":
        return ensemble_command(args, args.out or Path("runs") / f"{args.task}-ensemble-{stamp}")
    configure_threads(args.threads)
    device = resolve_device(args.device)
    how = recipe(args.command)
    cfg = how.config(**{f.name: getattr(args, f.name) for f in dataclasses.fields(how.config)})
    try:
        how.train(cfg, args, args.out or Path("runs") / f"{args.command}-{stamp}", device)
    except UsageError as exc:
        parser.error(str(exc))
    return 0


def resolve_settings(args: argparse.Namespace, settings: TrainingSettings) -> None:
    """Fill --db and --model-dir (models/ beside the --db given) from the settings when left
    out; --data falls back to SEQBOT_DATA where data is looked up (training.data.locate)."""
    if "db" in args:
        args.db = parse_location(args.db or settings.db)
        settings = dataclasses.replace(settings, db=args.db)  # models/ beside it
    if "model_dir" in args:
        args.model_dir = args.model_dir or settings.models
    if "max_share" in args and args.max_share is None:
        args.max_share = settings.finetune_max_share


# the commands that update one checkpoint in place: where each is, imported when it runs
IN_PLACE = {"ready": ("training.ready", "ready_command"),
            "calibrate": ("training.short_text", "calibrate_command"),
            "emoji-rows": ("training.emoji_rows", "emoji_rows_command"),
            "lesson": ("training.lesson", "lesson_command")}
# ... and the options of their own, beyond the task, the checkpoint and the data
IN_PLACE_OPTIONS = {"lesson": {"part": {
    "required": True, "choices": LESSON_PARTS,
    "help": "what to teach, as the mixture's data set names it (compared: "
            "training/comparatives.py, advice: training/advice.py...)"}}}


def in_place_command_line(args: argparse.Namespace) -> int:
    module, name = IN_PLACE[args.command]
    command = getattr(importlib.import_module(module), name)
    configure_threads(None)
    try:
        command(args.task, args.checkpoint, args.data,
                **{option: getattr(args, option)
                   for option in IN_PLACE_OPTIONS.get(args.command, {})})
    except (CheckpointError, DataError, UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def ensemble_command(args: argparse.Namespace, out: Path) -> int:
    from inference.checkpoint import CheckpointError
    from training import ensemble

    configure_threads(None)
    try:
        ensemble.build(args.task, args.members, args.data, out, seed=args.seed, ship=args.ship)
    except (ensemble.EnsembleError, CheckpointError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def evaluate_command(args: argparse.Namespace) -> int:
    from training.evaluate import evaluate, format_report

    configure_threads(None)
    checkpoint = args.checkpoint or resolve_checkpoint(args.task, args.model_dir)
    if args.suite:
        return suite_command(args, checkpoint)
    metrics = evaluate(args.task, checkpoint, args.data, args.device)
    if metrics["protocol"] == "tutorial":
        print("warning: this model was trained on the tutorial protocol, whose training lines "
              "hold most of the clean test names: these figures overstate it", file=sys.stderr)
    if args.json:
        slim = {k: metrics[k] for k in ("accuracy", "macro_f1", "ece", "n", "model_version")}
        slim["per_class_f1"] = {k: v["f1"] for k, v in metrics["per_class"].items()}
        print(json.dumps(slim))
    else:
        print(format_report(args.task, metrics))
    return 0


def suite_command(args: argparse.Namespace, checkpoint: Path) -> int:
    from inference.predictor import Predictor
    from training.suites import format_table, run_suite, write_result

    cases = SUITES[args.suite]()
    if args.part:
        cases = [c for c in cases if c.part == args.part]
    result = run_suite(Predictor.load(args.task, checkpoint, device=args.device), cases)
    path = write_result(args.suite + (f"_{args.part}" if args.part else ""), args.task, result)
    if args.json:
        print(json.dumps({k: v for k, v in result.items() if k != "cases"}))
    else:
        print(format_table(args.suite, result))
        print(f"wrote {path}", file=sys.stderr)
    return 0


def export_command(args: argparse.Namespace) -> int:
    from training.feedback_export import export_feedback, format_summary

    try:
        summary = asyncio.run(export_feedback(args.db, args.task, args.format, args.out))
    except (FileNotFoundError, StoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    # The rows may be on stdout: the summary goes to stderr so they can be piped.
    print(format_summary(args.task, summary), file=sys.stderr)
    return 0


def finetune_command(args: argparse.Namespace) -> int:
    from training.finetune import finetune

    configure_threads(args.threads)
    cfg = FinetuneConfig(**{f.name: getattr(args, f.name)
                            for f in dataclasses.fields(FinetuneConfig)})
    try:
        outcome = asyncio.run(finetune(args.task, args.db, model_dir=args.model_dir,
                                       data=args.data, device=resolve_device(args.device),
                                       cfg=cfg, dry_run=args.dry_run))
    except (FileNotFoundError, StoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(outcome.message, file=sys.stderr if outcome.exit_code else sys.stdout)
    if outcome.report_path is not None:
        print(f"report: {outcome.report_path} (and .png)")
    return outcome.exit_code


def teach_pool_command(args: argparse.Namespace) -> int:
    from training.data import locate
    from training.teach_pool import extract

    picked = extract(locate("imdb_unsup", args.data), args.limit, seed=args.seed,
                     min_words=args.min_words, max_words=args.max_words)
    lines = "".join(f"{s}\n" for s in picked)
    if args.out is None:
        sys.stdout.write(lines)
    else:
        args.out.write_text(lines, encoding="utf-8")
        print(f"wrote {len(picked)} sentences to {args.out}", file=sys.stderr)
    return 0
