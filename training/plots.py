"""PNG figures people would rather look at than read."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from training.loop import History


def loss_curve(history: History, path: Path, title: str,
               score_label: str = "validation score") -> None:
    epochs = range(1, len(history.train_loss) + 1)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(epochs, history.train_loss, label="train loss")
    ax.plot(epochs, history.val_loss, label="validation loss")
    ax2 = ax.twinx()
    ax2.plot(epochs, history.val_score, "g--", label=score_label)
    ax2.set_ylabel(score_label)
    ax.axvline(history.best_epoch, color="grey", linestyle=":", label="best epoch")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(title)
    lines = ax.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], loc="center right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def confusion(cm: list[list[int]], labels: tuple[str, ...], path: Path, title: str) -> None:
    """Row-normalised, so rare classes are as readable as common ones."""
    rows = [[v / max(1, sum(r)) for v in r] for r in cm]
    size = 2 + 0.45 * len(labels)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    im = ax.imshow(rows, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    for i, r in enumerate(cm):
        for j, v in enumerate(r):
            if v:
                ax.text(j, i, str(v), ha="center", va="center", fontsize=7,
                        color="white" if rows[i][j] > 0.5 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
