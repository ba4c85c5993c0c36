"""``SeenEvents`` and ``idempotent``: a handler runs once per event id, even across failures."""

from __future__ import annotations

import pytest

from cache import MemoryCache
from events import Delivery, EventInProgress, SeenEvents, idempotent
from events.idempotency import SeenState
from tests.cache.harness import FakeClock
from tests.events.harness import milestone


def _delivery(event_id: str, attempts: int = 1) -> Delivery:
    return Delivery("s", "1-0", event_id, milestone(event_id).to_json(), attempts)


class Counting:
    def __init__(self, failures: int = 0) -> None:
        self.calls: list[str] = []
        self.failures = failures

    async def __call__(self, delivery: Delivery) -> None:
        self.calls.append(delivery.event_id)
        if self.failures:
            self.failures -= 1
            raise RuntimeError("downstream is down")


async def test_a_delivered_twice_event_runs_the_handler_once() -> None:
    record = SeenEvents(MemoryCache(), "erp")
    handler = Counting()
    once = idempotent(handler, record)
    await once(_delivery("e1"))
    await once(_delivery("e1", attempts=2))
    await once(_delivery("e2"))
    assert handler.calls == ["e1", "e2"]
    assert await record.seen("e1") and not await record.seen("e3")


async def test_a_failure_releases_the_event_for_the_retry() -> None:
    record = SeenEvents(MemoryCache(), "erp")
    handler = Counting(failures=1)
    once = idempotent(handler, record)
    with pytest.raises(RuntimeError):
        await once(_delivery("e1"))
    assert not await record.seen("e1")
    await once(_delivery("e1", attempts=2))
    assert handler.calls == ["e1", "e1"] and await record.seen("e1")


async def test_an_event_in_progress_elsewhere_is_retried_not_skipped() -> None:
    clock = FakeClock()
    record = SeenEvents(MemoryCache(clock=clock), "erp", lease_seconds=30)
    assert await record.begin("e1") is SeenState.NEW  # another replica, still working
    handler = Counting()
    with pytest.raises(EventInProgress, match="e1"):
        await idempotent(handler, record)(_delivery("e1"))
    clock.advance(31)  # that replica died: its lease runs out
    await idempotent(handler, record)(_delivery("e1"))
    assert handler.calls == ["e1"]


async def test_scopes_are_independent_and_done_is_kept_for_the_retention() -> None:
    cache = MemoryCache()
    erp, crm = SeenEvents(cache, "erp", retention_seconds=60), SeenEvents(cache, "crm")
    await erp.done("e1")
    assert await erp.seen("e1") and not await crm.seen("e1")
    ttl = await cache.ttl(erp.key("e1"))
    assert ttl is not None and 0 < ttl <= 60
    assert await erp.begin("e1") is SeenState.DONE


async def test_an_id_seen_with_another_fingerprint_is_a_conflict() -> None:
    seen = SeenEvents(MemoryCache(), "wms-webhooks")
    assert await seen.begin("e1", "aaa") is SeenState.NEW
    assert await seen.begin("e1", "bbb") is SeenState.CONFLICT  # while in progress
    assert await seen.begin("e1", "aaa") is SeenState.BUSY
    await seen.done("e1", "aaa")
    assert await seen.seen("e1")
    assert await seen.begin("e1", "aaa") is SeenState.DONE
    assert await seen.begin("e1", "bbb") is SeenState.CONFLICT
    # Callers that do not say what an event is, and records made without, never conflict.
    assert await seen.begin("e1") is SeenState.DONE
    await seen.done("e2")
    assert await seen.begin("e2", "ccc") is SeenState.DONE
