"""requestReturn and receiveReturn through the gateway: authorize, decline, receive, credit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from systems.world_records import OrderRecord, World
from tests.orchestration.conftest import OwnWorld

REQUEST = """
mutation Request($input: RequestReturnInput!, $key: String!) {
  requestReturn(input: $input, idempotencyKey: $key) {
    status declineReason
    returnAuthorization { id number status distributionCenter { id } }
    userErrors { code field }
  }
}
"""
RECEIVE = """
mutation Receive($input: ReceiveReturnInput!, $key: String!) {
  receiveReturn(input: $input, idempotencyKey: $key) {
    status
    returnAuthorization { status receipts { lines { quantityReceived disposition } } }
    creditMemo { number total { amount } lines { quantity product { sku } } }
    userErrors { code field }
  }
}
"""


def shipped_orders(world: World, *, newer_than: int, older_than: int = 0) -> list[OrderRecord]:
    """Shipped orders with no return yet, all invoiced between the two ages (days)."""
    now = datetime.now(UTC)
    invoiced: dict[str, list[datetime]] = {}
    for invoice in world.invoices:
        invoiced.setdefault(invoice.order_id, []).append(invoice.issued_at)
    returned = {ra.order_id for ra in world.return_authorizations}
    return [
        o
        for o in world.orders
        if o.status == "COMPLETED"
        and o.id not in returned
        and o.id in invoiced
        and all(
            now - timedelta(days=newer_than) < at < now - timedelta(days=older_than)
            for at in invoiced[o.id]
        )
    ]


def run(own_world: OwnWorld, query: str, input: dict[str, Any], key: str) -> dict[str, Any]:
    body = own_world.graphql(query, {"input": input, "key": key})
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]  # type: ignore[assignment]
    return data["requestReturn" if "requestReturn" in data else "receiveReturn"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def recent(world: World) -> list[OrderRecord]:
    return shipped_orders(world, newer_than=60)


def on_hand(own_world: OwnWorld, sku: str, center: str) -> int:
    response = httpx.get(f"{own_world.systems['wms']}/inventory", params={"items": sku})
    [position] = [x for x in response.json()["data"] if x["facility_id"] == center]
    quantity: int = position["qty_on_hand"]
    return quantity


def test_an_authorized_return_is_received_restocked_and_credited(
    own_world: OwnWorld, recent: list[OrderRecord]
) -> None:
    order = recent[0]
    sku = order.lines[0].sku
    asked = {"orderId": order.id, "lines": [{"sku": sku, "quantity": 1, "reason": "DAMAGED"}]}
    requested = run(own_world, REQUEST, asked, "return-ok")
    assert requested["userErrors"] == []
    assert (requested["status"], requested["declineReason"]) == ("AUTHORIZED", None)
    ra = requested["returnAuthorization"]
    assert ra["number"].startswith("RMA-")
    assert ra["status"] == "AUTHORIZED"
    center = ra["distributionCenter"]["id"]
    before = on_hand(own_world, sku, center)

    receipt = {
        "returnAuthorizationId": ra["id"],
        "lines": [{"sku": sku, "quantity": 1, "disposition": "RESTOCKED"}],
    }
    received = run(own_world, RECEIVE, receipt, "receive-ok")
    assert received["userErrors"] == []
    assert received["status"] == "CREDITED"
    assert received["returnAuthorization"]["status"] == "CREDITED"
    assert received["returnAuthorization"]["receipts"] == [
        {"lines": [{"quantityReceived": 1, "disposition": "RESTOCKED"}]}
    ]
    memo = received["creditMemo"]
    assert memo["number"].startswith("CM-")
    assert memo["lines"] == [{"quantity": 1, "product": {"sku": sku}}]
    assert float(memo["total"]["amount"]) > 0
    assert on_hand(own_world, sku, center) == before + 1
    # Replaying the receipt under its key changes nothing.
    assert run(own_world, RECEIVE, receipt, "receive-ok") == received
    assert on_hand(own_world, sku, center) == before + 1


def test_goods_to_inspect_are_received_but_not_credited(
    own_world: OwnWorld, recent: list[OrderRecord]
) -> None:
    order = recent[1]
    sku = order.lines[0].sku
    asked = {"orderId": order.id, "lines": [{"sku": sku, "quantity": 1, "reason": "DEFECTIVE"}]}
    ra = run(own_world, REQUEST, asked, "return-inspect")["returnAuthorization"]
    receipt = {
        "returnAuthorizationId": ra["id"],
        "lines": [{"sku": sku, "quantity": 1, "disposition": "INSPECTION_REQUIRED"}],
    }
    received = run(own_world, RECEIVE, receipt, "receive-inspect")
    assert (received["status"], received["creditMemo"]) == ("RECEIVED", None)
    assert received["returnAuthorization"]["status"] == "RECEIVED"


def test_a_return_past_the_window_is_declined(own_world: OwnWorld, world: World) -> None:
    order = shipped_orders(world, newer_than=2000, older_than=120)[0]
    asked = {
        "orderId": order.id,
        "lines": [{"sku": order.lines[0].sku, "quantity": 1, "reason": "NOT_NEEDED"}],
    }
    requested = run(own_world, REQUEST, asked, "return-expired")
    assert (requested["status"], requested["declineReason"]) == (
        "DECLINED",
        "RETURN_WINDOW_EXPIRED",
    )
    assert requested["returnAuthorization"]["status"] == "DECLINED"


def test_more_than_was_shipped_is_declined(own_world: OwnWorld, recent: list[OrderRecord]) -> None:
    order = recent[2]
    line = order.lines[0]
    asked = {
        "orderId": order.id,
        "lines": [{"sku": line.sku, "quantity": line.quantity + 1, "reason": "WRONG_ITEM"}],
    }
    requested = run(own_world, REQUEST, asked, "return-too-many")
    assert (requested["status"], requested["declineReason"]) == (
        "DECLINED",
        "QUANTITY_EXCEEDS_RETURNABLE",
    )


def test_a_product_not_on_the_order_is_a_user_error(
    own_world: OwnWorld, recent: list[OrderRecord]
) -> None:
    order = recent[3]
    asked = {
        "orderId": order.id,
        "lines": [{"sku": "SKU-99999", "quantity": 1, "reason": "DAMAGED"}],
    }
    requested = run(own_world, REQUEST, asked, "return-stranger")
    assert requested["status"] is None
    assert requested["userErrors"] == [{"code": "NOT_ON_ORDER", "field": ["lines", "0", "sku"]}]


def test_a_return_received_in_parts_is_credited_as_it_comes_back(
    own_world: OwnWorld, recent: list[OrderRecord]
) -> None:
    order = next(o for o in recent[4:-2] if o.lines[0].quantity >= 2)
    sku = order.lines[0].sku
    asked = {"orderId": order.id, "lines": [{"sku": sku, "quantity": 2, "reason": "NOT_NEEDED"}]}
    ra = run(own_world, REQUEST, asked, "return-parts")["returnAuthorization"]
    center = ra["distributionCenter"]["id"]
    before = on_hand(own_world, sku, center)

    def receive(quantity: int, key: str) -> dict[str, Any]:
        lines = [{"sku": sku, "quantity": quantity, "disposition": "RESTOCKED"}]
        return run(own_world, RECEIVE, {"returnAuthorizationId": ra["id"], "lines": lines}, key)

    nothing = receive(0, "receive-part-0")
    assert nothing["userErrors"] == [{"code": "INVALID_QUANTITY", "field": ["lines"]}]
    first = receive(1, "receive-part-1")
    assert first["userErrors"] == []
    assert first["status"] == first["returnAuthorization"]["status"] == "PARTIALLY_RECEIVED"
    assert first["creditMemo"]["lines"] == [{"quantity": 1, "product": {"sku": sku}}]
    assert on_hand(own_world, sku, center) == before + 1
    # Only one is still awaited: two more are refused, and nothing changes.
    refused = receive(2, "receive-part-x")
    assert refused["userErrors"] == [
        {"code": "QUANTITY_EXCEEDS_AUTHORIZED", "field": ["lines", "0", "quantity"]}
    ]
    assert on_hand(own_world, sku, center) == before + 1
    rest = receive(1, "receive-part-2")
    assert rest["userErrors"] == []
    assert rest["status"] == rest["returnAuthorization"]["status"] == "CREDITED"
    assert rest["creditMemo"]["number"] != first["creditMemo"]["number"]
    assert rest["creditMemo"]["total"] == first["creditMemo"]["total"]
    assert sorted(
        line["quantityReceived"]
        for receipt in rest["returnAuthorization"]["receipts"]
        for line in receipt["lines"]
    ) == [1, 1]
    assert on_hand(own_world, sku, center) == before + 2
    # The return is complete: nothing more may come back.
    after = receive(1, "receive-part-3")
    assert [x["code"] for x in after["userErrors"]] == ["RETURN_NOT_AUTHORIZED"]
