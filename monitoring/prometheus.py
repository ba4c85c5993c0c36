"""``BusinessCollector``: the business measures for Prometheus (a ``prometheus_client``
custom collector).

Prometheus collects synchronously and the store is read asynchronously, so the collector
serves the snapshot of its last :meth:`BusinessCollector.refresh` (the ``/metrics`` route
awaits one before it renders, or ``refreshing`` keeps it fresh on a timer). Every figure is
over the last ``window_hours`` (24 by default): cycle-time p50/p90 per stage pair and center,
fallout per kind, orders at risk now and open, shipment status latency p50/p99. Labels come
from closed sets (stage pairs, fallout kinds, the centers), never from client input.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from monitoring.measures import CycleTime, Fallout, Latency
from monitoring.monitor import Monitor
from monitoring.records import FalloutKind

__all__ = ["BusinessCollector", "business_measures"]

log = logging.getLogger("crossdock.monitoring")


@dataclass(frozen=True, slots=True)
class _Snapshot:
    cycle_times: list[CycleTime] = field(default_factory=list)
    fallout: list[Fallout] = field(default_factory=list)
    at_risk: int = 0
    open_orders: int = 0
    latency: Latency = field(default_factory=lambda: Latency(0, None, None))


class BusinessCollector(Collector):
    """Collects ``monitor``'s figures over ``window_hours`` as of the last ``refresh``."""

    def __init__(self, monitor: Monitor, *, window_hours: int = 24) -> None:
        self.monitor, self.window_hours = monitor, window_hours
        self._snapshot = _Snapshot()

    async def refresh(self) -> None:
        """Read the figures now (one read of the store per measure)."""
        start, end = self.monitor.window(self.window_hours)
        self._snapshot = _Snapshot(
            cycle_times=await self.monitor.cycle_times(start, end),
            fallout=await self.monitor.fallout(start, end),
            at_risk=await self.monitor.at_risk_count(end),
            open_orders=await self.monitor.store.open_count(),
            latency=await self.monitor.latency(start, end),
        )

    async def refreshing(self, interval_seconds: float = 15.0) -> None:
        """Refresh every ``interval_seconds`` until cancelled; a failed read keeps the last."""
        while True:
            with contextlib.suppress(Exception):
                await self.refresh()
            await asyncio.sleep(interval_seconds)

    def collect(self) -> Iterator[Metric]:
        snap, window = self._snapshot, f"{self.window_hours}h"
        p50 = GaugeMetricFamily(
            "crossdock_order_cycle_time_p50_seconds",
            "median time between two stages of an order, over the window",
            labels=["stage", "distribution_center", "window"],
        )
        p90 = GaugeMetricFamily(
            "crossdock_order_cycle_time_p90_seconds",
            "90th percentile of the time between two stages of an order, over the window",
            labels=["stage", "distribution_center", "window"],
        )
        for row in snap.cycle_times:
            labels = [row.stage.value, row.center_id or "all", window]
            if row.p50_seconds is not None:
                p50.add_metric(labels, row.p50_seconds)
            if row.p90_seconds is not None:
                p90.add_metric(labels, row.p90_seconds)
        yield p50
        yield p90
        fallout = GaugeMetricFamily(
            "crossdock_order_fallout",
            "orders that fell out (held, rejected, failed to release, backordered), over the "
            "window",
            labels=["kind", "window"],
        )
        counts = dict.fromkeys(FalloutKind, 0)
        for fell in snap.fallout:
            counts[fell.kind] += fell.count
        for kind, count in counts.items():
            fallout.add_metric([kind.value, window], count)
        yield fallout
        yield GaugeMetricFamily("crossdock_orders_at_risk", "open orders at risk now",
                                value=snap.at_risk)  # fmt: skip
        yield GaugeMetricFamily("crossdock_orders_open", "orders not yet delivered or cancelled",
                                value=snap.open_orders)  # fmt: skip
        latency = GaugeMetricFamily(
            "crossdock_shipment_status_latency_seconds",
            "WMS event time to delivery to subscribers, over the window",
            labels=["quantile", "window"],
        )
        for quantile, value in (("0.5", snap.latency.p50_seconds),
                                ("0.99", snap.latency.p99_seconds)):  # fmt: skip
            if value is not None:
                latency.add_metric([quantile, window], value)
        yield latency


def business_measures(collector: BusinessCollector) -> Callable[[], Awaitable[list[Metric]]]:
    """What a ``/metrics`` scrape awaits: the figures read now, or, when the store does not
    answer, the last ones read (a scrape must not fail for a store that is down)."""

    async def measures() -> list[Metric]:
        try:
            await collector.refresh()
        except Exception as error:
            log.warning("business measures not refreshed for /metrics: %s", error)
        return list(collector.collect())

    return measures
