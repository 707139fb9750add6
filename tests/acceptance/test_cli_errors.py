"""Every command line as a newcomer meets it: errors a user can fix are one line and a
non-zero exit status, never a traceback (settings.cli)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from inference.registry import set_current, task_dir

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("SEQBOT_", "DISCORD_", "INFERENCE_"))}
    return {**clean, "PYTHONPATH": str(ROOT), "SEQBOT_DB": str(tmp_path / "chat.db"),
            "SEQBOT_DEVICE": "cpu", "SEQBOT_LOG_LEVEL": "WARNING", **extra}


def _run(tmp_path: Path, *args: str, blocked: str = "", **env: str):
    """`python -m ARGS`, in a process where the modules in `blocked` cannot be imported
    (as when an optional extra is not installed)."""
    code = (f"import runpy, sys\nfor m in {blocked.split()!r}:\n    sys.modules[m] = None\n"
            f"sys.argv[1:] = {list(args[1:])!r}\n"
            f"runpy.run_module({args[0]!r}, run_name='__main__', alter_sys=True)\n")
    return subprocess.run([sys.executable, "-c", code], env=_env(tmp_path, **env),
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)


def _one_line_error(result: subprocess.CompletedProcess, *words: str) -> str:
    assert result.returncode != 0, result
    assert "Traceback" not in result.stderr, result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert all(word in line for word in words), line
    return line


def test_training_without_the_train_extra_names_the_extra(tmp_path):
    result = _run(tmp_path, "training", "--help", blocked="tqdm pooch")
    assert result.stderr.count("\n") == 1
    _one_line_error(result, "pip install 'seqbot[train]'")


def test_a_failed_download_is_one_line(tmp_path):
    """Offline (here: a proxy nobody answers), the data set cannot be downloaded."""
    result = _run(tmp_path, "training", "evaluate", "origin", "--checkpoint",
                  str(ROOT / "inference" / "weights" / "origin.safetensors"),
                  SEQBOT_CACHE=str(tmp_path / "cache"), HTTPS_PROXY="http://127.0.0.1:9",
                  https_proxy="http://127.0.0.1:9", NO_PROXY="", no_proxy="")
    _one_line_error(result, "downloading", "--data PATH")
    assert len(result.stderr.splitlines()) <= 2  # pooch's "Downloading ..." line, and ours


def test_the_bot_refuses_a_broken_promoted_model_in_one_line(tmp_path):
    models = tmp_path / "models"
    task_dir(models, "origin").mkdir(parents=True)
    (task_dir(models, "origin") / "broken.safetensors").write_bytes(b"junk")
    set_current(models, "origin", "broken")
    result = _run(tmp_path, "bot", "console", SEQBOT_MODEL_DIR=str(models))
    _one_line_error(result, "unreadable checkpoint", "broken.safetensors")


def test_inference_and_db_errors_are_one_line(tmp_path):
    predict = _run(tmp_path, "inference", "predict", "origin", "Smith", "--checkpoint",
                   str(tmp_path / "missing.safetensors"))
    _one_line_error(predict, "missing.safetensors")
    stats = _run(tmp_path, "db", "stats", "--db", str(tmp_path / "none.db"))
    _one_line_error(stats, "no database")
    postgres = _run(tmp_path, "db", "stats", "--db", "postgresql://u@127.0.0.1:9/x",
                    blocked="asyncpg")
    _one_line_error(postgres, "seqbot[postgres]")


def _options(parser: argparse.ArgumentParser, path: str) -> Iterator[tuple[str, argparse.Action]]:
    """Every argument of `parser` and of its subcommands, with the command it belongs to."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _options(sub, f"{path} {name}")
        elif not isinstance(action, argparse._HelpAction):
            yield path, action


def test_every_option_of_every_command_line_has_help_and_shows_its_default():
    from bot.cli import build_parser as bot_parser
    from db.__main__ import build_parser as db_parser
    from inference.cli import build_parser as inference_parser
    from training.cli import build_parser as training_parser

    parsers = {"bot": bot_parser(), "db": db_parser(), "inference": inference_parser(),
               "training": training_parser()}
    seen = 0
    for package, parser in parsers.items():
        for command, action in _options(parser, f"python -m {package}"):
            name = "/".join(action.option_strings) or action.dest
            assert action.help, f"{command} {name} has no help"
            help_text = action.help % {"default": action.default}
            if action.option_strings and action.default not in (None, False):
                assert "default" in help_text, (
                    f"{command} {name} does not show its default {action.default!r}")
            seen += 1
    assert seen > 100
