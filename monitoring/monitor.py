"""``Monitor``: the business monitoring as one object: record facts, read the measures.

The subgraph that serves ``operations`` holds one, and so do the processes that only record
(the orders subgraph's outcomes, the consumers' invoices and credits, the monitoring's own
consumer of the milestone stream): they share its store, so every worker and replica reads the
same figures. The measures are computed from the store's samples over the window asked for;
the at-risk list from its index of open orders (``monitoring.risk``), with the clock of the
read.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from monitoring import measures
from monitoring.inventory import Discrepancy, InventoryTruth
from monitoring.records import Fact, Measure
from monitoring.redis_store import RedisMonitoringStore
from monitoring.risk import risks
from monitoring.settings import RETENTION_SECONDS, MonitoringConfig, MonitoringSettings
from monitoring.sqlite_store import SqliteMonitoringStore
from monitoring.store import MonitoringStore

__all__ = ["MAX_WINDOW_HOURS", "AtRisk", "Monitor", "open_store"]

log = logging.getLogger("crossdock.monitoring")

MAX_WINDOW_HOURS = 720
"""The longest window asked for (``RETENTION_SECONDS``)."""

_PRUNE_EVERY_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class AtRisk:
    """One order at risk now: its worst risk, since when (epoch seconds)."""

    order_id: str
    stage: str
    since: float
    reason: str
    detail: str
    promised_date: date | None


def open_store(config: MonitoringConfig) -> MonitoringStore:
    """Redis when the config names one, else its SQLite file."""
    if config.redis_url:
        return RedisMonitoringStore(config.redis_url, config.policy, prefix=config.prefix)
    return SqliteMonitoringStore(config.path, config.policy)


class Monitor:
    """Facts in, measures out, over ``store``; ``inventory`` answers the discrepancies."""

    def __init__(
        self,
        store: MonitoringStore,
        policy: MonitoringSettings | None = None,
        *,
        inventory: InventoryTruth | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.policy = policy or MonitoringSettings()
        self.inventory = inventory
        self.clock = clock
        self._pruned_at = 0.0

    @classmethod
    def from_config(
        cls, config: MonitoringConfig, *, inventory: InventoryTruth | None = None
    ) -> Monitor:
        return cls(open_store(config), config.policy, inventory=inventory)

    async def record(self, fact: Fact) -> bool:
        """Record ``fact`` once (``False``: its event id was recorded before)."""
        recorded = await self.store.record(fact)
        now = self.clock()
        if now - self._pruned_at > _PRUNE_EVERY_SECONDS:
            self._pruned_at = now
            await self.store.prune(now - RETENTION_SECONDS)
        return recorded

    async def record_quietly(self, fact: Fact) -> None:
        """Record ``fact``, logging rather than raising: for callers whose own work must not
        fail because the monitoring's store did (a workflow's answer, a subscriber's event)."""
        try:
            await self.record(fact)
        except Exception:
            log.exception("the monitoring could not record %s %s", fact.kind, fact.event_id)

    def window(self, hours: int, now: float | None = None) -> tuple[float, float]:
        end = self.clock() if now is None else now
        return end - hours * 3600.0, end

    async def cycle_times(self, start: float, end: float) -> list[measures.CycleTime]:
        return measures.cycle_times(await self.store.samples(Measure.CYCLE, start, end))

    async def cycle_series(
        self, start: float, end: float, bucket_seconds: float
    ) -> list[measures.CycleBucket]:
        samples = await self.store.samples(Measure.CYCLE, start, end)
        return measures.cycle_series(samples, bucket_seconds)

    async def fallout(self, start: float, end: float) -> list[measures.Fallout]:
        submitted = len(await self.store.samples(Measure.SUBMITTED, start, end))
        samples = await self.store.samples(Measure.FALLOUT, start, end)
        return measures.fallout(samples, submitted)

    async def fallout_series(
        self, start: float, end: float, bucket_seconds: float
    ) -> list[measures.FalloutBucket]:
        samples = await self.store.samples(Measure.FALLOUT, start, end)
        return measures.fallout_series(samples, bucket_seconds)

    async def latency(self, start: float, end: float) -> measures.Latency:
        return measures.latency(await self.store.samples(Measure.LATENCY, start, end))

    async def at_risk(self, first: int = 100, now: float | None = None) -> list[AtRisk]:
        """Up to ``first`` orders at risk at ``now``, the longest at risk first."""
        now = self.clock() if now is None else now
        out: list[AtRisk] = []
        for stored in await self.store.due(now, first):
            state = stored.state
            found = risks(state, self.policy, now)
            if not found:
                continue  # indexed under another policy (see ``reindex``)
            worst = found[0]
            out.append(
                AtRisk(
                    order_id=state.order_id,
                    stage=state.stage,
                    since=worst.since,
                    reason=worst.reason.value,
                    detail=worst.detail,
                    promised_date=state.promised_date,
                )
            )
        return out

    async def at_risk_count(self, now: float | None = None) -> int:
        return await self.store.due_count(self.clock() if now is None else now)

    async def discrepancies(self, first: int = 100) -> list[Discrepancy]:
        if self.inventory is None:
            return []
        return (await self.inventory.discrepancies())[:first]

    async def aclose(self) -> None:
        await self.store.aclose()
        if self.inventory is not None:
            await self.inventory.aclose()
