"""Configuration keys, each declared once: environment name, type, default and help.

A package declares the keys it reads as `setting()` fields of a frozen dataclass extending
`SettingsBase`. A key several packages read is declared in the lowest of them and inherited:
settings/database.py (SEQBOT_DB) < db/settings.py, inference/settings.py <
training/settings.py, bot/settings.py. `load()` reads `.env` (python-dotenv) overlaid by the
real environment and parses every key once, so a value that cannot be used is one
`SettingsError` naming its key. `.env.example` is rendered from the declarations
(`env_example`), and a test keeps the committed file equal to it.
"""

from __future__ import annotations

import math
import os
import sys
import textwrap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

from dotenv import dotenv_values

T = TypeVar("T")
Parse = Callable[[str], Any]
_KEY = "seqbot.setting"
S = TypeVar("S", bound="SettingsBase")


class SettingsError(ValueError):
    """A configuration value that cannot be used; the message names the key."""


@dataclass(frozen=True)
class Key:
    """One environment variable: what `.env.example` says about it and how it is parsed."""

    env: str
    help: str
    parse: Parse
    secret: bool
    shown: str  # the value `.env.example` gives: the default, or "" where none is written


def setting(env: str, default: T, help: str, parse: Parse = str, *, secret: bool = False,
            shown: str | None = None) -> T:
    """A dataclass field read from `env`; `parse` turns the raw text into the field's type
    (raising ValueError with a message that reads after the key's name). A secret is left
    out of repr and returned by `secrets()`, so logging can redact it."""
    key = Key(env, help, parse, secret, _show(default) if shown is None else shown)
    return field(default=default, repr=not secret, metadata={_KEY: key})


def _show(default: object) -> str:
    if default is None or default in ((), frozenset()):
        return ""
    return f"{default:g}" if isinstance(default, float) else str(default)


def read_environment(env: Mapping[str, str] | None = None,
                     dotenv_path: str | Path | None = ".env") -> dict[str, str]:
    """`.env` (if any) overlaid by `env` (default: the process environment)."""
    values: dict[str, str] = {}
    if dotenv_path is not None and Path(dotenv_path).is_file():
        values.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
    values.update(os.environ if env is None else env)
    return values


# ---------------------------------------------------------------- parsers

MIN_SECRET_CHARS = 16  # ~96 bits as token_urlsafe writes them: beyond guessing
NEW_SECRET = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'


def path(raw: str) -> Path:
    return Path(raw).expanduser()


def whole(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"must be a whole number, got {raw!r}") from None


def count(raw: str) -> int:
    """A whole number, 0 or more."""
    value = whole(raw)
    if value < 0:
        raise ValueError(f"must be a whole number >= 0, got {raw!r}")
    return value


def number(*, at_least: float | None = None, above: float | None = None,
           at_most: float | None = None, below: float | None = None) -> Callable[[str], float]:
    """A finite float within the given bounds."""
    bounds = [(at_least, ">=", float.__ge__), (above, ">", float.__gt__),
              (at_most, "<=", float.__le__), (below, "<", float.__lt__)]
    bounds = [(limit, sign, holds) for limit, sign, holds in bounds if limit is not None]
    wanted = " and ".join(f"{sign} {limit:g}" for limit, sign, _ in bounds)

    def parse(raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"must be a number, got {raw!r}") from None
        if not math.isfinite(value):
            raise ValueError(f"must be a finite number, got {raw!r}")
        if not all(holds(value, float(limit)) for limit, _, holds in bounds):
            raise ValueError(f"must be a number {wanted}, got {raw!r}")
        return value

    return parse


def switch(raw: str) -> bool:
    """On or off: 1/true/yes/on or 0/false/no/off, in any case."""
    value = raw.strip().lower()
    if value not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
        raise ValueError(f"must be 1/true/yes/on or 0/false/no/off, got {raw!r}")
    return value in ("1", "true", "yes", "on")


