"""``StatusLatency``: the shipment status latency, WMS event time to delivery to subscribers.

The wms subgraph's feed tells it of each live milestone the moment it hands it to a subscriber
(``subgraphs.wms.feed``'s ``delivered``); it records that as a fact (by the milestone's event
id: one sample per event, however many replicas deliver it) without holding the feed up: the
write runs as a task of its own, and at most ``max_pending`` run at once (beyond that a
sample is dropped, never the delivery).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from monitoring.monitor import Monitor
from monitoring.records import Fact, FactKind
from schema.events import FulfillmentMilestone

__all__ = ["StatusLatency"]

log = logging.getLogger("crossdock.monitoring")


class StatusLatency:
    def __init__(
        self,
        monitor: Monitor,
        *,
        max_pending: int = 1000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.monitor, self._max, self._clock = monitor, max_pending, clock
        self._pending: set[asyncio.Task[None]] = set()
        self.dropped = 0

    def delivered(self, event: FulfillmentMilestone) -> None:
        """Record ``event``'s latency now (called by the feed's reader: does not block)."""
        now = self._clock()
        if len(self._pending) >= self._max:
            self.dropped += 1
            return
        fact = Fact(
            f"status-delivered:{event.event_id}",
            FactKind.STATUS_DELIVERED,
            event.order_id,
            now,
            seconds=max(now - event.occurred_at.timestamp(), 0.0),
        )
        task = asyncio.ensure_future(self.monitor.record_quietly(fact))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def aclose(self) -> None:
        """Let the writes in flight finish, then close the monitor."""
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        await self.monitor.aclose()
