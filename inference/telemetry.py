"""The service's Prometheus metrics, exported with prometheus_client.

Every worker and server keeps its metrics in a `CollectorRegistry` of its own, never the
library's global one, so several of them in one process (tests, benchmarks) neither collide
nor count each other's requests. A server's registry holds its worker's, so one scrape of
GET /metrics shows both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)

Labels = tuple[str, ...]


class LiveGauge(Collector):
    """A gauge read from `read` at scrape time, so it can never go stale."""

    def __init__(self, name: str, documentation: str, labelnames: Sequence[str],
                 read: Callable[[], Mapping[Labels, float]]) -> None:
        self.name, self.documentation = name, documentation
        self.labelnames, self.read = tuple(labelnames), read

    def _family(self) -> GaugeMetricFamily:
        return GaugeMetricFamily(self.name, self.documentation, labels=self.labelnames)

    def describe(self) -> Iterator[GaugeMetricFamily]:
        """Lets the registry refuse a second metric of the same name."""
        yield self._family()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = self._family()
        for labels, value in sorted(self.read().items()):
            family.add_metric(labels, value)
        yield family


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    """One sample's value, 0 when it was never recorded: for tests and benchmarks."""
    value = registry.get_sample_value(name, labels)
    return 0.0 if value is None else value
