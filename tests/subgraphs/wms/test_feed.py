"""``MilestoneFeed`` on its own, over the in-process bus: a reader that keeps its place through
an unavailable bus, subscribers that cost little while idle and are dropped when they fall
behind, and what it does with entries that are no events."""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from events import EventBusUnavailable, InProcessBus, StreamEntry
from schema.events import FulfillmentMilestone
from subgraphs.wms.feed import MilestoneFeed, SubscriberTooSlow
from subgraphs.wms.subscriptions import MilestoneFilter
from subgraphs.wms.webhooks import MILESTONE_STREAM
from tests.events.harness import milestone
from tests.support.waiting import wait_until_async


class FlakyBus(InProcessBus):
    """The in-process bus whose tail reads fail while ``down`` (Redis restarting, say)."""

    down = False
    failed = 0

    async def entries(
        self, stream: str, *, after_id: str, count: int, block_seconds: float = 0
    ) -> list[StreamEntry]:
        if self.down:
            self.failed += 1
            raise EventBusUnavailable("Redis at redis://127.0.0.1:6379/0 is unavailable")
        return await super().entries(
            stream, after_id=after_id, count=count, block_seconds=block_seconds
        )


@asynccontextmanager
async def running(bus: InProcessBus, **options: Any) -> AsyncIterator[MilestoneFeed]:
    """A started feed over ``bus`` (quick retries), its reader at the stream's end."""
    feed = MilestoneFeed(bus, block_seconds=0.05, retry_delay_seconds=0.01, **options)
    await feed.start()
    await until(lambda: feed.position is not None, "the feed's reader")
    try:
        yield feed
    finally:
        await feed.aclose()
        await bus.aclose()


async def publish(bus: InProcessBus, *events: FulfillmentMilestone) -> None:
    for event in events:
        await bus.publish(MILESTONE_STREAM, event.event_id, event.to_json())


async def take(stream: AsyncIterator[FulfillmentMilestone], count: int) -> list[str]:
    return [(await asyncio.wait_for(anext(stream), 5)).event_id for _ in range(count)]


async def test_the_reader_keeps_its_place_while_the_bus_is_unavailable() -> None:
    bus = FlakyBus()
    async with running(bus) as feed:
        stream = feed.events(MilestoneFilter(order_id="1"))
        first = asyncio.create_task(take(stream, 1))
        await until(lambda: feed.subscribers == 1)
        await publish(bus, milestone("e1"))
        assert await first == ["e1"]

        bus.down = True
        await until(lambda: bus.failed >= 3, "failed reads")
        await publish(bus, milestone("e2"), milestone("e3"))
        bus.down = False
        assert await take(stream, 2) == ["e2", "e3"]
        await stream.aclose()  # type: ignore[attr-defined]


async def test_a_subscriber_that_falls_behind_is_dropped_alone() -> None:
    bus = InProcessBus()
    async with running(bus, queue_size=2) as feed:
        slow = feed.events(MilestoneFilter(order_id="1"))
        fast = feed.events(MilestoneFilter(order_id="1"))
        got = asyncio.create_task(take(slow, 1))
        received: list[str] = []

        async def keep_reading() -> None:
            async for event in fast:
                received.append(event.event_id)

        reading = asyncio.create_task(keep_reading())
        await until(lambda: feed.subscribers == 2)
        await publish(bus, milestone("e1"))
        assert await got == ["e1"]
        # ``slow`` takes nothing more: two more fill its queue, the third drops it.
        for n in range(2, 6):
            await publish(bus, milestone(f"e{n}"))
            await until(lambda: received[-1:] == [f"e{n}"], f"e{n} read")  # noqa: B023
        assert received == ["e1", "e2", "e3", "e4", "e5"]
        assert feed.subscribers == 1
        with pytest.raises(SubscriberTooSlow, match=r"^too slow: resubscribe with after=e1$"):
            await anext(slow)
        reading.cancel()


async def test_an_event_trimmed_away_cannot_be_resumed_after() -> None:
    bus = InProcessBus(max_length=3)
    async with running(bus) as feed:
        stream = feed.events(MilestoneFilter(order_id="1"))
        got = asyncio.create_task(take(stream, 5))
        await until(lambda: feed.subscribers == 1)
        for n in range(1, 6):
            entry_id = await bus.publish(MILESTONE_STREAM, f"e{n}", milestone(f"e{n}").to_json())
            await until(lambda: feed.position == entry_id)  # noqa: B023
        assert await got == ["e1", "e2", "e3", "e4", "e5"]
        # The feed saw e1, but the stream keeps e3 to e5 only.
        assert await feed.entry_of("e1") is None
        assert await feed.entry_of("e4") == await bus.find(MILESTONE_STREAM, "e4")
        assert await feed.entry_of("never") is None
        resumed = feed.events(MilestoneFilter(order_id="1"), after_entry=await feed.entry_of("e3"))
        reading = asyncio.create_task(take(resumed, 3))
        await until(lambda: feed.subscribers == 2)
        await publish(bus, milestone("e6"))
        assert await reading == ["e4", "e5", "e6"]


async def test_an_entry_that_is_no_event_is_skipped() -> None:
    bus = InProcessBus()
    async with running(bus) as feed:
        stream = feed.events(MilestoneFilter(order_id="1"))
        got = asyncio.create_task(take(stream, 1))
        await until(lambda: feed.subscribers == 1)
        await bus.publish(MILESTONE_STREAM, "junk", b"{not json")
        await publish(bus, milestone("e1"))
        assert await got == ["e1"]


async def test_closing_the_feed_ends_its_subscriptions_quietly() -> None:
    bus = InProcessBus()
    async with running(bus) as feed:
        stream = feed.events(MilestoneFilter(order_id="1"))
        waiting = asyncio.create_task(next_of(stream))
        await until(lambda: feed.subscribers == 1)
        await feed.aclose()
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(waiting, 5)
        assert feed.subscribers == 0


async def test_an_idle_subscriber_costs_about_two_kilobytes() -> None:
    bus = InProcessBus()
    count = 2_000
    async with running(bus) as feed:
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.take_snapshot()
            streams = [feed.events(MilestoneFilter(order_id=str(n))) for n in range(count)]
            # Each waits in its own task, as each GraphQL operation does (its cost included).
            tasks = [asyncio.create_task(next_of(stream)) for stream in streams]
            await until(lambda: feed.subscribers == count)
            gc.collect()
            after = tracemalloc.take_snapshot()
        finally:
            tracemalloc.stop()
        per_subscriber = sum(d.size_diff for d in after.compare_to(before, "filename")) / count
        assert per_subscriber < 3_000, f"{per_subscriber:.0f} bytes per idle subscriber"
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def next_of(stream: AsyncIterator[FulfillmentMilestone]) -> FulfillmentMilestone:
    return await anext(stream)


async def until(condition: Callable[[], bool], what: str = "") -> None:
    async def holds() -> bool:
        return condition()

    await wait_until_async(holds, what=what)
