"""``MilestoneConsumers``: the consumers of the milestone stream, run together over one bus."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from cache.base import Cache
from cache.factory import CacheSettings, create_cache_for
from connectors.http import SystemClient
from connectors.settings import ConnectorSettings, system_client
from consumers.crm import CRM_GROUP, CrmActivity
from consumers.erp import ERP_GROUP, ErpInvoicing
from consumers.returns import RETURNS_GROUP, ReturnCredits
from events.base import EventBus, EventBusUnavailable
from events.consumer import Consumer, ConsumerState
from events.idempotency import SeenEvents, idempotent
from monitoring import MONITORING_GROUP, MilestoneFacts, Monitor
from monitoring.settings import MonitoringConfig
from schema.events import MILESTONE_STREAM
from telemetry.metrics import Metric, text_families

__all__ = ["ConsumerSettings", "ConsumerStatus", "MilestoneConsumers"]


@dataclass(frozen=True, slots=True)
class ConsumerSettings:
    """Where the consumers find the systems, and the cache that records the events seen."""

    connectors: ConnectorSettings
    cache: CacheSettings = field(default_factory=CacheSettings)
    # The business monitoring the consumers record into (its own group, invoices, credits).
    monitoring: MonitoringConfig | None = None


@dataclass(frozen=True, slots=True)
class ConsumerStatus:
    """One consumer as ``/ready`` and ``/metrics`` show it. ``pending`` and ``lag`` are its
    group's (entries delivered and not yet acknowledged, entries not yet delivered); ``None``
    when the bus cannot say (down, or the group gone)."""

    group: str
    stream: str
    state: ConsumerState
    last_error: str | None
    handled: int
    failed: int
    dead_lettered: int
    restarts: int
    groups_recreated: int
    pending: int | None
    lag: int | None

    @property
    def alive(self) -> bool:
        """Whether it consumes: running, or between reads (not broken, not stopped)."""
        return self.state == "running"


# (metric name after crossdock_consumer_, type, help) per ConsumerStatus field.
_METRICS = (
    ("running", "gauge", "1 while the consumer consumes"),
    ("lag", "gauge", "entries of the stream not yet delivered to the group"),
    ("pending", "gauge", "entries delivered to the group and not yet acknowledged"),
    ("handled_total", "counter", "deliveries handled"),
    ("failed_total", "counter", "deliveries whose handler failed (and were retried)"),
    ("dead_lettered_total", "counter", "deliveries parked as dead letters"),
    ("restarts_total", "counter", "times the consumer's loop broke and was restarted"),
    ("groups_recreated_total", "counter", "times its group was gone and was made again"),
)


def _metric_value(status: ConsumerStatus, name: str) -> int | None:
    if name == "running":
        return int(status.alive)
    value: int | None = getattr(status, name.removesuffix("_total"))
    return value


class MilestoneConsumers:
    """Every consumer of ``stream`` on ``bus``, started on entry and stopped on exit.

    The consumers own their system clients and the cache of seen event ids; the bus is the
    caller's (it is shared with the webhook intake that publishes to it). ``consumer_options``
    go to each ``Consumer`` (timings, attempts, a name).
    """

    def __init__(
        self,
        bus: EventBus,
        *,
        erp: SystemClient,
        wms: SystemClient,
        cache: Cache,
        crm: SystemClient | None = None,
        monitor: Monitor | None = None,
        stream: str = MILESTONE_STREAM,
        **consumer_options: Any,
    ) -> None:
        self._clients: tuple[SystemClient, ...] = (erp, wms) if crm is None else (erp, wms, crm)
        self._cache = cache
        self._monitor = monitor
        erp_handler = idempotent(
            ErpInvoicing(erp, wms, monitor=monitor), SeenEvents(cache, ERP_GROUP)
        )
        self.consumers = [Consumer(bus, stream, ERP_GROUP, erp_handler, **consumer_options)]
        returns_handler = idempotent(
            ReturnCredits(erp, wms, monitor=monitor), SeenEvents(cache, RETURNS_GROUP)
        )
        self.consumers.append(
            Consumer(bus, stream, RETURNS_GROUP, returns_handler, **consumer_options)
        )
        if crm is not None:  # the CRM's consumer needs the CRM (the ERP-only tests leave it out)
            crm_handler = idempotent(CrmActivity(crm, erp), SeenEvents(cache, CRM_GROUP))
            self.consumers.append(Consumer(bus, stream, CRM_GROUP, crm_handler, **consumer_options))
        if monitor is not None:  # idempotent by event id in its own store
            facts = MilestoneFacts(monitor)
            self.consumers.append(
                Consumer(bus, stream, MONITORING_GROUP, facts, **consumer_options)
            )

    @classmethod
    def from_settings(cls, bus: EventBus, settings: ConsumerSettings) -> MilestoneConsumers:
        """The consumers as ``settings`` configure the systems and the cache."""
        return cls(
            bus,
            erp=system_client("erp", settings.connectors),
            wms=system_client("wms", settings.connectors),
            crm=system_client("crm", settings.connectors),
            cache=create_cache_for(settings.cache),
            monitor=None
            if settings.monitoring is None
            else Monitor.from_config(settings.monitoring),
        )

    async def status(self) -> list[ConsumerStatus]:
        """Each consumer's state, counts and its group's lag (one read of the bus)."""
        bus = self.consumers[0].bus
        groups: dict[tuple[str, str], tuple[int, int | None]] = {}
        try:
            for info in await bus.streams():
                for group in info.groups:
                    groups[info.name, group.name] = (group.pending, group.lag)
        except EventBusUnavailable:
            pass
        out = []
        for consumer in self.consumers:
            pending, lag = groups.get((consumer.stream, consumer.group), (None, None))
            stats = consumer.stats
            out.append(
                ConsumerStatus(
                    group=consumer.group,
                    stream=consumer.stream,
                    state=consumer.state,
                    last_error=consumer.last_error,
                    handled=stats.handled,
                    failed=stats.failed,
                    dead_lettered=stats.dead_lettered,
                    restarts=stats.restarts,
                    groups_recreated=stats.groups_recreated,
                    pending=pending,
                    lag=lag,
                )
            )
        return out

    async def alive(self) -> bool:
        """Whether every consumer consumes (none broken, waiting for the bus, or stopped)."""
        return all(consumer.state == "running" for consumer in self.consumers)

    async def metric_families(self) -> Iterable[Metric]:
        """:meth:`prometheus_lines` as metric families, for a service's ``/metrics``."""
        return text_families("\n".join(await self.prometheus_lines()) + "\n")

    async def prometheus_lines(self) -> list[str]:
        """Each consumer's state, counts and its group's lag, as Prometheus lines."""
        statuses = await self.status()
        lines: list[str] = []
        for name, kind, help_text in _METRICS:
            metric = f"crossdock_consumer_{name}"
            lines += [f"# HELP {metric} {help_text}", f"# TYPE {metric} {kind}"]
            for status in statuses:
                value = _metric_value(status, name)
                if value is not None:  # None: the bus cannot say (down, or the group gone)
                    labels = f'stream="{status.stream}",group="{status.group}"'
                    lines.append(f"{metric}{{{labels}}} {value}")
        return lines

    async def __aenter__(self) -> MilestoneConsumers:
        started: list[Consumer] = []
        try:
            for consumer in self.consumers:
                await consumer.__aenter__()
                started.append(consumer)
        except BaseException:
            # The bus cannot be reached (Redis down): stop what started, release the rest.
            for consumer in started:
                await consumer.__aexit__(None, None, None)
            await self._close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Let each consumer finish the batch in hand, then close the clients and the cache."""
        try:
            for consumer in self.consumers:
                await consumer.__aexit__(exc_type, exc, tb)
        finally:
            await self._close()

    async def _close(self) -> None:
        for client in self._clients:
            await client.aclose()
        await self._cache.aclose()
        if self._monitor is not None:
            await self._monitor.aclose()
