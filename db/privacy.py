"""Keyed hashing of Discord user ids, so the database can link a user's rows without holding ids.

A plain SHA-256 of a snowflake is reversible by brute force (ids are ~2^60 and predictable);
an HMAC with a secret that never touches the database is not.
"""

import hashlib
import hmac
import logging
import os
import re
import secrets
from pathlib import Path

from db.errors import MissingSecretError
from db.settings import DbSettings
from settings.database import DatabaseLocation, parse_location

SECRET_ENV = DbSettings.declared_keys()["hash_secret"].env
_HASH_RE = re.compile(r"[0-9a-f]{64}")

log = logging.getLogger(__name__)


class Hasher:
    """Maps a Discord user id to a stable, secret-keyed hex digest."""

    def __init__(self, secret: str | bytes) -> None:
        key = secret.encode() if isinstance(secret, str) else secret
        if not key:
            raise ValueError("the hash secret must not be empty")
        self._key = key

    def __repr__(self) -> str:
        return "Hasher(<secret>)"

    def hash_user(self, user_id: int) -> str:
        # Only ints: hashing "123" and 123 alike would hide a caller passing the wrong thing.
        if not isinstance(user_id, int) or isinstance(user_id, bool):
            raise TypeError(f"user ids are ints, got {type(user_id).__name__}")
        message = f"discord-user:{user_id}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()


def is_user_hash(text: str) -> bool:
    """Lets admin tools accept either a raw id or a hash copied from a report."""
    return _HASH_RE.fullmatch(text) is not None


def secret_path(db_path: str | os.PathLike[str]) -> Path:
    return Path(f"{os.fspath(db_path)}.secret")


def resolve_secret(
    db: str | os.PathLike[str] | DatabaseLocation, secret: str | None = None, *,
    dev_mode: bool = False
) -> str:
    """Pick the hash secret: the configured one ($SEQBOT_HASH_SECRET, from DbSettings), else
    (dev only) a file beside a SQLite database.

    The dev file keeps hashes stable across restarts of a local bot; production must set the
    secret explicitly, because losing it silently would make erase requests match nothing.
    A PostgreSQL database has no "beside", and its processes may run on several machines
    that must all hash alike: it always needs the secret set.
    """
    if secret:
        return secret
    location = parse_location(db)
    if location.is_postgres:
        raise MissingSecretError(
            f"{SECRET_ENV} is not set; a PostgreSQL database needs it even in dev mode, the "
            "same in every process, so that Discord ids are stored only as keyed hashes")
    path = secret_path(location.sqlite_path)
    if not dev_mode:
        raise MissingSecretError(
            f"{SECRET_ENV} is not set; it is required outside dev mode so that Discord ids are "
            f"stored only as keyed hashes (a dev secret file would live at {path})"
        )
    if path.exists():
        return path.read_text().strip()
    return _create_dev_secret(path)


def _create_dev_secret(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    # Write a private temp file, then link it into place: a concurrent process either wins
    # the link and we read its complete file, or we win; nobody ever reads a half-written one.
    draft = path.with_name(f"{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(secret + "\n")
    try:
        os.link(draft, path)
    except FileExistsError:
        return path.read_text().strip()
    finally:
        draft.unlink()
    log.warning(
        "generated a development hash secret in %s; set %s in production and keep it safe",
        path,
        SECRET_ENV,
    )
    return secret
