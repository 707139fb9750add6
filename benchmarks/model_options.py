"""Which checkpoints a benchmark measures: the options the benchmark scripts share."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path

from inference.settings import InferenceSettings
from inference.tasks import TASKS


def add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint-dir", type=Path,
                        help="use DIR/origin.safetensors and DIR/sentiment.safetensors")
    parser.add_argument("--model-dir", type=Path, default=InferenceSettings.load().model_dir,
                        help="promoted models (default: $SEQBOT_MODEL_DIR); else shipped weights")


def explicit_checkpoints(
    args: argparse.Namespace, tasks: Iterable[str] = TASKS
) -> dict[str, Path] | None:
    """--checkpoint-dir's files, or None to let the worker pick (--model-dir, else shipped)."""
    if not args.checkpoint_dir:
        return None
    return {task: args.checkpoint_dir / f"{task}.safetensors" for task in tasks}
