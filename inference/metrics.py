"""Counters, gauges and histograms rendered in the Prometheus text format.

Hand-written instead of prometheus-client: the service needs four metric kinds and one
renderer, and every update happens on the event loop thread, so no locking is needed.
"""

from __future__ import annotations

import bisect
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

Labels = tuple[str, ...]

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _labels(names: Sequence[str], values: Sequence[str], extra: str = "") -> str:
    parts = [f'{n}="{_escape(v)}"' for n, v in zip(names, values, strict=True)]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


class _Metric(ABC):
    kind = ""

    def __init__(self, name: str, doc: str, labelnames: Sequence[str] = ()) -> None:
        self.name, self.doc, self.labelnames = name, doc, tuple(labelnames)

    @abstractmethod
    def samples(self) -> Iterator[str]: ...

    def render(self) -> Iterator[str]:
        yield f"# HELP {self.name} {self.doc}"
        yield f"# TYPE {self.name} {self.kind}"
        yield from self.samples()


class Counter(_Metric):
    kind = "counter"

    def __init__(self, name: str, doc: str, labelnames: Sequence[str] = ()) -> None:
        super().__init__(name, doc, labelnames)
        self.values: dict[Labels, float] = {}

    def inc(self, *labels: str, amount: float = 1.0) -> None:
        self.values[labels] = self.values.get(labels, 0.0) + amount

    def get(self, *labels: str) -> float:
        return self.values.get(labels, 0.0)

    def samples(self) -> Iterator[str]:
        for labels, value in sorted(self.values.items()):
            yield f"{self.name}{_labels(self.labelnames, labels)} {_number(value)}"


class Gauge(_Metric):
    """A gauge read at render time from `read`, so it can never go stale."""

    kind = "gauge"

    def __init__(
        self,
        name: str,
        doc: str,
        labelnames: Sequence[str],
        read: Callable[[], dict[Labels, float]],
    ) -> None:
        super().__init__(name, doc, labelnames)
        self.read = read

    def samples(self) -> Iterator[str]:
        for labels, value in sorted(self.read().items()):
            yield f"{self.name}{_labels(self.labelnames, labels)} {_number(value)}"


class Histogram(_Metric):
    kind = "histogram"

    def __init__(
        self, name: str, doc: str, buckets: Sequence[float], labelnames: Sequence[str] = ()
    ) -> None:
        super().__init__(name, doc, labelnames)
        self.bounds = tuple(sorted(buckets))
        self.counts: dict[Labels, list[int]] = {}
        self.sums: dict[Labels, float] = {}

    def observe(self, value: float, *labels: str) -> None:
        counts = self.counts.setdefault(labels, [0] * (len(self.bounds) + 1))
        counts[bisect.bisect_left(self.bounds, value)] += 1
        self.sums[labels] = self.sums.get(labels, 0.0) + value

    def count(self, *labels: str) -> int:
        return sum(self.counts.get(labels, ()))

    def total(self, *labels: str) -> float:
        return self.sums.get(labels, 0.0)

    def samples(self) -> Iterator[str]:
        for labels, counts in sorted(self.counts.items()):
            running = 0
            for bound, n in zip((*self.bounds, math.inf), counts, strict=True):
                running += n
                le = _labels(self.labelnames, labels, f'le="{_number(bound)}"')
                yield f"{self.name}_bucket{le} {running}"
            plain = _labels(self.labelnames, labels)
            yield f"{self.name}_sum{plain} {_number(self.sums[labels])}"
            yield f"{self.name}_count{plain} {running}"


M = TypeVar("M", bound=_Metric)


class Registry:
    """The metrics one process exposes, rendered together on GET /metrics."""

    def __init__(self) -> None:
        self.metrics: list[_Metric] = []

    def add(self, metric: M) -> M:
        self.metrics.append(metric)
        return metric

    def render(self) -> str:
        return "".join(line + "\n" for m in self.metrics for line in m.render())
