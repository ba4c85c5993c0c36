"""ERP billing and returns over HTTP: invoices per shipment, return authorizations, receipt
and credit memos. Each test writes to an ERP of its own (see test_erp_writes_orders)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from crossdock.settings import Settings
from systems.world_records import World
from tests.support.rest import ok, refused
from tests.systems.harness import CONCURRENT_CLIENTS, concurrently, private_system
from tests.systems.test_erp_writes_orders import (
    order_body,
    products,
)


@pytest.fixture
def erp(base_settings: Settings, tmp_path: Path) -> Iterator[httpx.Client]:
    with private_system("erp", base_settings, tmp_path) as client:
        yield client


def lines(*pairs: tuple[str, int], **extra: Any) -> list[dict[str, Any]]:
    return [{"item": {"refName": sku}, "quantity": qty, **extra} for sku, qty in pairs]


def shipped_order(erp: httpx.Client, world: World, shipment: str = "SH-T1") -> dict[str, Any]:
    """A new order whose first line (3 units) has shipped and been invoiced."""
    order = ok(erp.post("/salesOrders", json=order_body(world)), 201)
    sku = products(world)[0].sku
    body = {"externalId": shipment, "createdFrom": {"internalId": order["internalId"]},
            "items": lines((sku, 3))}  # fmt: skip
    ok(erp.post("/invoices", json=body), 201)
    shipped: dict[str, Any] = order
    return shipped


def test_an_invoice_bills_one_shipment_once(erp: httpx.Client, world: World) -> None:
    order = ok(erp.post("/salesOrders", json=order_body(world)), 201)
    sku = products(world)[0].sku
    body = {"externalId": "SH-NEW", "createdFrom": {"internalId": order["internalId"]},
            "items": lines((sku, 2))}  # fmt: skip
    invoice = ok(erp.post("/invoices", json=body), 201)
    assert invoice["tranId"] == f"INV-{100000 + len(world.invoices) + 1}"
    assert invoice["custbody_shipment_id"] == "SH-NEW" and invoice["status"] == "Open"
    assert (invoice["subtotal"], invoice["amountRemaining"]) == ("20.50", invoice["total"])
    assert invoice["item"]["items"][0]["line"] == 1
    assert ok(erp.post("/invoices", json=body)) == invoice
    refused(erp.post("/invoices", json={**body, "items": lines((sku, 1))}), 409,
            "IDEMPOTENCY_CONFLICT")  # fmt: skip
    billed = ok(erp.get(f"/salesOrders/{order['internalId']}"))
    assert billed["item"]["items"][0]["quantityBilled"] == 2
    assert billed["amountBilled"] == invoice["total"] and billed["status"] == "Partially Fulfilled"
    listed = ok(erp.get("/invoices", params={"orderIds": order["internalId"]}))["items"]
    assert listed == [invoice]


def test_invoice_refusals_change_nothing(erp: httpx.Client, world: World) -> None:
    order = ok(erp.post("/salesOrders", json=order_body(world)), 201)
    sku = products(world)[0].sku
    ref = {"internalId": order["internalId"]}
    too_many = {"externalId": "SH-X", "createdFrom": ref, "items": lines((sku, 4))}
    refused(erp.post("/invoices", json=too_many), 409, "QUANTITY_EXCEEDS_UNBILLED")
    stranger = {"externalId": "SH-X", "createdFrom": ref, "items": lines(("SKU-NOPE", 1))}
    refused(erp.post("/invoices", json=stranger), 422, "INVALID_PARAMETER")
    nowhere = {"externalId": "SH-X", "createdFrom": {"internalId": "1"}, "items": lines((sku, 1))}
    refused(erp.post("/invoices", json=nowhere), 422, "INVALID_PARAMETER")
    assert ok(erp.get("/invoices", params={"orderIds": order["internalId"]}))["items"] == []
    assert ok(erp.get(f"/salesOrders/{order['internalId']}")) == order


def test_a_seeded_shipment_answers_its_seeded_invoice(erp: httpx.Client, world: World) -> None:
    seeded = world.invoices[0]
    body = {"externalId": seeded.shipment_id, "createdFrom": {"internalId": seeded.order_id},
            "items": lines(*((x.sku, x.quantity) for x in seeded.lines))}  # fmt: skip
    assert ok(erp.post("/invoices", json=body))["internalId"] == seeded.id
    other = {**body, "items": lines((seeded.lines[0].sku, seeded.lines[0].quantity + 1))}
    refused(erp.post("/invoices", json=other), 409, "IDEMPOTENCY_CONFLICT")


def test_concurrent_invoices_of_one_shipment_make_one(erp: httpx.Client, world: World) -> None:
    order = ok(erp.post("/salesOrders", json=order_body(world)), 201)
    body = {"externalId": "SH-RACE", "createdFrom": {"internalId": order["internalId"]},
            "items": lines((products(world)[0].sku, 1))}  # fmt: skip
    answers = concurrently(erp, CONCURRENT_CLIENTS, lambda c: c.post("/invoices", json=body))
    assert sorted(a.status_code for a in answers) == [200] * (CONCURRENT_CLIENTS - 1) + [201]
    assert len(ok(erp.get("/invoices", params={"orderIds": order["internalId"]}))["items"]) == 1


def ra_body(order: dict[str, Any], sku: str, qty: int, key: str = "ra-1") -> dict[str, Any]:
    return {"externalId": key, "createdFrom": {"internalId": order["internalId"]},
            "items": lines((sku, qty), reason="DAMAGED")}  # fmt: skip


def test_return_is_authorized_within_what_was_billed(erp: httpx.Client, world: World) -> None:
    order = shipped_order(erp, world)
    sku = products(world)[0].sku
    ra = ok(erp.post("/returnAuthorizations", json=ra_body(order, sku, 2)), 201)
    assert ra["custbody_status"] == "AUTHORIZED" and ra["status"] == "Pending Receipt"
    assert ra["tranId"] == f"RMA-{100000 + len(world.return_authorizations) + 1}"
    assert ra["location"] == {"refName": "EWR1"} and ra["custbody_decline_reason"] is None
    assert ok(erp.post("/returnAuthorizations", json=ra_body(order, sku, 2))) == ra
    refused(erp.post("/returnAuthorizations", json=ra_body(order, sku, 1)), 409,
            "IDEMPOTENCY_CONFLICT")  # fmt: skip
    # Billed 3, authorized 2: one more is returnable, two are not.
    second = ok(erp.post("/returnAuthorizations", json=ra_body(order, sku, 2, "ra-2")), 201)
    assert second["custbody_status"] == "DECLINED"
    assert second["custbody_decline_reason"] == "QUANTITY_EXCEEDS_RETURNABLE"
    third = ok(erp.post("/returnAuthorizations", json=ra_body(order, sku, 1, "ra-3")), 201)
    assert third["custbody_status"] == "AUTHORIZED"
    listed = ok(erp.get("/returnAuthorizations", params={"orderIds": order["internalId"]}))
    assert [x["internalId"] for x in listed["items"]] == [
        ra["internalId"],
        second["internalId"],
        third["internalId"],
    ]


def test_returns_are_declined_with_a_reason(erp: httpx.Client, world: World) -> None:
    unshipped = ok(erp.post("/salesOrders", json=order_body(world)), 201)
    sku = products(world)[0].sku
    declined = ok(erp.post("/returnAuthorizations", json=ra_body(unshipped, sku, 1)), 201)
    assert declined["custbody_decline_reason"] == "ORDER_NOT_SHIPPED"
    assert declined["status"] == "Cancelled"
    old = min(world.invoices, key=lambda i: i.issued_at)
    assert old.issued_at < world.anchor - timedelta(days=90)
    body = {"externalId": "ra-old", "createdFrom": {"internalId": old.order_id},
            "items": lines((old.lines[0].sku, 1), reason="DEFECTIVE")}  # fmt: skip
    expired = ok(erp.post("/returnAuthorizations", json=body), 201)
    assert expired["custbody_decline_reason"] == "RETURN_WINDOW_EXPIRED"
    stranger = ra_body(unshipped, "SKU-NOPE", 1, "ra-x")
    refused(erp.post("/returnAuthorizations", json=stranger), 422, "INVALID_PARAMETER")
    bad_reason = {**ra_body(unshipped, sku, 1, "ra-y"), "items": lines((sku, 1), reason="MEH")}
    refused(erp.post("/returnAuthorizations", json=bad_reason), 422, "INVALID_PARAMETER")


def test_receipt_then_credit_memo_credits_the_order(erp: httpx.Client, world: World) -> None:
    order = shipped_order(erp, world)
    sku = products(world)[0].sku
    ra = ok(erp.post("/returnAuthorizations", json=ra_body(order, sku, 2)), 201)
    memo_body = {"externalId": "cm-1", "createdFrom": {"internalId": ra["internalId"]},
                 "items": lines((sku, 2))}  # fmt: skip
    refused(erp.post("/creditMemos", json=memo_body), 409, "NOT_RECEIVED")
    receive = f"/returnAuthorizations/{ra['internalId']}/receive"
    too_many = {"requestId": "rcv-0", "items": [{"item": {"refName": sku}, "quantityReceived": 3}]}
    refused(erp.post(receive, json=too_many), 409, "QUANTITY_EXCEEDS_AUTHORIZED")
    receipt = {"requestId": "rcv-1", "items": [{"item": {"refName": sku}, "quantityReceived": 2}]}
    received = ok(erp.post(receive, json=receipt))
    assert received["custbody_status"] == "RECEIVED" and received["status"] == "Pending Refund"
    assert received["item"]["items"][0]["quantityReceived"] == 2
    assert ok(erp.post(receive, json=receipt)) == received
    refused(erp.post(receive, json={**receipt, "requestId": "rcv-2"}), 409, "ALREADY_RECEIVED")
    refused(erp.post("/creditMemos", json={**memo_body, "items": lines((sku, 3))}), 409,
            "QUANTITY_EXCEEDS_RECEIVED")  # fmt: skip
    memo = ok(erp.post("/creditMemos", json=memo_body), 201)
    tax = (Decimal("20.50") * Decimal(order["taxRate"])).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert (memo["subtotal"], memo["taxTotal"]) == ("20.50", str(tax))
    assert memo["createdFrom"]["internalId"] == ra["internalId"]
    assert memo["tranId"] == f"CM-{100000 + len(world.credit_memos) + 1}"
    assert ok(erp.post("/creditMemos", json=memo_body)) == memo
    again = {**memo_body, "externalId": "cm-2"}
    refused(erp.post("/creditMemos", json=again), 409, "ALREADY_CREDITED")
    credited = ok(erp.get(f"/returnAuthorizations/{ra['internalId']}"))
    assert credited["custbody_status"] == "CREDITED" and credited["status"] == "Refunded"
    after = ok(erp.get(f"/salesOrders/{order['internalId']}"))
    assert after["amountCredited"] == memo["total"]


def _received(sku: str, qty: int, key: str) -> dict[str, Any]:
    return {"requestId": key, "items": [{"item": {"refName": sku}, "quantityReceived": qty}]}


def test_a_return_received_in_parts_is_credited_per_part(erp: httpx.Client, world: World) -> None:
    order = shipped_order(erp, world)
    sku = products(world)[0].sku
    ra = ok(erp.post("/returnAuthorizations", json=ra_body(order, sku, 3)), 201)
    receive = f"/returnAuthorizations/{ra['internalId']}/receive"
    part = ok(erp.post(receive, json=_received(sku, 1, "rcv-a")))
    assert (part["custbody_status"], part["status"]) == ("PARTIALLY_RECEIVED", "Partially Received")
    assert part["item"]["items"][0]["quantityReceived"] == 1
    assert ok(erp.post(receive, json=_received(sku, 1, "rcv-a"))) == part
    memo = {"createdFrom": {"internalId": ra["internalId"]}}
    # Only what came back is credited, and only once.
    refused(erp.post("/creditMemos", json={**memo, "externalId": "cm-a", "items": lines((sku, 2))}),
            409, "QUANTITY_EXCEEDS_RECEIVED")  # fmt: skip
    first = ok(erp.post("/creditMemos", json={**memo, "externalId": "cm-a",
                                              "items": lines((sku, 1))}), 201)  # fmt: skip
    assert first["subtotal"] == "10.25"
    refused(erp.post("/creditMemos", json={**memo, "externalId": "cm-x", "items": lines((sku, 1))}),
            409, "QUANTITY_EXCEEDS_RECEIVED")  # fmt: skip
    assert ok(erp.get(f"/returnAuthorizations/{ra['internalId']}"))["custbody_status"] == (
        "PARTIALLY_RECEIVED"
    )
    # The rest: at most what is still awaited (2), and then the return is received in full.
    refused(erp.post(receive, json=_received(sku, 3, "rcv-b")), 409, "QUANTITY_EXCEEDS_AUTHORIZED")
    rest = ok(erp.post(receive, json=_received(sku, 2, "rcv-b")))
    assert rest["custbody_status"] == "RECEIVED"
    assert rest["item"]["items"][0]["quantityReceived"] == 3
    refused(erp.post(receive, json=_received(sku, 1, "rcv-c")), 409, "ALREADY_RECEIVED")
    second = ok(erp.post("/creditMemos", json={**memo, "externalId": "cm-b",
                                               "items": lines((sku, 2))}), 201)  # fmt: skip
    assert second["subtotal"] == "20.50"
    done = ok(erp.get(f"/returnAuthorizations/{ra['internalId']}"))
    assert done["custbody_status"] == "CREDITED"
    after = ok(erp.get(f"/salesOrders/{order['internalId']}"))
    credited = Decimal(first["total"]) + Decimal(second["total"])
    assert Decimal(after["amountCredited"]) == credited


def test_receiving_a_declined_return_is_refused(erp: httpx.Client, world: World) -> None:
    unshipped = ok(erp.post("/salesOrders", json=order_body(world)), 201)
    sku = products(world)[0].sku
    declined = ok(erp.post("/returnAuthorizations", json=ra_body(unshipped, sku, 1)), 201)
    receipt = {"requestId": "rcv", "items": [{"item": {"refName": sku}, "quantityReceived": 1}]}
    path = f"/returnAuthorizations/{declined['internalId']}/receive"
    refused(erp.post(path, json=receipt), 409, "NOT_AUTHORIZED")
    refused(erp.post("/returnAuthorizations/1/receive", json=receipt), 404, "NOT_FOUND")
    assert ok(erp.get(f"/returnAuthorizations/{declined['internalId']}")) == declined
