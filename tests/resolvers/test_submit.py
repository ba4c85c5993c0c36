"""The submission workflow: compensation when a system fails at each step, and restarts."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from cache import RedisCache
from cache.memory import MemoryCache
from connectors.http import SystemCallError
from crossdock.settings import Settings, SystemName
from resolvers.journal import RedisJournal, SqliteJournal, WorkflowState
from resolvers.records import LineRequest, OrderRequest, Outcome, ShipTo
from resolvers.service import OrdersService
from resolvers.submit import WorkflowFailed
from resolvers.systems import Systems
from subgraphs.common.types import Region
from tests.orchestration.picks import Picker
from tests.resolvers.conftest import OwnSystems
from tests.support.waiting import wait_until_async

NEWARK = ShipTo("1 Raymond Plaza", "Newark", "NJ", "07105", "US", Region.NORTHEAST)

Hook = Callable[[str, WorkflowState], Awaitable[None]]


class Crash(Exception):
    """Stands for the process dying right after a step was journaled."""


def service(
    own: OwnSystems,
    journal_path: Path,
    cache: MemoryCache,
    hook: Hook | None = None,
    *,
    settings: Settings | None = None,
) -> OrdersService:
    return OrdersService(
        Systems.from_settings((settings or own.settings).workflows),
        SqliteJournal(journal_path),
        cache,
        retention_seconds=600,
        priority=["ORD1", "ATL1", "EWR1", "RNO1"],
        after_step=hook,
        claim_wait_seconds=0.2,
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


CREATE = "POST /salesOrders"
UNRESERVE = "DELETE /reservations/{reservation_id}"
RELEASE = "POST /fulfillment-orders/release"


def fault_after(own: OwnSystems, step: str, system: SystemName, **faults: object) -> Hook:
    """A hook setting ``faults`` on ``system`` once ``step`` is journaled."""

    async def hook(finished: str, state: WorkflowState) -> None:
        if finished == step:
            await own.afaults(system, **faults)

    return hook


def fail_after(own: OwnSystems, step: str, system: SystemName) -> Hook:
    return fault_after(own, step, system, error_rate=1.0)


async def entered(own: OwnSystems, external_id: str) -> dict[str, Any] | None:
    """The order the ERP entered under ``external_id``, if any."""
    async with httpx.AsyncClient() as client:
        response = await client.get(
            f"{own.urls['erp']}/salesOrders", params={"externalIds": external_id}
        )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items[0] if items else None


def journaled(path: Path) -> list[WorkflowState]:
    """Every workflow in the journal file at ``path``, ended or not."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return [WorkflowState.loads(row[0]) for row in conn.execute("SELECT body FROM workflows")]


def erp_order(own: OwnSystems, order_id: str) -> dict[str, object]:
    response = httpx.get(f"{own.urls['erp']}/salesOrders/{order_id}", timeout=10)
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    return body


