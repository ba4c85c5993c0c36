"""One service's metrics: its own registry, the families made once by name, what is read when
``/metrics`` is read, and the exposition in Prometheus' text format.

Each app has its own registry, never prometheus-client's process-global one, so that tests (and
``crossdock up``) can run several apps in one process without their series colliding.

When ``PROMETHEUS_MULTIPROC_DIR`` is set (before prometheus-client is imported: it chooses how
values are stored then), every process writes its counters, gauges and histograms to files in
that directory and the exposition aggregates all of them (prometheus-client's multiprocess
mode), so any worker behind one port answers for them all. What is read at scrape time
(``collect``, ``collect_async``) is the answering process's own.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from typing import Literal, TypeVar

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample

__all__ = [
    "CONTENT_TYPE",
    "MULTIPROCESS_DIR_ENV",
    "SECONDS_BUCKETS",
    "Metric",
    "Metrics",
    "gauge_family",
    "text_families",
]

MULTIPROCESS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Our names are all classic ones: the 0.0.4 format every scraper reads.
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4

# OpenTelemetry's advice for http.server.request.duration (seconds).
SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)

# A ``_created`` series per counter and histogram doubles what a scrape carries for a
# timestamp nobody graphs (and multiprocess mode has none to give).
disable_created_metrics()  # type: ignore[no-untyped-call]

GaugeMode = Literal["all", "liveall", "min", "livemin", "max", "livemax", "sum", "livesum"]
Family = TypeVar("Family", bound=MetricWrapperBase)


def text_families(text: str) -> Iterable[Metric]:
    """Families written in the text format, for a collector whose numbers are written so."""
    return text_string_to_metric_families(text)


class _AtScrape(Collector):
    """The families read when ``/metrics`` is read: from each source, then those gathered."""

    def __init__(self) -> None:
        self.sources: list[Callable[[], Iterable[Metric]]] = []
        self.gathered: list[Metric] = []

    def collect(self) -> Iterator[Metric]:
        for source in self.sources:
            yield from source()
        yield from self.gathered


class Metrics:
    """One service's metrics and their exposition (``await metrics.exposition()``)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.multiprocess_dir = os.environ.get(MULTIPROCESS_DIR_ENV) or None
        self._families: dict[str, MetricWrapperBase] = {}
        self._at_scrape = _AtScrape()
        self._async_sources: list[Callable[[], Awaitable[Iterable[Metric]]]] = []
        if self.multiprocess_dir is None:
            self._exposed = self.registry
        else:
            # The files of every process (this one's included) instead of this registry.
            self._exposed = CollectorRegistry(auto_describe=True)
            MultiProcessCollector(self._exposed, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
        self._exposed.register(self._at_scrape)

    def _family(self, kind: type[Family], name: str, make: Callable[[], Family]) -> Family:
        found = self._families.get(name)
        if found is None:
            found = self._families[name] = make()
        if not isinstance(found, kind):
            raise ValueError(f"metric {name} is already a {type(found).__name__}")
        return found

    def histogram(
        self,
        name: str,
        documentation: str,
        labels: Sequence[str],
        buckets: Sequence[float] = SECONDS_BUCKETS,
    ) -> Histogram:
        """The histogram ``name`` of this service (the one made before, if it was)."""
        return self._family(
            Histogram,
            name,
            lambda: Histogram(name, documentation, labels, registry=self.registry, buckets=buckets),
        )

    def counter(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
        """The counter ``name`` (without ``_total``: the exposition adds it)."""
        return self._family(
            Counter, name, lambda: Counter(name, documentation, labels, registry=self.registry)
        )

    def gauge(
        self,
        name: str,
        documentation: str,
        labels: Sequence[str] = (),
        *,
        multiprocess_mode: GaugeMode = "livesum",
    ) -> Gauge:
        """The gauge ``name``; across processes its live processes' values are summed unless
        ``multiprocess_mode`` says otherwise."""
        return self._family(
            Gauge,
            name,
            lambda: Gauge(
                name,
                documentation,
                labels,
                registry=self.registry,
                multiprocess_mode=multiprocess_mode,
            ),
        )

    def collect(self, source: Callable[[], Iterable[Metric]]) -> None:
        """Add the families ``source`` gives whenever ``/metrics`` is read."""
        self._at_scrape.sources.append(source)

    def collect_async(self, source: Callable[[], Awaitable[Iterable[Metric]]]) -> None:
        """Add the families ``source`` gives, awaited, whenever ``/metrics`` is read (what
        needs I/O to know: a stream's lag in Redis)."""
        self._async_sources.append(source)

    async def exposition(self) -> bytes:
        """Every metric in Prometheus' text format."""
        gathered = [family for source in self._async_sources for family in await source()]
        # Set and read without an await between: no other scrape sees these.
        self._at_scrape.gathered = gathered
        try:
            return generate_latest(self._exposed)
        finally:
            self._at_scrape.gathered = []

    def samples(self, name: str) -> list[Sample]:
        """This process's samples of the family ``name`` (for tests and benchmarks)."""
        return [
            sample
            for family in self.registry.collect()
            if family.name == name
            for sample in family.samples
        ]


def gauge_family(
    name: str,
    documentation: str,
    labels: Sequence[str],
    values: Iterable[tuple[Sequence[str], float]],
) -> Metric:
    """A gauge family read at scrape time: ``values`` as (label values, value) pairs."""
    family = GaugeMetricFamily(name, documentation, labels=labels)
    for label_values, value in values:
        family.add_metric(label_values, value)
    return family
