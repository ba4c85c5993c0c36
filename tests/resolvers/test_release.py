"""releaseOrder over the real systems: a MANUAL_REVIEW hold lifted releases the order to the
distribution centers with the stock its submission reserved, once per key; a release cut short
between its writes is finished by recovery; a release the centers cannot fill changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from crossdock.settings import SystemName
from resolvers.authority import Forbidden
from resolvers.records import LineRequest, OrderRequest
from resolvers.service import OrdersService
from resolvers.submit import WorkflowFailed
from schema.actor import Actor
from systems.world_records import World
from tests.orchestration.picks import Picker
from tests.resolvers.conftest import OwnSystems
from tests.resolvers.test_forward_recovery import NEWARK, fail_after, service

RELEASE = "POST /fulfillment-orders/release"


@pytest.fixture
async def healthy(own_systems: OwnSystems) -> AsyncIterator[OwnSystems]:
    yield own_systems
    systems: tuple[SystemName, ...] = ("crm", "erp", "wms")
    for system in systems:
        await own_systems.afaults(system)


def erp_order(own: OwnSystems, order_id: str) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(f"{own.urls['erp']}/salesOrders/{order_id}").json()
    return body


def fulfillment(own: OwnSystems, order_id: str) -> list[tuple[str, str]]:
    """(facility, wave status) of each fulfillment order the WMS holds for ``order_id``."""
    answer = httpx.get(f"{own.urls['wms']}/fulfillment-orders", params={"order_refs": order_id})
    return sorted((x["facility_id"], x["wave_status"]) for x in answer.json()["data"])


async def held_order(
    own: OwnSystems, orders: OrdersService, picker: Picker, sku: str, key: str
) -> str:
    """Submit 5 of ``sku`` while the WMS refuses releases: held for review, stock reserved."""
    orders.submissions.after_step = fail_after(own, "create_order", "wms", [RELEASE])
    held = await orders.submit(OrderRequest(picker.account(), (LineRequest(sku, 5),), NEWARK), key)
    orders.submissions.after_step = None
    await own.afaults("wms")
    assert held.hold_reason == "MANUAL_REVIEW" and held.order_id is not None
    return held.order_id


async def test_a_held_order_released_ships_from_its_reservation(
    healthy: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    orders = service(healthy, tmp_path / "journal.sqlite3")
    sku = picker.stocked()
    before = healthy.available(sku)
    order_id = await held_order(healthy, orders, picker, sku, "rel-submit-1")
    assert fulfillment(healthy, order_id) == []
    assert healthy.available(sku)["EWR1"] == before["EWR1"] - 5

    released = await orders.release_order(order_id, "rel-1")

    assert released.user_errors == ()
    assert len(released.fulfillment_orders) == 1
    assert fulfillment(healthy, order_id) == [("EWR1", "RELEASED")]
    order = erp_order(healthy, order_id)
    assert (order["custbody_status"], order["custbody_hold_reason"]) == ("CONFIRMED", None)
    # The release took the reserved units: nothing more is allocated, nothing given back.
    assert healthy.available(sku)["EWR1"] == before["EWR1"] - 5
    # The same key answers the same release; another finds nothing held any more.
    assert await orders.release_order(order_id, "rel-1") == released
    again = await orders.release_order(order_id, "rel-2")
    assert [e.code for e in again.user_errors] == ["NOT_HELD_FOR_REVIEW"]
    assert fulfillment(healthy, order_id) == [("EWR1", "RELEASED")]
    await orders.aclose()


async def test_a_release_cut_short_before_the_erp_is_finished_on_recovery(
    healthy: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.sqlite3"
    orders = service(healthy, journal)
    sku = picker.stocked()
    order_id = await held_order(healthy, orders, picker, sku, "rel-submit-2")
    orders.releases.after_step = fail_after(
        healthy, "release", "erp", ["PATCH /salesOrders/{internal_id}"]
    )
    with pytest.raises(WorkflowFailed, match="will be confirmed in the ERP when it recovers"):
        await orders.release_order(order_id, "rel-crash")
    await orders.aclose()
    await healthy.afaults("erp")
    assert fulfillment(healthy, order_id) == [("EWR1", "RELEASED")]
    assert erp_order(healthy, order_id)["custbody_status"] == "ON_HOLD"

    restarted = service(healthy, journal)
    [ended] = [s for s in await restarted.recovered() if s.kind == "releaseOrder"]
    assert ended.status == "COMPLETED" and ended.steps[-1] == "confirm"
    assert erp_order(healthy, order_id)["custbody_status"] == "CONFIRMED"
    assert fulfillment(healthy, order_id) == [("EWR1", "RELEASED")]
    again = await restarted.release_order(order_id, "rel-crash")
    assert (
        again.user_errors == ()
        and list(again.fulfillment_orders) == ended.data["fulfillmentOrders"]
    )
    await restarted.aclose()


async def test_a_seeded_held_order_is_released_from_available_stock_or_stays_held(
    healthy: OwnSystems, world: World, tmp_path: Path
) -> None:
    """Orders held before the graph journaled them have no reservation: the release takes
    what the centers have, and one they cannot fill stays held, nothing changed."""
    orders = service(healthy, tmp_path / "journal.sqlite3")
    by_id = {o.id: o for o in world.orders}
    fillable, short = by_id["205062"], by_id["205035"]
    assert fillable.hold_reason == short.hold_reason == "MANUAL_REVIEW"
    [line] = fillable.lines
    before = healthy.available(line.sku)[line.center_id]

    released = await orders.release_order(fillable.id, "rel-seeded-1")

    assert released.user_errors == ()
    assert fulfillment(healthy, fillable.id) == [(line.center_id, "RELEASED")]
    assert healthy.available(line.sku)[line.center_id] == before - line.quantity
    assert erp_order(healthy, fillable.id)["custbody_status"] == "CONFIRMED"

    refused = await orders.release_order(short.id, "rel-seeded-2")

    assert [e.code for e in refused.user_errors] == ["INSUFFICIENT_INVENTORY"]
    assert fulfillment(healthy, short.id) == []
    order = erp_order(healthy, short.id)
    assert (order["custbody_status"], order["custbody_hold_reason"]) == ("ON_HOLD", "MANUAL_REVIEW")
    # Not held for review, or no order at all: refused, nothing asked of the WMS.
    confirmed = next(o for o in world.orders if o.status == "CONFIRMED")
    not_held = await orders.release_order(confirmed.id, "rel-seeded-3")
    assert [e.code for e in not_held.user_errors] == ["NOT_HELD_FOR_REVIEW"]
    missing = await orders.release_order("999999999", "rel-seeded-4")
    assert (missing.order_id, [e.code for e in missing.user_errors]) == (None, ["ORDER_NOT_FOUND"])
    await orders.aclose()


async def test_two_reviewers_releasing_at_once_release_the_order_once(
    healthy: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    orders = service(healthy, tmp_path / "journal.sqlite3")
    sku = picker.stocked()
    before = healthy.available(sku)
    order_id = await held_order(healthy, orders, picker, sku, "rel-submit-3")

    first, second = await asyncio.gather(
        orders.release_order(order_id, "rel-ann"), orders.release_order(order_id, "rel-bob")
    )

    released = [r for r in (first, second) if not r.user_errors]
    assert released, (first, second)
    assert {r.fulfillment_orders for r in released} == {released[0].fulfillment_orders}
    for other in (first, second):
        assert [e.code for e in other.user_errors] in ([], ["NOT_HELD_FOR_REVIEW"])
    assert fulfillment(healthy, order_id) == [("EWR1", "RELEASED")]
    assert healthy.available(sku)["EWR1"] == before["EWR1"] - 5
    assert erp_order(healthy, order_id)["custbody_status"] == "CONFIRMED"
    await orders.aclose()


async def test_a_customer_may_not_release_even_its_own_held_order(
    healthy: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    """Checked again below the gateway: a call reaching the orchestration directly is refused
    before anything is asked of a system or journaled."""
    orders = service(healthy, tmp_path / "journal.sqlite3")
    sku = picker.stocked()
    order_id = await held_order(healthy, orders, picker, sku, "rel-submit-4")
    account = erp_order(healthy, order_id)["entity"]["externalId"]
    customer = Actor(subject="portal-user", scopes=frozenset({"orders:write"}), account_id=account)
    with pytest.raises(Forbidden, match="releaseOrder needs the scope staff"):
        await orders.release_order(order_id, "rel-customer", customer)
    assert [s for s in await orders.journal.unfinished() if s.kind == "releaseOrder"] == []
    assert erp_order(healthy, order_id)["custbody_status"] == "ON_HOLD"
    assert fulfillment(healthy, order_id) == []
    await orders.aclose()
