"""Keyed hashing of Discord user ids, so the database can link a user's rows without holding ids.

A plain SHA-256 of a snowflake is reversible by brute force (ids are ~2^60 and predictable);
an HMAC with a secret that never touches the database is not.

The database keeps a fingerprint of the secret (an HMAC of a fixed message under it; v9's
store_meta), so that a process under another secret is refused instead of silently finding
nothing to erase and writing hashes no one else can match (`check_secret`).
"""

import hashlib
import hmac
import logging
import os
import re
import secrets
from pathlib import Path

from db.connection import Connection
from db.errors import MissingSecretError, WeakSecretError, WrongSecretError
from db.settings import DbSettings
from settings import MIN_SECRET_CHARS, NEW_SECRET
from settings.database import DatabaseLocation, parse_location

SECRET_ENV = DbSettings.declared_keys()["hash_secret"].env
_HASH_RE = re.compile(r"[0-9a-f]{64}")
FINGERPRINT_KEY = "hash_secret_fingerprint"
_FINGERPRINT_MESSAGE = b"seqbot:hash-secret-fingerprint:v1"
# Where hashes are kept: a database holding any was written under some secret already.
_HASHED = ("SELECT 1 FROM predictions WHERE author_hash IS NOT NULL", "SELECT 1 FROM votes",
           "SELECT 1 FROM ignored_voters", "SELECT 1 FROM teach_shown", "SELECT 1 FROM cooldowns")

log = logging.getLogger(__name__)


class Hasher:
    """Maps a Discord user id to a stable, secret-keyed hex digest."""

    def __init__(self, secret: str | bytes) -> None:
        key = secret.encode() if isinstance(secret, str) else secret
        if not key.strip():
            raise ValueError("the hash secret must not be empty or only whitespace")
        self._key = key
        self.weak = len(key.decode(errors="replace")) < MIN_SECRET_CHARS

    def __repr__(self) -> str:
        return "Hasher(<secret>)"

    def hash_user(self, user_id: int) -> str:
        # Only ints: hashing "123" and 123 alike would hide a caller passing the wrong thing.
        if not isinstance(user_id, int) or isinstance(user_id, bool):
            raise TypeError(f"user ids are ints, got {type(user_id).__name__}")
        message = f"discord-user:{user_id}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()


    def fingerprint(self) -> str:
        """Tells secrets apart without revealing them: an HMAC of a fixed message, so a
        stolen database gives no more purchase on the secret than its user hashes do."""
        return hmac.new(self._key, _FINGERPRINT_MESSAGE, hashlib.sha256).hexdigest()


async def check_secret(conn: Connection, hasher: Hasher) -> None:
    """In a write transaction: refuse a secret other than the one the database recorded;
    record it if none was. A new database also refuses a weak secret; one whose hashes
    were written before fingerprints existed keeps its secret (they cannot be re-hashed),
    with a warning when it is weak."""
    await conn.lock("store_meta")  # processes starting together record one fingerprint
    recorded = await conn.fetch_value("SELECT value FROM store_meta WHERE key = ?",
                                      (FINGERPRINT_KEY,))
    if recorded is None:
        written = [await conn.fetch_value(f"{sql} LIMIT 1") for sql in _HASHED]
        if hasher.weak and not any(written):
            raise WeakSecretError(
                f"{SECRET_ENV} must be at least {MIN_SECRET_CHARS} characters, not only "
                f"spaces, for a new database; generate one with {NEW_SECRET}")
        await conn.execute("INSERT INTO store_meta (key, value) VALUES (?, ?)",
                           (FINGERPRINT_KEY, hasher.fingerprint()))
    elif not hmac.compare_digest(recorded, hasher.fingerprint()):
        raise WrongSecretError(
            f"{SECRET_ENV} is not the secret this database was written under: set it to that "
            "secret. Under another one no stored id can be found (an erasure would erase "
            "nothing); to start afresh with a new secret, use a new database")
    if hasher.weak:
        log.warning("%s is shorter than %d characters: this database was written under it, so "
                    "it keeps working (its ids cannot be re-hashed), but its hashes are easier "
                    "to reverse; move to a new database with a longer secret when you can",
                    SECRET_ENV, MIN_SECRET_CHARS)


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

    The dev file keeps hashes stable across restarts of a local bot; it is made only for a
    database that does not exist yet, so a production database opened without the variable
    is refused rather than written under a new secret. Production must set the secret
    explicitly, because losing it silently would make erase requests match nothing.
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
    if location.sqlite_path.exists():
        raise MissingSecretError(
            f"{SECRET_ENV} is not set and {location.sqlite_path} already exists without a dev "
            f"secret file ({path}): set {SECRET_ENV} to the secret it was written under")
    try:
        return _create_dev_secret(path)
    except OSError as error:  # a read-only folder, a path through a file
        raise MissingSecretError(f"{SECRET_ENV} is not set and the dev secret file {path} "
                                 f"cannot be made ({error.strerror})") from None


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
