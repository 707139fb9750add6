"""Where a task's serving checkpoint comes from.

Promoted checkpoints live in `<model_dir>/<task>/<version>.safetensors`, with a `CURRENT`
file naming the active one (so rollback is a one-line, atomic pointer change). With no
promoted model, the weights shipped inside the package are the read-only fallback.

A `CURRENT` that cannot be read, or names no promoted version, is a PointerError rather
than a guess: guessing "the newest" would silently undo a rollback. Only regular files are
read (a FIFO named CURRENT or *.safetensors would block its reader), and a promoted file
that is a link leading out of the model directory is not a promoted version.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from inference.errors import CheckpointError

SHIPPED_DIR = Path(__file__).resolve().parent / "weights"
CURRENT = "CURRENT"
SUFFIX = ".safetensors"
MAX_POINTER_BYTES = 256


class PointerError(CheckpointError):
    """A CURRENT file that cannot be read or names no promoted version."""


def read_regular(path: str | Path, limit: int | None = None) -> bytes:
    """The bytes of `path` (at most `limit`) if it is a regular file. Opened without
    blocking, so a FIFO or a device is refused at once instead of freezing the reader."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError("not a regular file")
        return fh.read() if limit is None else fh.read(limit)


def shipped_checkpoint(task: str) -> Path:
    return SHIPPED_DIR / f"{task}{SUFFIX}"


def task_dir(model_dir: str | Path, task: str) -> Path:
    return Path(model_dir) / task


def inside(model_dir: str | Path, path: Path) -> bool:
    """Whether `path`, links followed, is within the model directory."""
    try:
        path.resolve().relative_to(Path(model_dir).resolve())
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a link loop
        return False
    return True


def promoted_versions(model_dir: str | Path | None, task: str) -> list[str]:
    """Promoted versions of a task, oldest first (version ids sort by creation time); a
    link leading out of the model directory is none."""
    if model_dir is None or not task_dir(model_dir, task).is_dir():
        return []
    return sorted(p.name[: -len(SUFFIX)] for p in task_dir(model_dir, task).glob(f"*{SUFFIX}")
                  if inside(model_dir, p))


def pointed_version(model_dir: str | Path | None, task: str) -> str | None:
    """The promoted version CURRENT names; None where there is no CURRENT file.

    PointerError where CURRENT is not a readable regular text file or names no promoted
    version."""
    if model_dir is None:
        return None
    pointer = task_dir(model_dir, task) / CURRENT
    try:
        name = read_regular(pointer, MAX_POINTER_BYTES).decode("utf-8").strip()
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
        raise PointerError(f"{task}/{CURRENT} cannot be read ({exc})") from None
    if name not in promoted_versions(model_dir, task):
        raise PointerError(f"{task}/{CURRENT} names {name[:80]!r}, which is not a promoted "
                           f"{task} version")
    return name


def current_version(model_dir: str | Path | None, task: str) -> str | None:
    """The version CURRENT points at, else (no CURRENT) the newest promoted one, else None;
    PointerError for a CURRENT that cannot be followed."""
    versions = promoted_versions(model_dir, task)
    if not versions:
        return None
    return pointed_version(model_dir, task) or versions[-1]


def version_file(model_dir: str | Path, task: str, version: str) -> Path:
    return task_dir(model_dir, task) / f"{version}{SUFFIX}"


def resolve_checkpoint(task: str, model_dir: str | Path | None = None) -> Path:
    """The checkpoint to serve: the current promoted version, or the shipped weights."""
    version = current_version(model_dir, task)
    if version is None:
        return shipped_checkpoint(task)
    return version_file(model_dir, task, version)  # type: ignore[arg-type]


def set_current(model_dir: str | Path, task: str, version: str) -> None:
    """Point CURRENT at a promoted version, atomically (temp file + rename)."""
    folder = task_dir(model_dir, task)
    if version not in promoted_versions(model_dir, task):
        raise FileNotFoundError(f"no promoted {task} version {version!r}")
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
