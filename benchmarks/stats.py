"""Summary statistics the benchmarks share."""

from __future__ import annotations

import math
import statistics


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest rank; 0.0 for no values."""
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def log_fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least squares y = a + b * log2(n): how learning curves grow; returns (a, b)."""
    fit = statistics.linear_regression([math.log2(n) for n, _ in points], [y for _, y in points])
    return fit.intercept, fit.slope


def size_for(target: float, intercept: float, gain_per_doubling: float) -> int | None:
    """The n at which the log-linear trend reaches `target`; None if it never does."""
    if gain_per_doubling <= 0:
        return None
    needed = 2 ** ((target - intercept) / gain_per_doubling)
    return round(needed) if math.isfinite(needed) else None
