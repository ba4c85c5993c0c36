"""``Consumer`` over both buses: ack after success, retries, dead letters, reclaiming, sharing."""

from __future__ import annotations

import asyncio

import pytest

from events import Consumer, Delivery, RetryLater, SeenEvents, StreamInfo, idempotent
from tests.events.harness import BusSubject, Recorder
from tests.support.waiting import wait_until_async

EVENTS = [f"e{n:03d}" for n in range(20)]


async def _group(subject: BusSubject, stream: str, group: str) -> tuple[StreamInfo, int, int]:
    (info,) = [info for info in await subject.bus.streams() if info.name == stream]
    (found,) = [g for g in info.groups if g.name == group]
    return info, found.pending, found.lag or 0


async def _until_processed(recorder: Recorder, count: int, timeout: float = 10) -> None:
    async def enough() -> bool:
        return len(set(recorder.processed)) >= count

    await wait_until_async(enough, timeout=timeout, what=f"{count} events processed")


async def _until_settled(subject: BusSubject, stream: str, group: str) -> None:
    async def settled() -> bool:
        _, pending, lag = await _group(subject, stream, group)
        return pending == 0 and lag == 0

    await wait_until_async(settled, timeout=10, what="nothing pending, nothing unread")


async def test_consumes_in_order_and_acknowledges(subject: BusSubject, stream: str) -> None:
    recorder = Recorder()
    await subject.publish(stream, *EVENTS[:10])
    async with subject.consumer(stream, "erp", recorder, batch_size=4) as consumer:
        await subject.publish(stream, *EVENTS[10:])
        await _until_processed(recorder, len(EVENTS))
        await _until_settled(subject, stream, "erp")
    assert recorder.processed == EVENTS
    assert consumer.stats.handled == len(EVENTS)


async def test_a_failing_handler_is_retried_until_it_succeeds(
    subject: BusSubject, stream: str
) -> None:
    recorder = Recorder(fail={"e001": 2})
    await subject.publish(stream, "e000", "e001", "e002")
    async with subject.consumer(stream, "erp", recorder, max_attempts=5) as consumer:
        await _until_processed(recorder, 3)
        await _until_settled(subject, stream, "erp")
    assert sorted(recorder.processed) == ["e000", "e001", "e002"]
    assert [a for e, a in recorder.attempts if e == "e001"] == [1, 2, 3]
    assert consumer.stats.failed == 2 and consumer.stats.dead_lettered == 0
    assert await subject.bus.dead_letters(stream) == []


async def test_a_poison_event_is_dead_lettered_then_replayed_once_after_the_fix(
    subject: BusSubject, stream: str
) -> None:
    recorder = Recorder(fail={"poison": -1})
    await subject.publish(stream, "e000", "poison", "e001")
    async with subject.consumer(stream, "erp", recorder, max_attempts=3) as consumer:
        await _until_processed(recorder, 2)

        async def parked() -> bool:
            return len(await subject.bus.dead_letters(stream)) == 1

        await wait_until_async(parked, timeout=10, what="the poison event dead-lettered")
        await _until_settled(subject, stream, "erp")
    (letter,) = await subject.bus.dead_letters(stream)
    assert (letter.event_id, letter.group, letter.attempts) == ("poison", "erp", 3)
    assert letter.error == "RuntimeError: cannot handle poison yet"
    assert letter.consumer == consumer.name
    assert [a for e, a in recorder.attempts if e == "poison"] == [1, 2, 3]
    assert consumer.stats.dead_lettered == 1
    info, _, _ = await _group(subject, stream, "erp")
    assert info.dead_letters == 1

    recorder.fail.clear()  # the fix
    async with subject.consumer(stream, "erp", recorder):
        assert len(await subject.bus.replay_dead_letters(stream)) == 1
        await _until_processed(recorder, 3)
        await _until_settled(subject, stream, "erp")
    assert recorder.processed.count("poison") == 1
    assert await subject.bus.dead_letters(stream) == []


async def test_two_consumers_share_a_group_without_duplicates(
    subject: BusSubject, stream: str
) -> None:
    recorder = Recorder()
    events = [f"e{n:03d}" for n in range(200)]
    one = subject.consumer(stream, "erp", recorder, name="one", batch_size=5)
    two = subject.consumer(stream, "erp", recorder, name="two", batch_size=5)
    async with one, two:
        await subject.publish(stream, *events)
        await _until_processed(recorder, len(events))
        await _until_settled(subject, stream, "erp")
    assert sorted(recorder.processed) == events
    assert recorder.duplicates() == []
    assert one.stats.handled > 0 and two.stats.handled > 0
    assert one.stats.handled + two.stats.handled == len(events)


