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
from schema.events import MILESTONE_STREAM, FulfillmentMilestone
from subgraphs.wms.feed import MilestoneFeed, SubscriberTooSlow
from subgraphs.wms.subscriptions import MilestoneFilter
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


async def replay_through_dead_letters(bus: InProcessBus, entry_id: str) -> None:
    """What ``crossdock events replay --dead-letters`` does after a consumer gave up on it."""
    await bus.ensure_group(MILESTONE_STREAM, "erp")
    for delivery in await bus.read(MILESTONE_STREAM, "erp", "c", count=1_000):
        if delivery.id == entry_id:
            await bus.dead_letter(MILESTONE_STREAM, "erp", "c", delivery, "boom")
        else:
            await bus.ack(MILESTONE_STREAM, "erp", [delivery.id])
    assert len(await bus.replay_dead_letters(MILESTONE_STREAM)) == 1


@pytest.mark.parametrize("replay", ["range", "dead letters"])
async def test_a_replayed_event_reaches_a_resumed_subscriber_once(replay: str) -> None:
    bus = InProcessBus()
    # W and X were published before this feed started (another replica, a restart).
    await publish(bus, milestone("w"))
    x = await bus.publish(MILESTONE_STREAM, "x", milestone("x").to_json())
    async with running(bus) as feed:
        resumed = feed.events(MilestoneFilter(order_id="1"), after_entry=await feed.entry_of("w"))
        assert await take(resumed, 1) == ["x"]  # from the backlog
        if replay == "range":
            await bus.replay_range(MILESTONE_STREAM, x, x)
        else:
            await replay_through_dead_letters(bus, x)
        await publish(bus, milestone("y"))
        assert await take(resumed, 1) == ["y"]


@pytest.mark.parametrize("replay", ["range", "dead letters"])
async def test_resuming_after_a_replayed_event_resumes_where_it_first_appeared(
    replay: str,
) -> None:
    bus = InProcessBus()
    x = await bus.publish(MILESTONE_STREAM, "x", milestone("x").to_json())
    await publish(bus, milestone("y"), milestone("z"))
    if replay == "range":
        await bus.replay_range(MILESTONE_STREAM, x, x)
    else:
        await replay_through_dead_letters(bus, x)
    async with running(bus) as feed:  # a client that saw x reconnects here
        assert await feed.entry_of("x") == x
        resumed = feed.events(MilestoneFilter(order_id="1"), after_entry=x)
        assert await take(resumed, 2) == ["y", "z"]
        # Replays of what it has now, after it subscribed: nothing more until something new.
        await bus.replay_range(MILESTONE_STREAM, "-", "+")
        await publish(bus, milestone("after"))
        assert await take(resumed, 1) == ["after"]


@pytest.mark.parametrize("resumed", [False, True])
async def test_the_too_slow_hint_loses_nothing_even_before_anything_was_handed_out(
    resumed: bool,
) -> None:
    bus = InProcessBus()
    await publish(bus, milestone("v"), milestone("w"))
    async with running(bus, queue_size=2) as feed:
        after = await feed.entry_of("v") if resumed else None
        stream = feed.events(
            MilestoneFilter(order_id="1"), after_entry=after, after_event="v" if resumed else None
        )
        if resumed:
            assert await take(stream, 1) == ["w"]  # from the backlog: w is the last it saw
        first = asyncio.create_task(next_of(stream))  # registered, but the client reads no more
        await until(lambda: feed.subscribers == 1)
        await publish(bus, milestone("e1"), milestone("e2"), milestone("e3"))
        with pytest.raises(SubscriberTooSlow) as dropped:
            await asyncio.wait_for(first, 5)
        assert dropped.value.after == "w"
        # Following the hint: every event after w, none lost.
        entry = await feed.entry_of(dropped.value.after)
        again = feed.events(MilestoneFilter(order_id="1"), after_entry=entry)
        assert await take(again, 3) == ["e1", "e2", "e3"]


async def test_the_too_slow_hint_of_a_resumed_subscriber_is_its_after() -> None:
    bus = InProcessBus()
    await publish(bus, milestone("w"))
    async with running(bus, queue_size=2) as feed:
        entry = await feed.entry_of("w")
        # ``after_event`` not given: the feed reads it from the entry.
        stream = feed.events(MilestoneFilter(order_id="1"), after_entry=entry)
        first = asyncio.create_task(next_of(stream))
        await until(lambda: feed.subscribers == 1)
        await publish(bus, milestone("e1"), milestone("e2"), milestone("e3"))
        with pytest.raises(SubscriberTooSlow, match=r"^too slow: resubscribe with after=w$"):
            await asyncio.wait_for(first, 5)


class CountingBus(InProcessBus):
    """The in-process bus, counting the ``find`` scans that run at once."""

    running = 0
    most = 0

    async def find(self, stream: str, event_id: str) -> str | None:
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            return await super().find(stream, event_id)
        finally:
            self.running -= 1


async def test_bogus_afters_are_looked_up_a_few_at_a_time_while_events_flow() -> None:
    bus = CountingBus(max_length=50_000)
    for n in range(50_000):
        await bus.publish(MILESTONE_STREAM, f"old{n}", b"{}")
    async with running(bus, concurrent_lookups=3) as feed:
        live = feed.events(MilestoneFilter(order_id="1"))
        got = asyncio.create_task(take(live, 5))
        await until(lambda: feed.subscribers == 1)
        lookups = [asyncio.create_task(feed.entry_of(f"bogus{n}")) for n in range(30)]
        await until(lambda: bus.running > 0, "lookups under way")
        await publish(bus, *(milestone(f"e{n}") for n in range(5)))
        assert await got == [f"e{n}" for n in range(5)]
        assert not all(lookup.done() for lookup in lookups), "the lookups were over too soon"
        assert await asyncio.wait_for(asyncio.gather(*lookups), 60) == [None] * 30
        assert bus.most == 3


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


async def test_a_subscriber_of_one_order_is_asked_about_that_order_only() -> None:
    asked: list[tuple[str, str]] = []

    def counting(name: str, wanted: MilestoneFilter) -> Callable[[FulfillmentMilestone], bool]:
        def matches(event: FulfillmentMilestone) -> bool:
            asked.append((name, event.event_id))
            return wanted(event)

        return matches

    bus = InProcessBus()
    async with running(bus) as feed:
        # 50 followers of other orders, indexed by them; one of order 7; one of an account.
        others = [
            feed.events(counting(f"o{n}", MilestoneFilter(order_id=str(n))), order_id=str(n))
            for n in range(100, 150)
        ]
        seven = feed.events(counting("o7", MilestoneFilter(order_id="7")), order_id="7")
        account = feed.events(counting("acct", MilestoneFilter(account_id="001CD000000000000A")))
        waiting = [asyncio.create_task(take(s, 1)) for s in [*others, seven, account]]
        await until(lambda: feed.subscribers == 52)
        await publish(bus, milestone("e1", order=7), milestone("e2", order=120))
        assert await waiting[50] == ["e1"]
        assert await waiting[51] == ["e1"]
        assert await waiting[20] == ["e2"]
        # Each event asked only its own order's follower and the unindexed one.
        assert sorted(asked) == [("acct", "e1"), ("acct", "e2"), ("o120", "e2"), ("o7", "e1")]
        for task in waiting:
            task.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)
