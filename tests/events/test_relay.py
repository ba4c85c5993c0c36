"""``OutboxRelay`` over each real bus and each outbox: rows published in order with their
ids, a crash between publish and mark published again and dropped by event id, a trim not taken
for a loss, a loss relayed again, and an outage waited out with one warning."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from cache import MemoryCache
from events import EventBus, InProcessBus, RedisStreamBus, SeenEvents, idempotent
from events.outbox import Admission, Outbox, OutboxUnavailable
from events.relay import OutboxRelay
from events.sqlite_outbox import SqliteOutbox
from tests.events.conftest import OpenOutbox
from tests.events.harness import BusSubject, Recorder, milestone
from tests.support.private_redis import private_redis
from tests.support.waiting import wait_until_async

FAST_RELAY: dict[str, Any] = {"check_interval_seconds": 0.05, "max_retry_delay_seconds": 0.2}


async def _add(outbox: Outbox, stream: str, *event_ids: str) -> None:
    for event_id in event_ids:
        data = milestone(event_id).to_json()
        assert await outbox.add(stream, event_id, "fp", data) is Admission.NEW


async def _event_ids(bus: EventBus, stream: str) -> list[str]:
    return [e.event_id for e in await bus.entries(stream, after_id="0-0", count=10_000)]


async def test_rows_are_published_in_order_with_their_event_ids(
    subject: BusSubject, stream: str, open_outbox: OpenOutbox
) -> None:
    outbox = open_outbox()
    relay = OutboxRelay(outbox, subject.bus, batch_size=2, **FAST_RELAY)
    try:
        await _add(outbox, stream, "e1", "e2", "e3")
        relay.start()
        relay.wake()

        async def relayed() -> bool:
            return relay.relayed == 3 and relay.state == "running"

        await wait_until_async(relayed, what="three rows relayed")
        assert await _event_ids(subject.bus, stream) == ["e1", "e2", "e3"]
        assert (relay.unrelayed, relay.last_error, relay.oldest_unrelayed_age) == (0, None, None)
        [last] = await outbox.last_relayed(since=0)
        assert last.entry_id == await subject.bus.find(stream, "e3")
    finally:
        await relay.aclose()
        await outbox.aclose()
    assert relay.state == "stopped"


class CrashAfterPublish:
    """The bus, except that the ``nth`` publish stops the relay's task right after the entry was
    appended: the relay's process dying between the publish and the mark."""

    def __init__(self, bus: EventBus, nth: int) -> None:
        self._bus, self._left = bus, nth

    async def publish(
        self, stream: str, event_id: str, data: bytes, *, traceparent: str | None = None
    ) -> str:
        entry_id = await self._bus.publish(stream, event_id, data)
        self._left -= 1
        if self._left == 0:
            raise asyncio.CancelledError
        return entry_id

    def __getattr__(self, name: str) -> object:
        return getattr(self._bus, name)


async def test_a_crash_between_publish_and_mark_publishes_once_more_dropped_by_event_id(
    subject: BusSubject, stream: str, open_outbox: OpenOutbox
) -> None:
    outbox = open_outbox()
    await _add(outbox, stream, "e1", "e2", "e3")
    crashing = OutboxRelay(outbox, CrashAfterPublish(subject.bus, nth=2), **FAST_RELAY)  # type: ignore[arg-type]
    with pytest.raises(asyncio.CancelledError):
        await crashing.start()
    await outbox.aclose()
    # e2 is in the stream, but the outbox does not know it.
    assert await _event_ids(subject.bus, stream) == ["e1", "e2"]

    recorder = Recorder()
    handler = idempotent(recorder, SeenEvents(MemoryCache(), "test"))
    restarted = open_outbox()
    relay = OutboxRelay(restarted, subject.bus, **FAST_RELAY)
    try:
        async with subject.consumer(stream, "erp", handler):
            relay.start()

            async def handled() -> bool:
                return len(recorder.processed) == 3 and relay.state == "running"

            await wait_until_async(handled, what="every event handled")
            assert await _event_ids(subject.bus, stream) == ["e1", "e2", "e2", "e3"]
            assert recorder.processed == ["e1", "e2", "e3"]
            assert relay.relayed == 2
    finally:
        await relay.aclose()
        await restarted.aclose()


async def test_a_trimmed_stream_is_not_taken_for_a_loss(
    subject: BusSubject, stream: str, open_outbox: OpenOutbox
) -> None:
    bus = subject.make_bus(3)
    outbox = open_outbox()
    relay = OutboxRelay(outbox, bus, **FAST_RELAY)
    try:
        await _add(outbox, stream, "e1", "e2")
        assert await relay.relay_pending() == 2
        # Enough other entries after ours that the stream's bound trims them away.
        for n in range(200):
            await bus.publish(stream, f"other-{n}", b"{}")
        assert await bus.find(stream, "e2") is None
        assert await relay.check_losses() == 0
        assert await relay.relay_pending() == 0
        assert (relay.losses, relay.requeued) == (0, 0)
    finally:
        await outbox.aclose()
        if bus is not subject.bus:
            await bus.aclose()


async def test_an_entry_gone_from_the_middle_of_the_stream_is_a_loss(
    redis_url: str, events_prefix: str, stream: str, open_outbox: OpenOutbox
) -> None:
    bus = RedisStreamBus(redis_url, prefix=events_prefix)
    outbox = open_outbox()
    relay = OutboxRelay(outbox, bus)
    try:
        await _add(outbox, stream, "e1", "e2")
        await relay.relay_pending()
        await bus.publish(stream, "later", b"{}")
        # Not a trim (the oldest entry is still there): something removed e2 alone.
        entry = await bus.find(stream, "e2")
        assert entry is not None
        raw = aioredis.Redis.from_url(redis_url)
        try:
            assert await raw.xdel(bus.stream_key(stream), entry) == 1
        finally:
            await raw.aclose()
        assert await relay.check_losses() == 2
        assert await relay.relay_pending() == 2
        assert await _event_ids(bus, stream) == ["e1", "later", "e1", "e2"]
    finally:
        await outbox.aclose()
        await bus.aclose()