async def test_a_killed_consumer_loses_nothing_and_nothing_runs_twice(
    subject: BusSubject, stream: str
) -> None:
    recorder = Recorder(hold={"e005"})
    seen = SeenEvents(subject.cache, f"{stream}:erp", lease_seconds=0.5)
    handler = idempotent(recorder, seen)
    events = EVENTS[:12]
    await subject.publish(stream, *events)
    doomed = subject.consumer(stream, "erp", handler, name="doomed", batch_size=10)
    task = doomed.start()
    await asyncio.wait_for(recorder.holding.wait(), 10)
    task.cancel()  # killed mid-batch: e005 half done, e006..e009 read but never handled
    with pytest.raises(asyncio.CancelledError):
        await task
    assert recorder.processed == EVENTS[:5]
    _, pending, _ = await _group(subject, stream, "erp")
    assert pending == 5

    recorder.hold.clear()
    async with subject.consumer(stream, "erp", handler, name="heir") as heir:
        await _until_processed(recorder, len(events))
        await _until_settled(subject, stream, "erp")
    assert sorted(recorder.processed) == events
    assert recorder.duplicates() == []
    assert heir.stats.reclaimed >= 5
    for event_id in events:
        assert await seen.seen(event_id)


async def test_an_entry_that_keeps_killing_consumers_is_dead_lettered(
    subject: BusSubject, stream: str
) -> None:
    bus = subject.bus
    await subject.publish(stream, "killer")
    await bus.ensure_group(stream, "erp")
    await bus.read(stream, "erp", "victim-1", count=1)
    for victim in ("victim-2", "victim-3"):
        await bus.claim_idle(stream, "erp", victim, min_idle_seconds=0, count=1)
    recorder = Recorder()
    async with subject.consumer(stream, "erp", recorder, max_attempts=3, reclaim_idle_seconds=0):
        await _until_settled(subject, stream, "erp")
    assert recorder.processed == []
    (letter,) = await bus.dead_letters(stream)
    assert (letter.event_id, letter.attempts) == ("killer", 4)
    assert letter.error == "not acknowledged after 3 deliveries"


async def test_concurrent_handlers_process_everything_once(
    subject: BusSubject, stream: str
) -> None:
    recorder = Recorder(fail={"e003": 1})
    async with subject.consumer(stream, "erp", recorder, concurrency=4, batch_size=8):
        await subject.publish(stream, *EVENTS)
        await _until_processed(recorder, len(EVENTS))
        await _until_settled(subject, stream, "erp")
    assert sorted(recorder.processed) == EVENTS
    assert recorder.duplicates() == []


async def test_stop_ends_run_and_leaves_later_entries_for_the_group(
    subject: BusSubject, stream: str
) -> None:
    recorder = Recorder()
    consumer = subject.consumer(stream, "erp", recorder)
    task = consumer.start()
    await subject.publish(stream, "e000")
    await _until_processed(recorder, 1)
    consumer.stop()
    await asyncio.wait_for(task, 10)
    await subject.publish(stream, "e001")
    _, pending, lag = await _group(subject, stream, "erp")
    assert (pending, lag) == (0, 1)


def test_options_are_validated(subject: BusSubject) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Consumer(subject.bus, "s", "g", Recorder(), batch_size=0)


async def test_a_consumer_that_died_holding_the_lease_delays_but_does_not_lose_the_event(
    subject: BusSubject, stream: str
) -> None:
    # The process died hard: no release of the lease, no ack; only the lease's expiry frees it.
    seen = SeenEvents(subject.cache, f"{stream}:erp", lease_seconds=0.6)
    await subject.publish(stream, "e000", "e001")
    await subject.bus.ensure_group(stream, "erp")
    await subject.bus.read(stream, "erp", "dead", count=1)
    await seen.begin("e000")
    recorder = Recorder()
    handler = idempotent(recorder, seen)
    async with subject.consumer(stream, "erp", handler, max_attempts=2) as heir:
        await _until_processed(recorder, 2)
        await _until_settled(subject, stream, "erp")
    assert sorted(recorder.processed) == ["e000", "e001"]
    assert heir.stats.dead_lettered == 0 and heir.stats.reclaimed >= 1
    assert await subject.bus.dead_letters(stream) == []


async def test_retry_later_does_not_count_toward_the_dead_letters(
    subject: BusSubject, stream: str
) -> None:
    deferrals = 6

    async def not_yet(delivery: Delivery) -> None:
        nonlocal deferrals
        if deferrals:
            deferrals -= 1
            raise RetryLater("the ERP is closing the period", retry_after_seconds=0)
        await recorder(delivery)

    recorder = Recorder()
    await subject.publish(stream, "e000")
    async with subject.consumer(stream, "erp", not_yet, max_attempts=2) as consumer:
        await _until_processed(recorder, 1)
        await _until_settled(subject, stream, "erp")
    assert recorder.processed == ["e000"] and consumer.stats.dead_lettered == 0
