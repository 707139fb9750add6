"""SEQBOT_DB, declared below db and inference because both read it: db opens the file, and
inference keeps promoted models beside it (inference.settings)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from settings import SettingsBase, path, setting


@dataclass(frozen=True)
class DatabaseSettings(SettingsBase):
    """The database. Declared below db and inference, which both read it."""

    db_path: Path = setting("SEQBOT_DB", Path("seqbot.db"),
                            "SQLite database of predictions and votes.", parse=path)