async def test_erp_refusing_the_order_after_the_reservation_releases_it(
    healthy: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    """The ERP answers the create 503 but can still be asked: it entered nothing."""
    sku = picker.stocked()
    before = healthy.available(sku)
    orders = service(
        healthy,
        tmp_path / "journal.sqlite3",
        MemoryCache(),
        fault_after(healthy, "reserve", "erp", error_rate=1.0, routes=[CREATE]),
    )
    try:
        with pytest.raises(WorkflowFailed, match="reservation was released, nothing ordered"):
            await orders.submit(request(picker.account(), sku, 3), "erp-down-1")
        assert healthy.available(sku) == before
        assert await orders.journal.unfinished() == []
        await healthy.afaults("erp")
        # The key was let go: the same submission goes through once the ERP is back.
        orders.submissions.after_step = None
        result = await orders.submit(request(picker.account(), sku, 3), "erp-down-1")
        assert result.outcome is Outcome.CONFIRMED
        assert healthy.available(sku)["EWR1"] == before["EWR1"] - 3
    finally:
        await orders.aclose()


async def test_erp_down_after_the_reservation_keeps_the_key_until_it_is_settled(
    healthy: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    """A 503 leaves open whether the ERP entered the order, and the ERP cannot be asked: the
    stock goes back at once, but the key stays claimed (a retry hears IN_PROGRESS) until the
    recovery sweep has settled the ERP side; then a retry goes through, once."""
    sku = picker.stocked()
    before = healthy.available(sku)
    cache = MemoryCache()
    journal = tmp_path / "journal.sqlite3"
    orders = service(healthy, journal, cache, fail_after(healthy, "reserve", "erp"))
    try:
        with pytest.raises(WorkflowFailed, match="cancelled when it recovers"):
            await orders.submit(request(picker.account(), sku, 3), "erp-down-2")
        assert healthy.available(sku) == before
        [waiting] = await orders.journal.unfinished()
        assert waiting.data["compensating"] is True
        await healthy.afaults("erp")
        orders.submissions.after_step = None
        early = await orders.submit(request(picker.account(), sku, 3), "erp-down-2")
        assert early.outcome is Outcome.REJECTED
        assert [e.code for e in early.user_errors] == ["IN_PROGRESS"]
        assert healthy.available(sku) == before  # the early retry wrote nothing

        [ended] = await orders.sweep(stale_after=0.0)
        assert (ended.id, ended.status) == (waiting.id, "COMPENSATED")
        assert await entered(healthy, waiting.id) is None
        result = await orders.submit(request(picker.account(), sku, 3), "erp-down-2")
        assert result.outcome is Outcome.CONFIRMED
        replay = await orders.submit(request(picker.account(), sku, 3), "erp-down-2")
        assert replay.order_id == result.order_id
        assert healthy.available(sku)["EWR1"] == before["EWR1"] - 3
    finally:
        await orders.aclose()


async def test_a_retry_after_an_uncertain_create_makes_no_second_order(
    healthy: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    """The reviewer's case: the create times out yet lands, and the look-up by external id
    times out as well. A retry under the same key must not make a second open order: it hears
    IN_PROGRESS until the sweep cancels the first order, then makes exactly one."""
    sku, account = picker.stocked(), picker.account()
    before = healthy.available(sku)
    settings = healthy.settings.model_copy(update={"system_timeout_seconds": 0.5})
    slow = fault_after(
        healthy, "reserve", "erp", latency_ms=800, routes=[CREATE, "GET /salesOrders"]
    )
    orders = service(healthy, tmp_path / "journal.sqlite3", MemoryCache(), slow, settings=settings)
    try:
        with pytest.raises(WorkflowFailed, match="cancelled when it recovers"):
            await orders.submit(request(account, sku, 2), "uncertain-1")
        [first] = await orders.journal.unfinished()
        await healthy.afaults("erp")
        orders.submissions.after_step = None
        # The first create lands in the ERP after its caller gave up.
        await wait_until_async(lambda: _entered(healthy, first.id), what="the late create")
        retry = await orders.submit(request(account, sku, 2), "uncertain-1")
        assert [e.code for e in retry.user_errors] == ["IN_PROGRESS"]

        await orders.sweep(stale_after=0.0)
        late = await entered(healthy, first.id)
        assert late is not None and late["custbody_status"] == "CANCELLED"
        result = await orders.submit(request(account, sku, 2), "uncertain-1")
        assert result.outcome is Outcome.CONFIRMED
        again = await orders.submit(request(account, sku, 2), "uncertain-1")
        assert again.order_id == result.order_id
        assert open_orders_since(healthy, account, first.id) == [result.order_id]
        assert healthy.available(sku)["EWR1"] == before["EWR1"] - 2
    finally:
        await orders.aclose()


async def _entered(own: OwnSystems, external_id: str) -> bool:
    return await entered(own, external_id) is not None


def open_orders_since(own: OwnSystems, account: str, first_external_id: str) -> list[str]:
    """The open orders of ``account`` numbered after the one entered as ``first_external_id``."""
    response = httpx.get(
        f"{own.urls['erp']}/salesOrders",
        params={
            "customerExternalIds": account,
            "status": "SUBMITTED,ON_HOLD,CONFIRMED",
            "limit": 200,
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    first = httpx.get(
        f"{own.urls['erp']}/salesOrders", params={"externalIds": first_external_id}, timeout=10
    ).json()["items"][0]
    return sorted(
        str(x["internalId"])
        for x in response.json()["items"]
        if int(x["internalId"]) > int(first["internalId"])
    )


async def test_an_order_the_erp_entered_after_timing_out_is_cancelled(
    healthy: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    """The create outlives the client's timeout and lands after it: the compensation finds the
    order by its external id and cancels it, so no open order is left behind."""
    sku = picker.stocked()
    before = healthy.available(sku)
    timeout = 0.5
    settings = healthy.settings.model_copy(update={"system_timeout_seconds": timeout})
    slow_create = fault_after(healthy, "reserve", "erp", latency_ms=800, routes=[CREATE])
    orders = OrdersService(
        Systems.from_settings(settings.workflows),
        SqliteJournal(tmp_path / "journal.sqlite3"),
        MemoryCache(),
        retention_seconds=600,
        priority=["ORD1", "ATL1", "EWR1", "RNO1"],
        after_step=slow_create,
    )
    try:
        with pytest.raises(WorkflowFailed, match="the order the erp entered was cancelled"):
            await orders.submit(request(picker.account(), sku, 3), "erp-timeout-1")
        [state] = journaled(tmp_path / "journal.sqlite3")
        assert state.status == "COMPENSATED"
        order = await entered(healthy, state.id)
        assert order is not None
        assert order["custbody_status"] == "CANCELLED"
        assert healthy.available(sku) == before
        await healthy.afaults("erp")
        orders.submissions.after_step = None
        result = await orders.submit(request(picker.account(), sku, 3), "erp-timeout-1")
        assert result.outcome is Outcome.CONFIRMED
        assert healthy.available(sku)["EWR1"] == before["EWR1"] - 3
    finally:
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
        fault_after(healthy, "create_order", "wms", error_rate=1.0, routes=[RELEASE]),
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


async def test_a_lost_release_answer_is_asked_again_not_held(
    healthy: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    """The WMS releases but its answer is lost (slower than the client waits): the order is
    not held while the WMS ships it; the release is found and the order CONFIRMED."""
    sku = picker.stocked()
    before = healthy.available(sku)
    settings = healthy.settings.model_copy(update={"system_timeout_seconds": 0.5})
    slow = fault_after(healthy, "create_order", "wms", latency_ms=800, routes=[RELEASE])
    orders = service(healthy, tmp_path / "journal.sqlite3", MemoryCache(), slow, settings=settings)
    try:
        result = await orders.submit(request(picker.account(), sku, 2), "wms-lost-1")
        assert (result.outcome, result.hold_reason) == (Outcome.CONFIRMED, None)
        assert result.order_id is not None
        assert erp_order(healthy, result.order_id)["custbody_status"] == "CONFIRMED"
        [state] = journaled(tmp_path / "journal.sqlite3")
        assert state.status == "COMPLETED" and state.data["fulfillmentOrders"]
        assert fulfillment_orders(healthy, result.order_id) == state.data["fulfillmentOrders"]
        assert healthy.available(sku)["EWR1"] == before["EWR1"] - 2
    finally:
        await orders.aclose()


async def test_wms_unreachable_at_release_is_completed_by_the_sweep(
    healthy: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    """Whether the WMS released cannot be told: no hold; the key answers IN_PROGRESS until the
    sweep releases the order, then the first result (CONFIRMED) for good."""
    sku = picker.stocked()
    before = healthy.available(sku)
    orders = service(
        healthy,
        tmp_path / "journal.sqlite3",
        MemoryCache(),
        fail_after(healthy, "create_order", "wms"),
    )
    try:
        with pytest.raises(WorkflowFailed, match="completed when the wms recovers"):
            await orders.submit(request(picker.account(), sku, 2), "wms-down-2")
        waiting = await orders.submit(request(picker.account(), sku, 2), "wms-down-2")
        assert [e.code for e in waiting.user_errors] == ["IN_PROGRESS"]
        await healthy.afaults("wms")
        orders.submissions.after_step = None
        [ended] = await orders.sweep(stale_after=0.0)
        assert ended.status == "COMPLETED"
        result = await orders.submit(request(picker.account(), sku, 2), "wms-down-2")
        assert result.outcome is Outcome.CONFIRMED and result.order_id is not None
        assert erp_order(healthy, result.order_id)["custbody_status"] == "CONFIRMED"
        assert len(fulfillment_orders(healthy, result.order_id)) == 1
        assert healthy.available(sku)["EWR1"] == before["EWR1"] - 2
    finally:
        await orders.aclose()


def fulfillment_orders(own: OwnSystems, order_id: str) -> list[str]:
    response = httpx.get(
        f"{own.urls['wms']}/fulfillment-orders", params={"order_refs": order_id}, timeout=10
    )
    assert response.status_code == 200, response.text
    return [str(x["fulfillment_order_no"]) for x in response.json()["data"]]


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
    # The stock went back; whether the ERP entered the order is checked at the next start.
    assert (ended.status, ended.data["compensating"]) == ("RUNNING", True)
    assert healthy.available(sku) == before
    await second.aclose()

    await healthy.afaults("erp")
    third = service(healthy, journal, cache)
    [ended] = await third.recovered()
    assert ended.status == "COMPENSATED"
    assert await entered(healthy, ended.id) is None
    await third.aclose()


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
            Systems.from_settings(healthy.settings.workflows),
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


async def test_a_compensation_cut_short_is_finished_by_recovery_never_redone(
    healthy: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    """The order the ERP entered late is cancelled, then the WMS fails to release the stock:
    recovery finishes the compensation, and does not enter the order again."""
    sku = picker.stocked()
    before = healthy.available(sku)
    cache = MemoryCache()
    journal = tmp_path / "journal.sqlite3"
    settings = healthy.settings.model_copy(update={"system_timeout_seconds": 0.5})

    async def break_both(finished: str, state: WorkflowState) -> None:
        if finished == "reserve":
            await healthy.afaults("erp", latency_ms=800, routes=[CREATE])
            await healthy.afaults("wms", error_rate=1.0, routes=[UNRESERVE])

    def replica(hook: Hook | None = None) -> OrdersService:
        return OrdersService(
            Systems.from_settings(settings.workflows),
            SqliteJournal(journal),
            cache,
            retention_seconds=600,
            priority=["ORD1", "ATL1", "EWR1", "RNO1"],
            after_step=hook,
        )

    first, restarted = replica(break_both), replica()
    try:
        with pytest.raises(SystemCallError):
            await first.submit(request(picker.account(), sku, 2), "cut-short-1")
        [waiting] = await first.journal.unfinished()
        assert waiting.data["compensating"] is True
        assert healthy.available(sku)["EWR1"] == before["EWR1"] - 2
        order = await entered(healthy, waiting.id)
        assert order is not None
        assert order["custbody_status"] == "CANCELLED"
        await healthy.afaults("erp")
        await healthy.afaults("wms")

        [ended] = await restarted.recovered()
        assert (ended.id, ended.status) == (waiting.id, "COMPENSATED")
        assert "create_order" not in ended.steps
        assert healthy.available(sku) == before
        still = await entered(healthy, waiting.id)
        assert still is not None
        assert still["custbody_status"] == "CANCELLED"
        # The key was let go with the compensation: a retry submits anew.
        result = await restarted.submit(request(picker.account(), sku, 2), "cut-short-1")
        assert result.outcome is Outcome.CONFIRMED
    finally:
        await first.aclose()
        await restarted.aclose()
