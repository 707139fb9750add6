"""How a task's model is trained from scratch: the recipe module its spec names
(TaskSpec.recipe, e.g. "training.origin"), which defines RECIPE = Recipe(...).

`python -m training <task>` is built from these: one subcommand per task, each field of the
recipe's config dataclass a --flag.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from inference.tasks import task_spec


class UsageError(ValueError):
    """Options that do not go together; the CLI reports it as a usage error."""


@dataclass(frozen=True)
class Recipe:
    config: type  # the hyper-parameter dataclass (training/config.py)
    # (config, CLI arguments, output folder, device): trains, saves, reports, ships if asked
    train: Callable[[Any, argparse.Namespace, Path, torch.device], object]
    add_options: Callable[[argparse.ArgumentParser], None] | None = None  # beyond the config's
    # (checkpoint, output folder): more figures into its report, for models this recipe did
    # not train itself (an ensemble of its models)
    report_more: Callable[[Path, Path], None] | None = None
    # (predictor, validation pairs) -> the model's verdict thresholds (inference.verdict),
    # chosen by `python -m training ready` and again after a finetune; None: none
    choose_verdicts: Callable[[Any, list[tuple[str, str]]], dict] | None = None
    # (checkpoint, data path) -> report: a new temperature and verdict thresholds chosen on
    # the task's chat-length validation data (training/short_text.py), written by
    # `python -m training calibrate`; None: the task has none
    calibrate: Callable[[Any, Any], dict] | None = None


def recipe(task: str) -> Recipe:
    return importlib.import_module(task_spec(task).recipe).RECIPE
