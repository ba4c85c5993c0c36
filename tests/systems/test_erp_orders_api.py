"""The reference ERP's sales orders, invoices, credit memos and return authorizations."""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import date
from decimal import Decimal

import httpx

from systems.erp.storage import seed_database
from systems.world import document_amounts
from systems.world_records import OrderRecord, World
from tests.support.rest import ok

ENVELOPE = {"items", "count", "offset", "totalResults", "hasMore"}


def _order_with(world: World, *, invoices: bool, status: str | None = None) -> OrderRecord:
    invoiced = {i.order_id for i in world.invoices}
    return next(
        o
        for o in world.orders
        if (o.id in invoiced) == invoices and (status is None or o.status == status)
    )


def test_sales_order_payload(erp: httpx.Client, world: World) -> None:
    order = next(o for o in world.orders if o.status == "ON_HOLD" and len(o.lines) > 1)
    accounts = {a.id: a for a in world.accounts}
    body = ok(erp.get(f"/salesOrders/{order.id}"))
    subtotal, tax, total = document_amounts(order.lines, order.tax_rate)
    assert body["tranId"] == order.number
    assert body["entity"]["externalId"] == order.account_id
    assert body["entity"]["internalId"] == accounts[order.account_id].erp_id
    assert body["status"] == "Pending Approval"
    assert body["custbody_status"] == "ON_HOLD"
    assert body["custbody_hold_reason"] == order.hold_reason
    assert body["otherRefNum"] == order.customer_po
    assert body["currency"] == {"refName": order.currency}
    assert body["shipAddress"]["zip"] == order.ship_to.postal_code
    assert body["custbody_requested_delivery"] == order.requested_delivery_date.isoformat()
    assert (body["subtotal"], body["taxTotal"], body["total"]) == (
        str(subtotal),
        str(tax),
        str(total),
    )
    assert body["createdDate"] == order.placed_at.isoformat()
    lines = body["item"]["items"]
    assert [(x["line"], x["item"]["refName"], x["quantity"], x["rate"]) for x in lines] == [
        (x.line_number, x.sku, x.quantity, str(x.unit_price)) for x in order.lines
    ]
    assert [x["location"]["refName"] for x in lines] == [x.center_id for x in order.lines]
    for line in lines:
        assert isinstance(line["amount"], str) and isinstance(line["rate"], str)


def test_billed_quantities_and_amounts(erp: httpx.Client, world: World) -> None:
    order = _order_with(world, invoices=True, status="COMPLETED")
    body = ok(erp.get(f"/salesOrders/{order.id}"))
    invoices = [i for i in world.invoices if i.order_id == order.id]
    assert Decimal(body["amountBilled"]) == sum(i.total for i in invoices)
    assert Decimal(body["amountPaid"]) == sum(i.total for i in invoices if i.status == "PAID")
    billed = sum(x["quantityBilled"] for x in body["item"]["items"])
    assert billed == sum(x.quantity for i in invoices for x in i.lines)
    unbilled = ok(erp.get(f"/salesOrders/{_order_with(world, invoices=False).id}"))
    assert unbilled["amountBilled"] == "0.00"


def test_bulk_orders_by_ids_and_tran_ids(erp: httpx.Client, world: World) -> None:
    orders = world.orders[100:110]
    by_ids = ok(erp.get("/salesOrders", params={"ids": ",".join(o.id for o in orders)}))
    by_numbers = ok(erp.get("/salesOrders", params={"tranIds": ",".join(o.number for o in orders)}))
    assert set(by_ids) == ENVELOPE
    assert by_ids["items"] == by_numbers["items"]
    assert [o["internalId"] for o in by_ids["items"]] == [o.id for o in orders]


