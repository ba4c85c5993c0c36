"""The submission workflow: compensation when a system fails at each step, and restarts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from cache import RedisCache
from cache.memory import MemoryCache
from crossdock.settings import SystemName
from resolvers.journal import RedisJournal, SqliteJournal, WorkflowState
from resolvers.records import LineRequest, OrderRequest, Outcome, ShipTo
from resolvers.service import OrdersService
from resolvers.submit import WorkflowFailed
from resolvers.systems import Systems
from subgraphs.common.types import Region
from tests.orchestration.picks import Picker
from tests.resolvers.conftest import OwnSystems

NEWARK = ShipTo("1 Raymond Plaza", "Newark", "NJ", "07105", "US", Region.NORTHEAST)

Hook = Callable[[str, WorkflowState], Awaitable[None]]


class Crash(Exception):
    """Stands for the process dying right after a step was journaled."""


def service(
    own: OwnSystems, journal_path: Path, cache: MemoryCache, hook: Hook | None = None
) -> OrdersService:
    return OrdersService(
        Systems.from_settings(own.settings),
        SqliteJournal(journal_path),
        cache,
        retention_seconds=600,
        priority=["ORD1", "ATL1", "EWR1", "RNO1"],
        after_step=hook,
    )


def request(account: str, sku: str, quantity: int) -> OrderRequest:
    return OrderRequest(account, (LineRequest(sku, quantity),), NEWARK)


@pytest.fixture
async def healthy(own_systems: OwnSystems) -> AsyncIterator[OwnSystems]:
    """The systems, with every injected fault cleared again after the test."""
    yield own_systems
    systems: tuple[SystemName, ...] = ("crm", "erp", "wms")
    for system in systems:
        await own_systems.afaults(system)


def fail_after(own: OwnSystems, step: str, system: SystemName) -> Hook:
    async def hook(finished: str, state: WorkflowState) -> None:
        if finished == step:
            await own.afaults(system, error_rate=1.0)

    return hook


def erp_order(own: OwnSystems, order_id: str) -> dict[str, object]:
    response = httpx.get(f"{own.urls['erp']}/salesOrders/{order_id}", timeout=10)
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    return body


async def test_erp_failing_after_the_reservation_releases_it(
    healthy: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    sku = picker.stocked()
    before = healthy.available(sku)
    cache = MemoryCache()
    orders = service(
        healthy, tmp_path / "journal.sqlite3", cache, fail_after(healthy, "reserve", "erp")
    )
    with pytest.raises(WorkflowFailed, match="reservation was released"):
        await orders.submit(request(picker.account(), sku, 3), "erp-down-1")
    assert healthy.available(sku) == before
    assert await orders.journal.unfinished() == []
    await healthy.afaults("erp")
    # The key was let go: the same submission goes through once the ERP is back.
    orders.submissions.after_step = None
    result = await orders.submit(request(picker.account(), sku, 3), "erp-down-1")
    assert result.outcome is Outcome.CONFIRMED
    assert healthy.available(sku)["EWR1"] == before["EWR1"] - 3
    await orders.aclose()


async def test_wms_failing_at_release_holds_the_order_for_review(
    healthy: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    sku = picker.stocked()
    before = healthy.available(sku)
    orders = service(
        healthy,
        tmp_path / "journal.sqlite3",
        MemoryCache(),
        fail_after(healthy, "create_order", "wms"),
    )
    result = await orders.submit(request(picker.account(), sku, 2), "wms-down-1")
    assert (result.outcome, result.hold_reason) == (Outcome.ON_HOLD, "MANUAL_REVIEW")
    assert result.order_id is not None
    order = erp_order(healthy, result.order_id)
    assert (order["custbody_status"], order["custbody_hold_reason"]) == ("ON_HOLD", "MANUAL_REVIEW")
    await healthy.afaults("wms")
    # Its stock stays reserved for it.
    assert healthy.available(sku)["EWR1"] == before["EWR1"] - 2
    await orders.aclose()


async def test_a_process_killed_after_reserving_is_completed_on_restart(
    healthy: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    sku = picker.stocked()
    before = healthy.available(sku)
    cache = MemoryCache()
    journal = tmp_path / "journal.sqlite3"

    async def crash(finished: str, state: WorkflowState) -> None:
        if finished == "reserve":
            raise Crash

    first = service(healthy, journal, cache, crash)
    with pytest.raises(Crash):
        await first.submit(request(picker.account(), sku, 4), "restart-1")
    await first.aclose()

    second = service(healthy, journal, cache)
    [ended] = await second.recovered()
    assert ended.status == "COMPLETED"
    assert ended.steps[-2:] == ("create_order", "release")
    order = erp_order(healthy, ended.data["orderId"])
    assert order["custbody_status"] == "CONFIRMED"
    assert len(ended.data["fulfillmentOrders"]) == 1
    # The reservation passed to the fulfillment order: taken once, not twice.
    assert healthy.available(sku)["EWR1"] == before["EWR1"] - 4
    # The client retrying its key gets the recovered order.
    replay = await second.submit(request(picker.account(), sku, 4), "restart-1")
    assert replay.order_id == ended.data["orderId"]
    await second.aclose()


async def test_a_restart_that_cannot_reach_the_erp_compensates(
    healthy: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    sku = picker.stocked()
    before = healthy.available(sku)
    cache = MemoryCache()
    journal = tmp_path / "journal.sqlite3"

    async def crash(finished: str, state: WorkflowState) -> None:
        if finished == "reserve":
            raise Crash

    first = service(healthy, journal, cache, crash)
    with pytest.raises(Crash):
        await first.submit(request(picker.account(), sku, 4), "restart-2")
    await first.aclose()
    assert healthy.available(sku)["EWR1"] == before["EWR1"] - 4

    await healthy.afaults("erp", error_rate=1.0)
    second = service(healthy, journal, cache)
    [ended] = await second.recovered()
    assert ended.status == "COMPENSATED"
    assert healthy.available(sku) == before
    await second.aclose()


async def test_a_process_killed_before_writing_is_abandoned(
    healthy: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    sku = picker.stocked()
    before = healthy.available(sku)
    cache = MemoryCache()
    journal = tmp_path / "journal.sqlite3"

    async def crash(finished: str, state: WorkflowState) -> None:
        if finished == "plan":
            raise Crash

    first = service(healthy, journal, cache, crash)
    with pytest.raises(Crash):
        await first.submit(request(picker.account(), sku, 1), "restart-3")
    await first.aclose()
    second = service(healthy, journal, cache)
    [ended] = await second.recovered()
    assert ended.status == "FAILED"
    assert healthy.available(sku) == before
    # The key is free again.
    result = await second.submit(request(picker.account(), sku, 1), "restart-3")
    assert result.outcome is Outcome.CONFIRMED
    await second.aclose()


async def test_with_redis_a_replica_finishes_what_another_left(
    healthy: OwnSystems, picker: Picker, redis_url: str, redis_prefix: str
) -> None:
    """The scale-out set-up: journal and idempotency records in Redis, shared by replicas."""
    sku = picker.stocked()
    before = healthy.available(sku)

    async def crash(finished: str, state: WorkflowState) -> None:
        if finished == "create_order":
            raise Crash

    def replica(hook: Hook | None = None) -> OrdersService:
        return OrdersService(
            Systems.from_settings(healthy.settings),
            RedisJournal(redis_url, prefix=redis_prefix),
            RedisCache(redis_url, prefix=redis_prefix),
            retention_seconds=600,
            priority=["ORD1", "ATL1", "EWR1", "RNO1"],
            after_step=hook,
        )

    first = replica(crash)
    with pytest.raises(Crash):
        await first.submit(request(picker.account(), sku, 2), "redis-restart-1")
    await first.aclose()

    second = replica()
    [ended] = await second.recovered()
    assert (ended.status, ended.steps[-1]) == ("COMPLETED", "release")
    assert healthy.available(sku)["EWR1"] == before["EWR1"] - 2
    replay = await second.submit(request(picker.account(), sku, 2), "redis-restart-1")
    assert replay.order_id == ended.data["orderId"]
    await second.aclose()


async def test_wms_failing_at_the_reservation_is_settled_when_it_is_back(
    healthy: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    """The WMS may have reserved before failing; while it cannot be asked, the workflow waits
    in the journal, and recovery settles it (here: completes it) once the WMS answers."""
    sku = picker.stocked()
    before = healthy.available(sku)
    cache = MemoryCache()
    journal = tmp_path / "journal.sqlite3"
    orders = service(healthy, journal, cache, fail_after(healthy, "plan", "wms"))
    try:
        with pytest.raises(WorkflowFailed, match="completed or undone when the wms recovers"):
            await orders.submit(request(picker.account(), sku, 1), "wms-reserve-down-1")
        [waiting] = await orders.journal.unfinished()
        assert waiting.steps == ("plan", "reserving")
    finally:
        await orders.aclose()
    await healthy.afaults("wms")
    assert healthy.available(sku) == before

    restarted = service(healthy, journal, cache)
    [ended] = await restarted.recovered()
    assert (ended.status, ended.steps[-1]) == ("COMPLETED", "release")
    assert healthy.available(sku)["EWR1"] == before["EWR1"] - 1
    replay = await restarted.submit(request(picker.account(), sku, 1), "wms-reserve-down-1")
    assert replay.order_id == ended.data["orderId"]
    await restarted.aclose()
