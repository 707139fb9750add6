"""Where a task's serving checkpoint comes from.

Promoted checkpoints live in `<model_dir>/<task>/<version>.safetensors`, with a `CURRENT`
file naming the active one (so rollback is a one-line, atomic pointer change). With no
promoted model, the weights shipped inside the package are the read-only fallback.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

SHIPPED_DIR = Path(__file__).resolve().parent / "weights"
CURRENT = "CURRENT"


def shipped_checkpoint(task: str) -> Path:
    return SHIPPED_DIR / f"{task}.safetensors"


def task_dir(model_dir: str | Path, task: str) -> Path:
    return Path(model_dir) / task


def promoted_versions(model_dir: str | Path | None, task: str) -> list[str]:
    """Promoted versions of a task, oldest first (version ids sort by creation time)."""
    if model_dir is None or not task_dir(model_dir, task).is_dir():
        return []
    return sorted(p.stem for p in task_dir(model_dir, task).glob("*.safetensors"))


def current_version(model_dir: str | Path | None, task: str) -> str | None:
    """The version CURRENT points at, else the newest promoted one, else None."""
    versions = promoted_versions(model_dir, task)
    if not versions:
        return None
    pointer = task_dir(model_dir, task) / CURRENT  # type: ignore[arg-type]
    if pointer.is_file():
        name = pointer.read_text().strip()
        if name in versions:
            return name
    return versions[-1]


def resolve_checkpoint(task: str, model_dir: str | Path | None = None) -> Path:
    """The checkpoint to serve: the current promoted version, or the shipped weights."""
    version = current_version(model_dir, task)
    if version is None:
        return shipped_checkpoint(task)
    return task_dir(model_dir, task) / f"{version}.safetensors"  # type: ignore[arg-type]


def set_current(model_dir: str | Path, task: str, version: str) -> None:
    """Point CURRENT at a promoted version, atomically (temp file + rename)."""
    folder = task_dir(model_dir, task)
    if not (folder / f"{version}.safetensors").is_file():
        raise FileNotFoundError(f"no promoted {task} version {version!r} in {folder}")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".CURRENT.")
    with os.fdopen(fd, "w") as fh:
        fh.write(version + "\n")
    os.replace(tmp, folder / CURRENT)


def previous_version(model_dir: str | Path, task: str) -> str | None:
    """The version promoted just before the current one: the rollback target."""
    versions = promoted_versions(model_dir, task)
    current = current_version(model_dir, task)
    if current is None or versions.index(current) == 0:
        return None
    return versions[versions.index(current) - 1]
