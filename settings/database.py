"""SEQBOT_DB, declared below db and inference because both read it: db opens the database,
and inference keeps promoted models beside a SQLite file (inference.settings).

Where the feedback database lives; the bot and every `--db` take the same forms:
- a file path, or `sqlite:///relative/path` / `sqlite:////absolute/path` (SQLAlchemy's
  spelling): the embedded SQLite store, the default (`seqbot.db`);
- `postgresql://user[:password]@host[:port]/dbname` (or `postgres://`, and any parameter
  libpq accepts in the query string): a PostgreSQL server. Without a password in the URL,
  asyncpg reads `PGPASSWORD` or `~/.pgpass`, as psql does.

A location prints without its password, so it can go into logs and error messages as it is.
"""

from __future__ import annotations

import argparse
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from settings import SettingsBase, setting

DB_ENV = "SEQBOT_DB"
DEFAULT_DB = "seqbot.db"

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_POSTGRES_SCHEMES = ("postgresql", "postgres")
_SQLITE_PREFIX = "sqlite:///"


@dataclass(frozen=True)
class DatabaseLocation:
    """A parsed `SEQBOT_DB`: a SQLite `path`, or a PostgreSQL `dsn` (kept out of repr)."""

    path: Path | None = None
    dsn: str | None = field(default=None, repr=False)

    @property
    def is_postgres(self) -> bool:
        return self.dsn is not None

    @property
    def sqlite_path(self) -> Path:
        if self.path is None:
            raise ValueError(f"{self} is not a SQLite database")
        return self.path

    @property
    def password(self) -> str | None:
        """The password written in the URL (user part or ?password=), if any, so that log
        filters can mask it wherever it might still turn up."""
        if self.dsn is None:
            return None
        parts = urlsplit(self.dsn)
        query = dict(parse_qsl(parts.query))
        return parts.password or query.get("password") or None

    def exists(self) -> bool:
        """Whether opening it reads something already there (a server database always may)."""
        return self.is_postgres or self.sqlite_path.exists()

    def default_model_dir(self) -> Path:
        """`models/` beside a SQLite file; a server has no "beside", so `models/` in the
        working directory (set SEQBOT_MODEL_DIR to choose)."""
        return Path("models") if self.is_postgres else self.sqlite_path.parent / "models"

    def __str__(self) -> str:
        return _redact(self.dsn) if self.dsn is not None else os.fspath(self.sqlite_path)

    def __repr__(self) -> str:
        return f"DatabaseLocation({str(self)!r})"


def parse_location(value: str | os.PathLike[str] | DatabaseLocation) -> DatabaseLocation:
    """Read a `SEQBOT_DB` value; raises ValueError (without the password) for unknown forms."""
    if isinstance(value, DatabaseLocation):
        return value
    if isinstance(value, os.PathLike):
        return DatabaseLocation(path=Path(value))
    text = value.strip()
    if not text:
        raise ValueError(f"{DB_ENV} is empty; give a file path or a postgresql:// URL")
    if text.startswith(_SQLITE_PREFIX):
        rest = text[len(_SQLITE_PREFIX):]
        if not rest:
            raise ValueError("sqlite:/// needs a file path after it, e.g. sqlite:///seqbot.db")
        return DatabaseLocation(path=Path(rest))
    scheme = _SCHEME.match(text)
    if scheme is None:
        return DatabaseLocation(path=Path(text))
    if scheme.group(1).lower() not in _POSTGRES_SCHEMES:
        raise ValueError(
            f"unsupported database URL scheme {scheme.group(1)!r}: use a file path, "
            "sqlite:///path or postgresql://user@host/dbname")
    if not urlsplit(text).path.strip("/"):
        raise ValueError(f"{_redact(text)} names no database: add /dbname")
    return DatabaseLocation(dsn=text)


def location_argument(text: str) -> DatabaseLocation:
    """`--db` as SEQBOT_DB takes it, for argparse: a usage error that never repeats the
    password back (argparse would quote the value)."""
    try:
        return parse_location(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _redact(dsn: str) -> str:
    """The URL with any password (in the user part or as ?password=) replaced by ***."""
    parts = urlsplit(dsn)
    netloc = parts.netloc
    if "@" in netloc:
        user, host = netloc.rsplit("@", 1)
        if ":" in user:
            user = user.split(":", 1)[0] + ":***"
        netloc = f"{user}@{host}"
    query = urlencode([(k, "***" if k.lower() == "password" else v)
                       for k, v in parse_qsl(parts.query, keep_blank_values=True)])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _setting(raw: str) -> DatabaseLocation:
    return parse_location(os.path.expanduser(raw))


@dataclass(frozen=True)
class DatabaseSettings(SettingsBase):
    """The database. Declared below db and inference, which both read it."""

    db: DatabaseLocation = setting(
        "SEQBOT_DB", DatabaseLocation(path=Path(DEFAULT_DB)),
        "Database of predictions and votes: a SQLite file (or sqlite:///relative/path, "
        "sqlite:////absolute/path), or a PostgreSQL 13+ server as "
        "postgresql://user[:password]@host[:port]/dbname (needs `pip install -e "
        "\".[postgres]\"`; without a password in the URL, PGPASSWORD or ~/.pgpass is used; "
        "the password never appears in logs or errors).", parse=_setting, shown=DEFAULT_DB)

    def secrets(self) -> list[str]:
        """A password written in SEQBOT_DB is a secret too, wherever it might turn up."""
        return [*super().secrets(), *([self.db.password] if self.db.password else [])]
