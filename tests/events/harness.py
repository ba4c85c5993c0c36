"""What the event tests share: a bus under test, events to publish, a recording handler."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from cache import Cache
from events import Consumer, Delivery, EventBus, Handler
from schema.events import FulfillmentMilestone, MilestoneType

__all__ = ["FAST", "BusSubject", "Recorder", "milestone"]

# Consumer timings for tests: quick retries and reclaims, short blocking reads.
FAST: dict[str, Any] = {
    "retry_delay_seconds": 0.02,
    "max_retry_delay_seconds": 0.05,
    "reclaim_idle_seconds": 0.3,
    "block_seconds": 0.05,
}


@dataclass
class BusSubject:
    """An ``EventBus`` under test and a ``Cache`` of the same kind for ``SeenEvents``."""

    kind: Literal["memory", "redis"]
    bus: EventBus
    cache: Cache
    make_bus: Callable[[int], EventBus]  # another bus of the kind, with this max_length

    def consumer(self, stream: str, group: str, handler: Handler, **options: Any) -> Consumer:
        return Consumer(self.bus, stream, group, handler, **{**FAST, **options})

    async def publish(self, stream: str, *event_ids: str) -> list[str]:
        return [
            await self.bus.publish(stream, event_id, milestone(event_id).to_json())
            for event_id in event_ids
        ]

    async def aclose(self) -> None:
        await self.bus.aclose()
        await self.cache.aclose()


def milestone(event_id: str, order: int = 1) -> FulfillmentMilestone:
    """A PICKED milestone of order ``order``, as the WMS subgraph would publish it."""
    return FulfillmentMilestone(
        event_id=event_id,
        type=MilestoneType.PICKED,
        order_id=str(order),
        order_number=f"SO-{order:06d}",
        account_id="001CD000000000000A",
        fulfillment_order_id=f"FO-{order}",
        center_id="ATL1",
        occurred_at=datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
    )


@dataclass
class Recorder:
    """A handler that records the event ids it processed, failing on demand.

    ``fail`` maps an event id to how many more times handling it must raise (-1: always).
    ``hold`` event ids block until ``release`` is set (a handler caught mid-work).
    """

    processed: list[str] = field(default_factory=list)
    attempts: list[tuple[str, int]] = field(default_factory=list)
    fail: dict[str, int] = field(default_factory=dict)
    hold: set[str] = field(default_factory=set)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    holding: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, delivery: Delivery) -> None:
        self.attempts.append((delivery.event_id, delivery.attempts))
        # Decoding proves the bytes round-trip through the bus.
        event = FulfillmentMilestone.from_json(delivery.data)
        if event.event_id in self.hold:
            self.holding.set()
            await self.release.wait()
        remaining = self.fail.get(event.event_id, 0)
        if remaining:
            self.fail[event.event_id] = remaining - 1
            raise RuntimeError(f"cannot handle {event.event_id} yet")
        self.processed.append(event.event_id)

    def duplicates(self) -> list[str]:
        return [event_id for event_id, n in Counter(self.processed).items() if n > 1]
