"""A consumer heals: its group lost with Redis's state is created again, and a loop broken by
something unexpected is logged and restarted; neither loses an event."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pytest
import redis.asyncio as aioredis

from events import Consumer, Delivery, EventBus, RedisStreamBus
from tests.events.harness import FAST, BusSubject, Recorder
from tests.support.waiting import wait_until_async


async def _processed(recorder: Recorder, *event_ids: str) -> None:
    async def done() -> bool:
        return set(event_ids) <= set(recorder.processed)

    await wait_until_async(done, timeout=10, what=f"{event_ids} processed")


async def test_a_group_lost_with_redis_is_created_again_and_nothing_after_is_lost(
    redis_url: str, events_prefix: str, stream: str, caplog: pytest.LogCaptureFixture
) -> None:
    bus = RedisStreamBus(redis_url, prefix=events_prefix, max_length=10_000)
    subject = BusSubject("redis", bus, None, lambda n: bus)  # type: ignore[arg-type]
    recorder = Recorder()
    try:
        async with subject.consumer(stream, "erp", recorder) as consumer:
            await subject.publish(stream, "before")
            await _processed(recorder, "before")
            # What Redis restarted empty looks like to the consumer: no stream, no group.
            raw = aioredis.Redis.from_url(redis_url)
            try:
                await raw.delete(bus.stream_key(stream))
            finally:
                await raw.aclose()
            await subject.publish(stream, "after-1", "after-2")
            await _processed(recorder, "after-1", "after-2")
            assert consumer.state == "running"
            assert consumer.stats.groups_recreated == 1
    finally:
        await bus.aclose()
    assert recorder.processed == ["before", "after-1", "after-2"]
    assert any("is gone" in record.getMessage() for record in caplog.records)


class _BreaksOnce:
    """A real bus whose ``read`` raises something unexpected the first ``times`` calls."""

    def __init__(self, bus: EventBus, times: int) -> None:
        self._bus = bus
        self.times = times

    def __getattr__(self, name: str) -> object:
        return getattr(self._bus, name)

    async def read(
        self, stream: str, group: str, consumer: str, *, count: int, block_seconds: float = 0
    ) -> Sequence[Delivery]:
        if self.times > 0:
            self.times -= 1
            raise RuntimeError("the store answered something nobody expected")
        return await self._bus.read(
            stream, group, consumer, count=count, block_seconds=block_seconds
        )


async def test_a_broken_loop_is_logged_and_restarted(
    subject: BusSubject, stream: str, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder()
    breaking = _BreaksOnce(subject.bus, times=2)
    consumer = Consumer(breaking, stream, "erp", recorder, **FAST)  # type: ignore[arg-type]
    await subject.publish(stream, "e1", "e2")
    with caplog.at_level(logging.ERROR, logger="crossdock.events"):
        async with consumer:
            await _processed(recorder, "e1", "e2")
            assert consumer.state == "running"
    final: str = consumer.state  # after the block: mypy keeps the narrowing above
    assert final == "stopped"
    assert consumer.stats.restarts == 2
    assert recorder.processed == ["e1", "e2"]
    broke = [r for r in caplog.records if "broke; restarting" in r.getMessage()]
    assert len(broke) == 2 and all(r.exc_info for r in broke)