def test_order_list_filters(erp: httpx.Client, world: World) -> None:
    account = Counter(o.account_id for o in world.orders).most_common(1)[0][0]
    mine = [o for o in world.orders if o.account_id == account]
    body = ok(erp.get("/salesOrders", params={"customerExternalIds": account, "limit": 5}))
    assert body["totalResults"] == len(mine)
    newest = sorted(mine, key=lambda o: (o.placed_at, int(o.id)), reverse=True)[:5]
    assert [o["internalId"] for o in body["items"]] == [o.id for o in newest]

    statuses = {"ON_HOLD", "SUBMITTED"}
    body = ok(erp.get("/salesOrders", params={"status": ",".join(statuses), "limit": 200}))
    assert body["totalResults"] == sum(o.status in statuses for o in world.orders)
    assert {o["custbody_status"] for o in body["items"]} <= statuses

    start, end = date(2026, 6, 1), date(2026, 6, 30)
    body = ok(
        erp.get(
            "/salesOrders",
            params={"placedFrom": start.isoformat(), "placedTo": end.isoformat(), "limit": 1},
        )
    )
    assert body["totalResults"] == sum(start <= o.placed_at.date() <= end for o in world.orders)
    assert body["hasMore"] is True


def test_orders_by_customer_pages_each_customer(erp: httpx.Client, world: World) -> None:
    counts = Counter(o.account_id for o in world.orders)
    accounts = [account for account, _ in counts.most_common(3)]
    body = ok(
        erp.get(
            "/salesOrders/byCustomer",
            params={"externalIds": ",".join([*accounts, "001NOPE"]), "offset": 2, "limit": 3},
        )
    )
    groups = {g["externalId"]: g for g in body["items"]}
    for account in accounts:
        mine = sorted(
            (o for o in world.orders if o.account_id == account),
            key=lambda o: (o.placed_at, int(o.id)),
            reverse=True,
        )
        group = groups[account]
        assert group["totalResults"] == counts[account]
        assert [o["internalId"] for o in group["items"]] == [o.id for o in mine[2:5]]
        assert group["hasMore"] is True
    assert groups["001NOPE"]["items"] == [] and groups["001NOPE"]["totalResults"] == 0


def test_invoices_by_order_and_id(erp: httpx.Client, world: World) -> None:
    invoice = world.invoices[3]
    body = ok(erp.get("/invoices", params={"orderIds": invoice.order_id}))
    expected = [i for i in world.invoices if i.order_id == invoice.order_id]
    assert [i["internalId"] for i in body["items"]] == [i.id for i in expected]
    record = ok(erp.get(f"/invoices/{invoice.id}"))
    assert record["tranId"] == invoice.number
    assert record["createdFrom"]["internalId"] == invoice.order_id
    assert record["custbody_shipment_id"] == invoice.shipment_id
    assert record["status"] == {"OPEN": "Open", "PAID": "Paid In Full"}[invoice.status]
    assert record["dueDate"] == invoice.due_date.isoformat()
    assert record["total"] == str(invoice.total)
    assert record["amountRemaining"] == (str(invoice.total) if invoice.status == "OPEN" else "0.00")
    assert len(record["item"]["items"]) == len(invoice.lines)


def test_returns_and_credit_memos(erp: httpx.Client, world: World) -> None:
    memo = world.credit_memos[0]
    body = ok(erp.get("/creditMemos", params={"orderIds": memo.order_id}))
    assert memo.id in [m["internalId"] for m in body["items"]]
    record = ok(erp.get(f"/creditMemos/{memo.id}"))
    assert record["createdFrom"]["internalId"] == memo.return_authorization_id
    assert record["custbody_sales_order"]["internalId"] == memo.order_id
    assert record["total"] == str(memo.total)

    rma = next(r for r in world.return_authorizations if r.status == "DECLINED")
    record = ok(erp.get(f"/returnAuthorizations/{rma.id}"))
    assert record["status"] == "Cancelled"
    assert record["custbody_decline_reason"] == rma.decline_reason
    assert record["location"] == {"refName": rma.center_id}
    assert [x["custcol_return_reason"] for x in record["item"]["items"]] == [
        x.reason for x in rma.lines
    ]
    listed = ok(erp.get("/returnAuthorizations", params={"limit": 2}))
    assert listed["totalResults"] == len(world.return_authorizations)


def test_seed_database_fills_every_table(world: World) -> None:
    conn = sqlite3.connect(":memory:")
    try:
        seed_database(conn, world)
        counts = {
            table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("customers", "items", "sales_orders", "invoices", "credit_memos")
        }
    finally:
        conn.close()
    assert counts == {
        "customers": len(world.accounts),
        "items": len(world.products),
        "sales_orders": len(world.orders),
        "invoices": len(world.invoices),
        "credit_memos": len(world.credit_memos),
    }
