"""Where a benchmark's results go: its JSON report and its figures, written the same way by
every benchmark so that docs/results.md can rely on their shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_report(path: Path, report: dict[str, Any]) -> None:
    """The report as indented JSON, its folder created; announced on stdout."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {path}")


def save_figure(fig: Any, path: Path) -> None:
    """A matplotlib figure as a PNG (its folder created), then closed to free its memory."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
