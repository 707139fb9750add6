"""The before/after report of a fine-tuning run: a table to read, a JSON to keep, a chart."""

from __future__ import annotations

import json
from pathlib import Path

SUMMARY_ROWS = (("test accuracy", ("test", "accuracy")),
                ("test macro-F1", ("test", "macro_f1")),
                ("held-out corrections", ("holdout_corrections",)),
                ("held-out confirmations", ("holdout_confirmations",)))


def _get(scores: dict, keys: tuple[str, ...]) -> float | None:
    for key in keys:
        scores = scores[key]
    return scores  # type: ignore[return-value]


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def format_report(report: dict) -> str:
    before, after, fb = report["before"], report["after"], report["feedback"]
    lines = [
        f"{report['task']} {report['version']} (from {report['parent']}): {report['decision']}",
        f"feedback: train {fb['train']['corrections']} corrections + "
        f"{fb['train']['confirmations']} confirmations, held out "
        f"{fb['holdout']['corrections']} + {fb['holdout']['confirmations']} "
        f"({fb['evidence']} corrections from independent voters count as evidence)",
        f"{'':<24}{'before':>9}{'after':>9}",
    ]
    for name, keys in SUMMARY_ROWS:
        lines.append(f"{name:<24}{_pct(_get(before, keys)):>9}{_pct(_get(after, keys)):>9}")
    lines.append("test accuracy per class")
    for label, b in before["test"]["per_class"].items():
        a = after["test"]["per_class"][label]
        lines.append(f"  {label:<22}{_pct(b['accuracy']):>9}{_pct(a['accuracy']):>9}"
                     f"   n={b['support']}")
    gate = report["gate"]
    lines.append(f"gate (a loss refuses when its one-sided p < the threshold ("
                 f"{gate['significance']:g} shared by the two overall checks, and by the "
                 f"classes) and it exceeds {100 * gate['max_test_drop']:g} point overall, "
                 f"{100 * gate['max_class_drop']:g} per class):")
    lines += [f"  {'REFUSES' if c['blocks'] else 'passes '} {c['rule']}: {c['statistic']}"
              + (f" [threshold {c['threshold']:.3g}]" if c["threshold"] is not None else "")
              for c in gate["checks"]]
    lines.append(f"decided: {gate['decided_by']}")
    lines += contribution_lines(report)
    return "\n".join(lines)


def contribution_lines(report: dict, top: int = 10) -> list[str]:
    """Who the examples trained on stand on: each voter or tight group, most first."""
    rows = report.get("contributions") or []
    dropped = report["feedback"]["dropped"].get("over_share", 0)
    lines = [f"contributions (each example shared among the voters behind it, a tight group "
             f"as one; at most {100 * report['max_share']:g}% per voter or group; {dropped} "
             "left out over it):"]
    lines += [f"  {r['supporter']:<20}{r['examples']:>6} supported {100 * r['share_before']:5.1f}%"
              f" ->{r['trained']:>6} trained {100 * r['share']:5.1f}%" for r in rows[:top]]
    if len(rows) > top:
        lines.append(f"  ... and {len(rows) - top} more (all in the JSON report)")
    return lines


def write_report(report: dict, stem: Path) -> Path:
    """Write <stem>.json and <stem>.png; returns the JSON's path."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    path = stem.parent / f"{stem.name}.json"
    path.write_text(json.dumps(report, indent=2))
    plot(report, stem.parent / f"{stem.name}.png")
    return path


def plot(report: dict, path: Path) -> None:
    """Per-class test accuracy and the summary scores, before next to after."""
    import matplotlib  # here, not at the top: the training CLI should start quickly

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    before, after = report["before"], report["after"]
    labels = list(before["test"]["per_class"])
    summary = [(name, _get(before, keys), _get(after, keys)) for name, keys in SUMMARY_ROWS
               if _get(before, keys) is not None]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 1.5 + 0.32 * max(len(labels), 6)),
                                   gridspec_kw={"width_ratios": [3, 2]})
    for ax, names, pairs in (
        (ax1, [f"{label} (n={before['test']['per_class'][label]['support']})"
               for label in labels],
         [(before["test"]["per_class"][label]["accuracy"],
           after["test"]["per_class"][label]["accuracy"]) for label in labels]),
        (ax2, [name for name, _, _ in summary], [(b, a) for _, b, a in summary]),
    ):
        ys = range(len(names))
        ax.barh([y - 0.2 for y in ys], [100 * b for b, _ in pairs], 0.4, label="before",
                color="#9e9e9e")
        ax.barh([y + 0.2 for y in ys], [100 * a for _, a in pairs], 0.4, label="after",
                color="#1f77b4")
        ax.set_yticks(list(ys), names)
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_xlabel("accuracy (%)")
    for y, (_, b, a) in enumerate(summary):
        ax2.text(2, y, f"{100 * b:.1f}% -> {100 * a:.1f}%", va="center", fontsize=8,
                 bbox={"facecolor": "white", "alpha": 0.8, "linewidth": 0})
    ax1.set_title("test set, per class")
    ax2.set_title("overall and held-out feedback")
    fig.suptitle(f"{report['task']}: {report['parent']} -> {report['version']} "
                 f"({report['decision']})")
    fig.legend(*ax1.get_legend_handles_labels(), loc="lower center", ncol=2)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
