"""Logging set-up with secret redaction, so a token pasted into any log line never leaks."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

from settings import MIN_SECRET_CHARS

REDACTED = "[redacted]"


class RedactSecrets(logging.Filter):
    """Replaces every configured secret in a record's message and traceback.

    Attached to handlers, so it also covers discord.py's and aiohttp's own records.
    A secret shorter than MIN_SECRET_CHARS (a hash secret kept for an older database) is
    replaced only where it stands as a whole word: replacing it inside other words would
    point it out ("on cpu" under the secret "c" read "on [redacted]pu").
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        ordered = sorted({s for s in secrets if s.strip()}, key=len, reverse=True)
        self._pattern = re.compile("|".join(
            re.escape(s) if len(s) >= MIN_SECRET_CHARS else rf"(?<!\w){re.escape(s)}(?!\w)"
            for s in ordered)) if ordered else None
        self.secrets = ordered

    def redact(self, text: str) -> str:
        return text if self._pattern is None else self._pattern.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        record.msg, record.args = self.redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


def setup_logging(level: str, secrets: Iterable[str]) -> None:
    """One stderr handler for everything, with secrets redacted."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
    )
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # discord.py's gateway chatter at DEBUG drowns everything else.
    logging.getLogger("discord").setLevel(max(logging.getLevelName(level), logging.INFO))
