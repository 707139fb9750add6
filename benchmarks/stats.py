"""Summary statistics the benchmarks share."""

from __future__ import annotations


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest rank; 0.0 for no values."""
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]