async def test_a_bus_that_lost_everything_gets_the_window_relayed_again(
    stream: str, open_outbox: OpenOutbox, caplog: pytest.LogCaptureFixture
) -> None:
    clock = [1_700_000_000.0]
    outbox = open_outbox(clock=lambda: clock[0])
    before = InProcessBus()
    first = OutboxRelay(outbox, before, clock=lambda: clock[0])
    await _add(outbox, stream, "old")
    await first.relay_pending()
    clock[0] += 3600
    await _add(outbox, stream, "e1", "e2")
    await first.relay_pending()
    # The bus restarted empty; the relay of the next process knows only the outbox.
    after = InProcessBus()
    relay = OutboxRelay(outbox, after, replay_window_seconds=600, clock=lambda: clock[0])
    try:
        with caplog.at_level(logging.WARNING, logger="crossdock.events"):
            assert await relay.relay_pending() == 2
        assert await _event_ids(after, stream) == ["e1", "e2"]
        assert (relay.losses, relay.requeued) == (1, 2)
        [line] = [r.getMessage() for r in caplog.records if "lost events relayed" in r.getMessage()]
        assert "relaying 2 events" in line
        # Once relayed again, nothing is lost any more.
        assert await relay.check_losses() == 0
    finally:
        await outbox.aclose()


async def test_an_outage_is_waited_out_with_one_warning_and_nothing_is_lost(
    stream: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with private_redis(tmp_path) as server:
        bus = RedisStreamBus(server.url, timeout_seconds=0.5)
        outbox = SqliteOutbox(tmp_path / "outbox.sqlite3")
        relay = OutboxRelay(outbox, bus, **FAST_RELAY)
        try:
            with caplog.at_level(logging.INFO, logger="crossdock.events"):
                relay.start()
                await _add(outbox, stream, "before")
                relay.wake()

                async def drained() -> bool:
                    return relay.relayed >= 1 and relay.state == "running" and not relay.unrelayed

                await wait_until_async(drained, what="the first row relayed")
                server.kill()
                for n in range(5):
                    await _add(outbox, stream, f"during-{n}")
                    relay.wake()

                async def waiting() -> bool:
                    return relay.state == "waiting for the bus" and relay.unrelayed == 5

                await wait_until_async(waiting, what="the relay waiting for Redis")
                assert relay.last_error is not None and "unavailable" in relay.last_error
                assert relay.oldest_unrelayed_age is not None
                await asyncio.to_thread(server.start)  # empty: it lost "before" too
                await wait_until_async(drained, timeout=20, what="the rows relayed after")
            ids = await _event_ids(bus, stream)
            assert sorted(ids) == sorted(["before", *(f"during-{n}" for n in range(5))])
            messages = [r.getMessage() for r in caplog.records]
            assert len([m for m in messages if "cannot relay now" in m]) == 1
            assert len([m for m in messages if "relaying again, after" in m]) == 1
            assert relay.last_error is None
        finally:
            await relay.aclose()
            await outbox.aclose()
            await bus.aclose()


async def test_an_unexpected_failure_is_logged_once_retried_and_never_ends_the_relay(
    stream: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(InProcessBus):
        failures = 5

        async def publish(
            self, stream: str, event_id: str, data: bytes, *, traceparent: str | None = None
        ) -> str:
            if self.failures:
                self.failures -= 1
                raise RuntimeError("a bug in the bus")
            return await super().publish(stream, event_id, data)

    bus = Broken()
    outbox = SqliteOutbox(tmp_path / "outbox.sqlite3")
    relay = OutboxRelay(outbox, bus, retry_delay_seconds=0.01, max_retry_delay_seconds=0.02)
    try:
        await _add(outbox, stream, "e1")
        relay.start()

        async def failing() -> bool:
            return relay.state == "failing"

        await wait_until_async(failing, what="the relay failing")
        assert relay.last_error == "RuntimeError: a bug in the bus"

        async def recovered() -> bool:
            return relay.state == "running" and relay.relayed == 1

        await wait_until_async(recovered, what="the relay recovered")
        assert await _event_ids(bus, stream) == ["e1"]
        tracebacks = [r for r in caplog.records if "relaying failed" in r.getMessage()]
        assert len(tracebacks) == 1 and tracebacks[0].exc_info is not None
    finally:
        await relay.aclose()
        await outbox.aclose()


async def test_a_mark_that_fails_does_not_publish_the_rows_again_on_every_retry(
    stream: str, tmp_path: Path
) -> None:
    path = tmp_path / "outbox.sqlite3"
    bus = InProcessBus()
    outbox = SqliteOutbox(path, timeout_seconds=0.2)
    relay = OutboxRelay(outbox, bus)
    await _add(outbox, stream, "e1", "e2")
    # Another process holds the outbox's write lock: the rows can be read, not marked.
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        for _ in range(3):
            with pytest.raises(OutboxUnavailable):
                await relay.relay_pending()
        assert await _event_ids(bus, stream) == ["e1", "e2"]
        other.execute("ROLLBACK")
        assert await relay.relay_pending() == 0
        assert await _event_ids(bus, stream) == ["e1", "e2"]
        assert (await outbox.status()).unrelayed == 0
        assert relay.relayed == 2
    finally:
        other.close()
        await outbox.aclose()
