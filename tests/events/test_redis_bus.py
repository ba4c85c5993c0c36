"""``RedisStreamBus`` beyond the Protocol: its keys, durability, trimming, unavailability."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis

from events import EventBusUnavailable, InProcessBus, RedisStreamBus, create_event_bus
from tests.events.harness import milestone


@pytest.fixture
def raw(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(redis_url)


async def test_an_entry_is_on_the_server_when_publish_returns(
    redis_url: str, events_prefix: str, stream: str, raw: redis.Redis
) -> None:
    bus = RedisStreamBus(redis_url, prefix=events_prefix)
    try:
        data = milestone("e1").to_json()
        entry_id = await bus.publish(stream, "e1", data)
        key = f"{events_prefix}stream:{stream}"
        assert bus.stream_key(stream) == key
        assert raw.xrange(key) == [(entry_id.encode(), {b"event_id": b"e1", b"data": data})]
    finally:
        await bus.aclose()
        raw.close()


async def test_dead_letters_are_a_stream_beside_the_stream(
    redis_url: str, events_prefix: str, stream: str, raw: redis.Redis
) -> None:
    bus = RedisStreamBus(redis_url, prefix=events_prefix)
    try:
        await bus.publish(stream, "e1", b"{}")
        await bus.ensure_group(stream, "erp")
        (delivery,) = await bus.read(stream, "erp", "c", count=1)
        await bus.dead_letter(stream, "erp", "c", delivery, "KeyError: 'sku'")
        entries: Any = raw.xrange(bus.dead_letter_key(stream))
        ((_, fields),) = entries
        assert fields[b"error"] == b"KeyError: 'sku'" and fields[b"attempts"] == b"1"
        assert fields[b"original_id"] == delivery.id.encode()
        assert raw.xpending(bus.stream_key(stream), "erp")["pending"] == 0
    finally:
        await bus.aclose()
        raw.close()


async def test_streams_lists_only_this_prefix(
    redis_url: str, events_prefix: str, stream: str
) -> None:
    mine = RedisStreamBus(redis_url, prefix=f"{events_prefix}mine:")
    other = RedisStreamBus(redis_url, prefix=f"{events_prefix}other:")
    try:
        await mine.publish(stream, "e1", b"{}")
        await other.publish(f"{stream}-other", "e1", b"{}")
        assert [info.name for info in await mine.streams()] == [stream]
    finally:
        await mine.aclose()
        await other.aclose()


async def test_a_blocking_read_does_not_hold_up_other_commands(
    redis_url: str, events_prefix: str, stream: str
) -> None:
    bus = RedisStreamBus(redis_url, prefix=events_prefix, max_connections=4)
    try:
        await bus.ensure_group(stream, "erp")
        reader = asyncio.create_task(bus.read(stream, "erp", "c", count=1, block_seconds=5))
        await bus.publish(stream, "e1", b"{}")
        assert [d.event_id for d in await asyncio.wait_for(reader, 5)] == ["e1"]
    finally:
        await bus.aclose()


async def test_a_blocking_tail_takes_no_connection_from_the_others(
    redis_url: str, events_prefix: str, stream: str
) -> None:
    # One connection in the main pool: were the tail to hold it, publishing would wait for
    # the pool's timeout and fail.
    bus = RedisStreamBus(redis_url, prefix=events_prefix, max_connections=1, tail_connections=1)
    try:
        reader = asyncio.create_task(bus.entries(stream, after_id="0-0", count=5, block_seconds=5))
        await asyncio.sleep(0.1)  # let the tail take its connection and block
        assert not reader.done()
        entry_id = await asyncio.wait_for(bus.publish(stream, "e1", b"{}"), 1)
        assert await asyncio.wait_for(bus.last_id(stream), 1) == entry_id
        assert [e.event_id for e in await asyncio.wait_for(reader, 5)] == ["e1"]
    finally:
        await bus.aclose()


async def test_many_lookups_at_once_neither_fail_nor_hold_up_publishing(
    redis_url: str, events_prefix: str, stream: str, raw: redis.Redis
) -> None:
    # Two connections in the main pool, forty lookups of an event no entry carries (each a
    # scan of the whole stream): were they to take the main pool's connections, publishing
    # would wait for the pool's timeout (one second) and fail.
    bus = RedisStreamBus(
        redis_url, prefix=events_prefix, max_connections=2, timeout_seconds=1, lookup_connections=2
    )
    try:
        with raw.pipeline(transaction=False) as pipe:
            for n in range(30_000):
                pipe.xadd(bus.stream_key(stream), {"event_id": f"e{n}", "data": b"{}"})
            pipe.execute()
        lookups = [asyncio.create_task(bus.find(stream, f"bogus{n}")) for n in range(40)]
        await asyncio.sleep(0)  # let them all start
        published = [
            await asyncio.wait_for(bus.publish(stream, f"new{n}", b"{}"), 1) for n in range(20)
        ]
        assert not all(lookup.done() for lookup in lookups), "the lookups were over too soon"
        assert await asyncio.wait_for(asyncio.gather(*lookups), 60) == [None] * 40
        assert await bus.find(stream, "new19") == published[-1]
    finally:
        await bus.aclose()
        raw.close()


async def test_an_unreachable_server_raises_event_bus_unavailable(dead_redis_url: str) -> None:
    bus = RedisStreamBus(dead_redis_url, timeout_seconds=1)
    try:
        with pytest.raises(EventBusUnavailable, match=r"Redis at redis://127\.0\.0\.1:\d+/0"):
            await bus.publish("s", "e1", b"{}")
        with pytest.raises(EventBusUnavailable):
            await bus.streams()
        assert await bus.ping() is False
    finally:
        await bus.aclose()


async def test_create_event_bus_picks_redis_only_with_a_url(redis_url: str) -> None:
    memory = create_event_bus(None)
    assert isinstance(memory, InProcessBus)
    on_redis = create_event_bus(redis_url, prefix="crossdock-test:unused:")
    try:
        assert isinstance(on_redis, RedisStreamBus) and await on_redis.ping()
    finally:
        await on_redis.aclose()
        await memory.aclose()