def strong_secret(raw: str) -> str:
    """A secret no one can guess or brute-force: at least MIN_SECRET_CHARS characters."""
    if len(raw) < MIN_SECRET_CHARS:
        raise ValueError(f"must be at least {MIN_SECRET_CHARS} characters; generate one with "
                         f"{NEW_SECRET}")
    return raw


def ids(raw: str) -> tuple[int, ...]:
    """Comma- or space-separated integers (Discord ids, shard numbers)."""
    try:
        return tuple(int(part) for part in raw.replace(",", " ").split())
    except ValueError:
        raise ValueError(f"must be a list of numbers, got {raw!r}") from None


def id_set(raw: str) -> frozenset[int]:
    return frozenset(ids(raw))


def one_of(*choices: str) -> Callable[[str], str]:
    """One of `choices`, in any case."""

    def parse(raw: str) -> str:
        if raw.upper() not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}, got {raw!r}")
        return raw.upper()

    return parse


# ---------------------------------------------------------------- declarations


@dataclass(frozen=True)
class SettingsBase:
    """Parsing, loading and secrets for every settings class; it declares no key."""

    @classmethod
    def declared_keys(cls) -> dict[str, Key]:
        """Field name -> key, in declaration order (inherited keys first)."""
        return {f.name: f.metadata[_KEY] for f in fields(cls)}

    @classmethod
    def own_keys(cls) -> list[Key]:
        """The keys this class declares itself, not those it inherits."""
        inherited = {name for base in cls.__mro__[1:] if issubclass(base, SettingsBase)
                     for name in base.declared_keys()}
        return [key for name, key in cls.declared_keys().items() if name not in inherited]

    @classmethod
    def load(cls: type[S], env: Mapping[str, str] | None = None,
             dotenv_path: str | Path | None = ".env") -> S:
        """Read `.env` (if any) overlaid by `env` (default: the process environment)."""
        return cls.from_mapping(read_environment(env, dotenv_path))

    @classmethod
    def load_or_exit(cls: type[S]) -> S:
        """For a command line: the settings, or one `configuration error` line and exit
        status 2, as argparse does for a bad flag."""
        try:
            return cls.load()
        except SettingsError as exc:
            print(f"configuration error: {exc}", file=sys.stderr)
            raise SystemExit(2) from None

    @classmethod
    def from_mapping(cls: type[S], values: Mapping[str, str]) -> S:
        """Parse each declared key; a missing or empty one keeps its default. A secret of
        only whitespace is refused: whoever wrote it meant to set one."""
        parsed = {}
        for name, key in cls.declared_keys().items():
            given = values.get(key.env) or ""
            raw = given.strip()
            if key.secret and given and not raw:
                raise SettingsError(f"{key.env} is only whitespace: set a real secret "
                                    f"(at least {MIN_SECRET_CHARS} characters) or leave it empty")
            if raw:
                try:
                    parsed[name] = key.parse(raw)
                except ValueError as exc:
                    why = str(exc).replace(raw, "<secret>") if key.secret else str(exc)
                    raise SettingsError(f"{key.env} {why}") from None
        return cls(**parsed)

    def secrets(self) -> list[str]:
        """Values that must never reach a log line."""
        return [value for name, key in self.declared_keys().items()
                if key.secret and (value := getattr(self, name))]


def env_example(sections: Iterable[type[SettingsBase]], header: str) -> str:
    """`.env.example`: per class, the first sentence of its docstring as a title, then each
    key it declares with its help as a comment and its default as the value."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    for cls in sections:
        title = (cls.__doc__ or cls.__name__).split(".")[0].strip()
        lines += ["", f"# ---- {title} ({cls.__module__}.{cls.__name__})"]
        for key in cls.own_keys():
            lines += ["", *_comment(key.help), f"{key.env}={key.shown}"]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _comment(help: str) -> list[str]:
    """Lines wrapped at 92 columns; a line starting with spaces is kept as it is."""
    out = []
    for paragraph in help.split("\n"):
        out += ([paragraph] if paragraph.startswith("  ")
                else textwrap.wrap(paragraph, 92, break_on_hyphens=False))
    return [f"# {line}".rstrip() for line in out]
