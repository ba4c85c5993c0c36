"""Cancellations and returns move forward only: a failure after a write is finished later."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from cache.memory import MemoryCache
from crossdock.settings import SystemName
from resolvers.cancel import CancelRequest
from resolvers.journal import SqliteJournal, WorkflowState
from resolvers.records import LineRequest, OrderRequest, ShipTo
from resolvers.service import OrdersService
from resolvers.submit import StepHook, WorkflowFailed
from resolvers.systems import Systems
from subgraphs.common.types import Region
from systems.world_records import World
from tests.orchestration.picks import Picker
from tests.resolvers.conftest import OwnSystems

NEWARK = ShipTo("1 Raymond Plaza", "Newark", "NJ", "07105", "US", Region.NORTHEAST)


def service(own: OwnSystems, journal: Path, hook: StepHook | None = None) -> OrdersService:
    return OrdersService(
        Systems.from_settings(own.settings.workflows),
        SqliteJournal(journal),
        MemoryCache(),
        retention_seconds=600,
        priority=["ORD1", "ATL1", "EWR1", "RNO1"],
        after_step=hook,
    )


def fail_after(
    own: OwnSystems, step: str, system: SystemName, routes: list[str] | None = None
) -> StepHook:
    async def hook(finished: str, state: WorkflowState) -> None:
        if finished == step:
            await own.afaults(system, error_rate=1.0, routes=routes)

    return hook


@pytest.fixture
async def healthy(own_systems: OwnSystems) -> AsyncIterator[OwnSystems]:
    yield own_systems
    systems: tuple[SystemName, ...] = ("crm", "erp", "wms")
    for system in systems:
        await own_systems.afaults(system)


def erp(own: OwnSystems, path: str) -> dict[str, object]:
    body: dict[str, object] = httpx.get(f"{own.urls['erp']}{path}", timeout=10).json()
    return body


async def test_a_cancellation_the_erp_missed_is_finished_on_recovery(
    healthy: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.sqlite3"
    orders = service(healthy, journal)
    sku = picker.stocked()
    submitted = await orders.submit(
        OrderRequest(picker.account(), (LineRequest(sku, 2),), NEWARK), "fr-submit-1"
    )
    assert submitted.order_id is not None
    orders.cancellations.after_step = fail_after(healthy, "cancel_fulfillment", "erp")
    with pytest.raises(WorkflowFailed, match="will be cancelled in the ERP"):
        await orders.cancel(CancelRequest(submitted.order_id, None, "test"), "fr-cancel-1")
    await orders.aclose()
    await healthy.afaults("erp")
    assert erp(healthy, f"/salesOrders/{submitted.order_id}")["custbody_status"] == "CONFIRMED"

    restarted = service(healthy, journal)
    [ended] = [s for s in await restarted.recovered() if s.kind == "cancelOrder"]
    assert ended.status == "COMPLETED"
    assert erp(healthy, f"/salesOrders/{submitted.order_id}")["custbody_status"] == "CANCELLED"
    await restarted.aclose()


async def test_a_cancellation_whose_wms_answer_is_lost_is_asked_again_not_dropped(
    healthy: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    """The WMS cancels the fulfillment but its answer is lost: the workflow is kept (its key
    answers IN_PROGRESS), and the sweep asks the WMS again with the same request id (a replay)
    and cancels the order in the ERP, which is not left open for good."""
    journal = tmp_path / "journal.sqlite3"
    settings = healthy.settings.model_copy(update={"system_timeout_seconds": 0.5})
    orders = OrdersService(
        Systems.from_settings(settings.workflows),
        SqliteJournal(journal),
        MemoryCache(),
        retention_seconds=600,
        priority=["ORD1", "ATL1", "EWR1", "RNO1"],
        claim_wait_seconds=0.2,
    )
    sku = picker.stocked()
    before = healthy.available(sku)
    try:
        submitted = await orders.submit(
            OrderRequest(picker.account(), (LineRequest(sku, 2),), NEWARK), "fr-submit-lost"
        )
        assert submitted.order_id is not None
        cancel = CancelRequest(submitted.order_id, None, "test")
        await healthy.afaults("wms", latency_ms=800, routes=["POST /fulfillment-orders/cancel"])
        with pytest.raises(WorkflowFailed, match="completed when the wms recovers"):
            await orders.cancel(cancel, "fr-cancel-lost")
        # The WMS did cancel (the answer, not the work, was held back).
        assert healthy.available(sku) == before
        assert erp(healthy, f"/salesOrders/{submitted.order_id}")["custbody_status"] == "CONFIRMED"
        waiting = await orders.cancel(cancel, "fr-cancel-lost")
        assert [e.code for e in waiting.user_errors] == ["IN_PROGRESS"]

        await healthy.afaults("wms")
        [ended] = await orders.sweep(stale_after=0.0)
        assert (ended.kind, ended.status) == ("cancelOrder", "COMPLETED")
        assert erp(healthy, f"/salesOrders/{submitted.order_id}")["custbody_status"] == "CANCELLED"
        result = await orders.cancel(cancel, "fr-cancel-lost")
        assert (result.user_errors, result.cancelled_skus) == ((), (sku,))
        assert healthy.available(sku) == before
    finally:
        await orders.aclose()


async def test_a_return_the_wms_did_not_hear_of_is_announced_on_recovery(
    healthy: OwnSystems, world: World, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    recent = {i.order_id for i in world.invoices if i.issued_at > now - timedelta(days=60)}
    returned = {ra.order_id for ra in world.return_authorizations}
    order = next(o for o in world.orders if o.id in recent and o.id not in returned)
    journal = tmp_path / "journal.sqlite3"
    orders = service(healthy, journal, fail_after(healthy, "authorize", "wms"))
    body = {
        "orderId": order.id,
        "lines": [{"sku": order.lines[-1].sku, "quantity": 1, "reason": "DAMAGED"}],
    }
    with pytest.raises(WorkflowFailed, match="completed when it recovers"):
        await orders.request_return(body, "fr-return-1")
    await orders.aclose()

    await healthy.afaults("wms")
    restarted = service(healthy, journal)
    [ended] = [s for s in await restarted.recovered() if s.kind == "requestReturn"]
    assert ended.status == "COMPLETED"
    assert ended.steps[-1] == "expect"
    assert ended.result is not None
    assert ended.result["status"] == "AUTHORIZED"
    # The client asking again under its key gets the authorization.
    again = await restarted.request_return(body, "fr-return-1")
    assert (again.status, again.return_authorization_id) == ("AUTHORIZED", ended.data["ra"])
    await restarted.aclose()


async def test_cancelling_an_order_held_after_a_failed_release_frees_its_stock(
    healthy: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    sku = picker.stocked()
    before = healthy.available(sku)
    orders = service(
        healthy,
        tmp_path / "journal.sqlite3",
        # The release fails while the WMS can still say it released nothing: a hold.
        fail_after(healthy, "create_order", "wms", ["POST /fulfillment-orders/release"]),
    )
    held = await orders.submit(
        OrderRequest(picker.account(), (LineRequest(sku, 5),), NEWARK), "fr-held-1"
    )
    assert held.hold_reason == "MANUAL_REVIEW"
    assert held.order_id is not None
    await healthy.afaults("wms")
    assert healthy.available(sku)["EWR1"] == before["EWR1"] - 5
    result = await orders.cancel(CancelRequest(held.order_id, None, "test"), "fr-held-cancel")
    assert result.user_errors == ()
    assert healthy.available(sku) == before
    assert erp(healthy, f"/salesOrders/{held.order_id}")["custbody_status"] == "CANCELLED"
    await orders.aclose()
