"""Who did it, as the ERP records it: the submitter of an order, who cancelled lines of it, who
asked for a return and who recorded its receipt. Each test writes to an ERP of its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from crossdock.settings import Settings
from systems.world_records import World
from tests.support.rest import ok, refused
from tests.systems.harness import private_system
from tests.systems.test_erp_writes_orders import order_body, products
from tests.systems.test_erp_writes_returns import ra_body, shipped_order


@pytest.fixture
def erp(base_settings: Settings, tmp_path: Path) -> Iterator[httpx.Client]:
    with private_system("erp", base_settings, tmp_path) as client:
        yield client


def test_an_order_shows_who_submitted_it_and_who_cancelled(erp: httpx.Client, world: World) -> None:
    body = order_body(world, custbody_submitted_by="auth0|customer-7")
    order = ok(erp.post("/salesOrders", json=body), 201)
    assert order["custbody_submitted_by"] == "auth0|customer-7"
    assert order["custbody_cancelled_by"] is None
    shown = ok(erp.get(f"/salesOrders/{order['internalId']}"))
    assert shown["custbody_submitted_by"] == "auth0|customer-7"
    cancel = {"requestId": "x-1", "lines": [1], "cancelledBy": "staff-3"}
    ok(erp.post(f"/salesOrders/{order['internalId']}/cancel", json=cancel))
    after = ok(erp.get(f"/salesOrders/{order['internalId']}"))
    assert (after["custbody_submitted_by"], after["custbody_cancelled_by"]) == (
        "auth0|customer-7",
        "staff-3",
    )


def test_a_retry_by_another_name_is_the_same_write_and_keeps_the_first(
    erp: httpx.Client, world: World
) -> None:
    first = ok(erp.post("/salesOrders", json=order_body(world, custbody_submitted_by="a")), 201)
    again = ok(erp.post("/salesOrders", json=order_body(world, custbody_submitted_by="b")))
    assert again == first
    assert ok(erp.get(f"/salesOrders/{first['internalId']}"))["custbody_submitted_by"] == "a"
    # What was asked still counts: another body under the same id is a conflict.
    other = order_body(world, otherRefNum="PO-other", custbody_submitted_by="a")
    refused(erp.post("/salesOrders", json=other), 409, "IDEMPOTENCY_CONFLICT")


def test_seeded_orders_and_callers_that_say_nothing_record_no_one(
    erp: httpx.Client, world: World
) -> None:
    seeded = ok(erp.get(f"/salesOrders/{world.orders[0].id}"))
    assert (seeded["custbody_submitted_by"], seeded["custbody_cancelled_by"]) == (None, None)
    order = ok(erp.post("/salesOrders", json=order_body(world, key="quiet")), 201)
    assert order["custbody_submitted_by"] is None
    refused(erp.post("/salesOrders", json=order_body(world, key="e", custbody_submitted_by="")),
            422, "INVALID_PARAMETER")  # fmt: skip


def test_a_return_shows_who_asked_and_who_received(erp: httpx.Client, world: World) -> None:
    order = shipped_order(erp, world)
    sku = products(world)[0].sku
    body = {**ra_body(order, sku, 1), "custbody_requested_by": "customer-9"}
    ra = ok(erp.post("/returnAuthorizations", json=body), 201)
    assert (ra["custbody_requested_by"], ra["custbody_received_by"]) == ("customer-9", None)
    receipt = {
        "requestId": "rcv-1",
        "items": [{"item": {"refName": sku}, "quantityReceived": 1}],
        "receivedBy": "dock-2",
    }
    received = ok(erp.post(f"/returnAuthorizations/{ra['internalId']}/receive", json=receipt))
    assert (received["custbody_requested_by"], received["custbody_received_by"]) == (
        "customer-9",
        "dock-2",
    )
    # The returns consumer records the same receipt without a name: the same write.
    quiet = {k: v for k, v in receipt.items() if k != "receivedBy"}
    assert ok(erp.post(f"/returnAuthorizations/{ra['internalId']}/receive", json=quiet)) == (
        received
    )
