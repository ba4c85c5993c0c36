"""ERP order writes over HTTP: entering, idempotency, status changes and cancelling lines.

Every test gets an ERP of its own over a copy of the seeded database, so the session's ERP
(and every test comparing with the seeded world) never sees these writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from crossdock.settings import Settings
from systems.world_names import TAX_RATES
from systems.world_records import AccountRecord, OrderRecord, ProductRecord, World
from tests.support.rest import ok, refused
from tests.systems.harness import CONCURRENT_CLIENTS, concurrently, private_system


@pytest.fixture
def erp(base_settings: Settings, tmp_path: Path) -> Iterator[httpx.Client]:
    with private_system("erp", base_settings, tmp_path) as client:
        yield client


def customer(world: World) -> AccountRecord:
    return next(a for a in world.accounts if a.active and not a.credit_hold)


def products(world: World, count: int = 2) -> list[ProductRecord]:
    return [p for p in world.products if p.active][:count]


def order_body(world: World, key: str = "ext-1", **changes: Any) -> dict[str, Any]:
    """A valid ``POST /salesOrders`` body: two lines, shipped to New Jersey."""
    first, second = products(world)
    body: dict[str, Any] = {
        "externalId": key,
        "entity": {"externalId": customer(world).id},
        "otherRefNum": "PO-4711",
        "shipAddress": {"addr1": "1 Dock St", "city": "Newark", "state": "NJ", "zip": "07105"},
        "custbody_requested_delivery": "2026-12-15",
        "custbody_promised_date": "2026-12-14",
        "custbody_status": "CONFIRMED",
        "item": {
            "items": [
                {"item": {"refName": first.sku}, "quantity": 3, "rate": "10.25",
                 "location": {"refName": "EWR1"}},
                {"item": {"refName": second.sku}, "quantity": 7, "rate": "3.99",
                 "location": {"refName": "ATL1"}},
            ]
        },
    }  # fmt: skip
    body.update(changes)
    return body


def order_count(erp: httpx.Client) -> int:
    total: int = ok(erp.get("/salesOrders", params={"limit": 1}))["totalResults"]
    return total


def exposure(erp: httpx.Client, account_id: str) -> Decimal:
    [found] = ok(erp.get("/customers", params={"externalIds": account_id}))["items"]
    return Decimal(found["unbilledOrders"])


def test_entered_order_is_priced_taxed_and_numbered(erp: httpx.Client, world: World) -> None:
    before = exposure(erp, customer(world).id)
    order = ok(erp.post("/salesOrders", json=order_body(world)), 201)
    last = world.orders[-1]
    assert order["internalId"] == str(int(last.id) + 1)
    assert order["tranId"] == f"SO-{int(last.number[3:]) + 1}"
    assert [x["amount"] for x in order["item"]["items"]] == ["30.75", "27.93"]
    tax = (Decimal("58.68") * TAX_RATES["NJ"]).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert (order["subtotal"], order["taxTotal"]) == ("58.68", str(tax))
    assert Decimal(order["total"]) == Decimal("58.68") + tax
    assert order["custbody_status"] == "CONFIRMED" and order["status"] == "Pending Fulfillment"
    assert order["shipAddress"]["custrecord_region"] == "NORTHEAST"
    assert order["entity"]["externalId"] == customer(world).id
    assert ok(erp.get(f"/salesOrders/{order['internalId']}")) == order
    assert ok(erp.get("/salesOrders", params={"tranIds": order["tranId"]}))["items"] == [order]
    assert ok(erp.get("/salesOrders", params={"ids": order["internalId"]}))["items"] == [order]
    listed = ok(erp.get("/salesOrders", params={"customerExternalIds": customer(world).id}))
    assert listed["items"][0] == order
    [group] = ok(erp.get("/salesOrders/byCustomer", params={"externalIds": customer(world).id}))[
        "items"
    ]
    assert group["items"][0] == order
    assert exposure(erp, customer(world).id) == before + Decimal(order["total"])


def test_a_line_without_rate_gets_the_customers_price(erp: httpx.Client, world: World) -> None:
    body = order_body(world)
    line = body["item"]["items"][0]
    del line["rate"]
    line["location"] = None
    order = ok(erp.post("/salesOrders", json=body), 201)
    [price] = ok(
        erp.get(
            "/prices",
            params={"customer": order["entity"]["internalId"], "skus": line["item"]["refName"],
                    "quantity": 3},
        )
    )["items"]  # fmt: skip
    first = order["item"]["items"][0]
    assert first["rate"] == price["unitPrice"] and first["location"] is None


def test_same_external_id_answers_the_same_order(erp: httpx.Client, world: World) -> None:
    first = ok(erp.post("/salesOrders", json=order_body(world)), 201)
    count = order_count(erp)
    assert ok(erp.post("/salesOrders", json=order_body(world))) == first
    same = order_body(world)
    same["item"]["items"][0]["rate"] = "10.250"  # the same rate, written otherwise
    assert ok(erp.post("/salesOrders", json=same)) == first
    other = order_body(world, otherRefNum="PO-other")
    refused(erp.post("/salesOrders", json=other), 409, "IDEMPOTENCY_CONFLICT")
    assert order_count(erp) == count


def test_orders_found_by_external_id(erp: httpx.Client, world: World) -> None:
    first = ok(erp.post("/salesOrders", json=order_body(world, "ext-a")), 201)
    second = ok(erp.post("/salesOrders", json=order_body(world, "ext-b")), 201)
    asked = {"externalIds": f"ext-b,ext-missing,{world.orders[0].id},ext-a"}
    answer = ok(erp.get("/salesOrders", params=asked))
    # Found records only, in the order asked, as GET /salesOrders/{id} shows them.
    assert [x["internalId"] for x in answer["items"]] == [second["internalId"], first["internalId"]]
    assert answer["count"] == answer["totalResults"] == 2
    for item, key in zip(answer["items"], ("ext-b", "ext-a"), strict=True):
        assert item == {**ok(erp.get(f"/salesOrders/{item['internalId']}")), "externalId": key}
    # The order as it is now, not as it was entered.
    cancel = {"requestId": "cancel-a", "lines": None}
    ok(erp.post(f"/salesOrders/{first['internalId']}/cancel", json=cancel))
    [found] = ok(erp.get("/salesOrders", params={"externalIds": "ext-a"}))["items"]
    assert found["custbody_status"] == "CANCELLED"
    assert ok(erp.get("/salesOrders", params={"externalIds": "nobody"}))["items"] == []


def test_external_ids_combine_with_no_other_lookup(erp: httpx.Client) -> None:
    both = {"externalIds": "ext-a", "ids": "1"}
    assert erp.get("/salesOrders", params=both).status_code == 422


def test_concurrent_posts_of_one_id_make_one_order(erp: httpx.Client, world: World) -> None:
    count = order_count(erp)
    body = order_body(world, "ext-race")
    answers = concurrently(erp, CONCURRENT_CLIENTS, lambda c: c.post("/salesOrders", json=body))
    assert sorted(a.status_code for a in answers) == [200] * (CONCURRENT_CLIENTS - 1) + [201]
    assert len({a.json()["internalId"] for a in answers}) == 1
    assert order_count(erp) == count + 1


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"entity": {"externalId": "001NOPE"}}, 422, "INVALID_PARAMETER"),
        ({"shipAddress": {"addr1": "x", "city": "y", "state": "ZZ", "zip": "1"}}, 422,
         "INVALID_PARAMETER"),
        ({"custbody_status": "ON_HOLD"}, 422, "INVALID_PARAMETER"),
        ({"custbody_hold_reason": "CREDIT"}, 422, "INVALID_PARAMETER"),
        ({"custbody_status": "COMPLETED"}, 422, "INVALID_PARAMETER"),
        ({"item": {"items": []}}, 422, "INVALID_PARAMETER"),
        ({"item": {"items": [{"item": {"refName": "SKU-NOPE"}, "quantity": 1}]}}, 422,
         "INVALID_PARAMETER"),
        ({"item": {"items": [{"item": {"refName": "SKU-10001"}, "quantity": 0}]}}, 422,
         "INVALID_PARAMETER"),
        ({"item": {"items": [{"item": {"refName": "SKU-10001"}, "quantity": 1, "rate": "1.001"}]}},
         422, "INVALID_PARAMETER"),
        ({"surprise": 1}, 422, "INVALID_PARAMETER"),
    ],
)  # fmt: skip
def test_refused_orders_change_nothing(
    erp: httpx.Client, world: World, changes: dict[str, Any], status: int, code: str
) -> None:
    count, before = order_count(erp), exposure(erp, customer(world).id)
    refused(erp.post("/salesOrders", json=order_body(world, **changes)), status, code)
    assert order_count(erp) == count and exposure(erp, customer(world).id) == before
    # Nothing was stored under the id either.
    ok(erp.post("/salesOrders", json=order_body(world)), 201)


def test_inactive_customer_and_item_are_409(erp: httpx.Client, world: World) -> None:
    inactive = next(a for a in world.accounts if not a.active)
    body = order_body(world, entity={"externalId": inactive.id})
    refused(erp.post("/salesOrders", json=body), 409, "CUSTOMER_INACTIVE")
    retired = next(p for p in world.products if not p.active)
    body = order_body(world, item={"items": [{"item": {"refName": retired.sku}, "quantity": 1}]})
    refused(erp.post("/salesOrders", json=body), 409, "ITEM_INACTIVE")


def test_status_transitions(erp: httpx.Client, world: World) -> None:
    held = ok(
        erp.post(
            "/salesOrders",
            json=order_body(world, custbody_status="ON_HOLD", custbody_hold_reason="CREDIT"),
        ),
        201,
    )
    path = f"/salesOrders/{held['internalId']}"
    assert held["status"] == "Pending Approval" and held["custbody_hold_reason"] == "CREDIT"
    confirmed = ok(erp.patch(path, json={"custbody_status": "CONFIRMED"}))
    assert confirmed["custbody_status"] == "CONFIRMED" and confirmed["custbody_hold_reason"] is None
    assert ok(erp.patch(path, json={"custbody_status": "CONFIRMED"})) == confirmed
    refused(erp.patch(path, json={"custbody_status": "ON_HOLD"}), 422, "INVALID_PARAMETER")
    refused(erp.patch(path, json={"custbody_status": "DRAFT"}), 409, "INVALID_TRANSITION")
    refused(erp.patch(path, json={"custbody_status": "COMPLETED"}), 409, "INVALID_TRANSITION")
    before = exposure(erp, customer(world).id)
    cancelled = ok(erp.patch(path, json={"custbody_status": "CANCELLED"}))
    assert cancelled["status"] == "Cancelled"
    assert exposure(erp, customer(world).id) == before - Decimal(held["total"])
    refused(erp.patch(path, json={"custbody_status": "CONFIRMED"}), 409, "INVALID_TRANSITION")
    refused(erp.patch("/salesOrders/999999999", json={"custbody_status": "CONFIRMED"}), 404,
            "NOT_FOUND")  # fmt: skip


def _billed_confirmed(world: World) -> OrderRecord:
    billed = {i.order_id for i in world.invoices}
    return next(o for o in world.orders if o.status == "CONFIRMED" and o.id in billed)


def test_an_order_with_billed_lines_cannot_be_cancelled(erp: httpx.Client, world: World) -> None:
    order = _billed_confirmed(world)
    before = ok(erp.get(f"/salesOrders/{order.id}"))
    answer = erp.patch(f"/salesOrders/{order.id}", json={"custbody_status": "CANCELLED"})
    refused(answer, 409, "INVALID_TRANSITION")
    assert ok(erp.get(f"/salesOrders/{order.id}")) == before


def test_cancelling_lines_reprices_the_order(erp: httpx.Client, world: World) -> None:
    order = ok(erp.post("/salesOrders", json=order_body(world)), 201)
    path = f"/salesOrders/{order['internalId']}/cancel"
    body = {"requestId": "cx-1", "lines": [2], "reason": "customer changed mind"}
    after = ok(erp.post(path, json=body))
    first, second = after["item"]["items"]
    assert (second["quantity"], second["quantityCancelled"], second["amount"]) == (0, 7, "0.00")
    assert (first["quantity"], first["quantityCancelled"]) == (3, 0)
    assert after["subtotal"] == "30.75" and after["custbody_status"] == "CONFIRMED"
    assert after["custbody_cancel_reason"] == "customer changed mind"
    assert ok(erp.post(path, json=body)) == after
    refused(erp.post(path, json={**body, "lines": [1]}), 409, "IDEMPOTENCY_CONFLICT")
    refused(erp.post(path, json={"requestId": "cx-2", "lines": [2]}), 409, "NOTHING_TO_CANCEL")
    refused(erp.post(path, json={"requestId": "cx-3", "lines": [9]}), 422, "INVALID_PARAMETER")
    assert ok(erp.get(f"/salesOrders/{order['internalId']}")) == after
    everything = ok(erp.post(path, json={"requestId": "cx-4", "lines": None}))
    assert everything["custbody_status"] == "CANCELLED" and everything["total"] == "0.00"
    assert everything["status"] == "Cancelled"
    # A cancellation that gives no reason keeps the one given before.
    assert everything["custbody_cancel_reason"] == "customer changed mind"


def test_fully_billed_lines_have_nothing_to_cancel(erp: httpx.Client, world: World) -> None:
    completed = next(o for o in world.orders if o.status == "COMPLETED")
    before = ok(erp.get(f"/salesOrders/{completed.id}"))
    answer = erp.post(f"/salesOrders/{completed.id}/cancel", json={"requestId": "cx-done"})
    refused(answer, 409, "NOTHING_TO_CANCEL")
    assert ok(erp.get(f"/salesOrders/{completed.id}")) == before
    refused(erp.post("/salesOrders/999999999/cancel", json={"requestId": "cx"}), 404, "NOT_FOUND")
