"""A return receipt ends in one credit memo: booked at the WMS's dock (the milestone and the
returns consumer do it all) or through the gateway's receiveReturn (the workflow and the
consumer both try; the ERP keeps one)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from tests.e2e.orders import Accounts, Placed, place_order
from tests.e2e.streams import MILESTONES_BY_ORDER, ws_subscription
from tests.e2e.world import E2EWorld
from tests.orchestration.picks import Picker
from tests.support.waiting import wait_until

REQUEST = """
mutation Request($input: RequestReturnInput!, $key: String!) {
  requestReturn(input: $input, idempotencyKey: $key) {
    status
    returnAuthorization { id number status distributionCenter { id } }
    userErrors { code field message }
  }
}
"""
RECEIVE = """
mutation Receive($input: ReceiveReturnInput!, $key: String!) {
  receiveReturn(input: $input, idempotencyKey: $key) {
    status
    creditMemo { number }
    userErrors { code field message }
  }
}
"""
CREDITS = """
query Credits($id: ID!) {
  order(id: $id) {
    creditMemos {
      number total { amount } lines { quantity product { sku } }
      returnAuthorization { number status }
    }
    returnAuthorizations { number status }
  }
}
"""


def delivered_and_authorized(world: E2EWorld, picker: Picker, account: str) -> tuple[Placed, Any]:
    """An order delivered (and so invoiced) with a return of one unit authorized for it."""
    placed = place_order(world, picker, account, quantity=3)
    world.advance(placed.fulfillment_order, "DELIVERED")
    world.wait_delivered(placed.fulfillment_order)
    world.wait_settled("erp")
    asked = {
        "orderId": placed.order_id,
        "lines": [{"sku": placed.sku, "quantity": 1, "reason": "DAMAGED"}],
    }
    requested = world.data(REQUEST, {"input": asked, "key": f"e2e-{uuid.uuid4().hex}"})
    payload = requested["requestReturn"]
    assert payload["userErrors"] == [] and payload["status"] == "AUTHORIZED", payload
    return placed, payload["returnAuthorization"]


def wait_credited(world: E2EWorld, placed: Placed) -> dict[str, Any]:
    """The order's credits once its return is CREDITED (the consumers settled)."""

    def credited() -> bool:
        order = world.data(CREDITS, {"id": placed.order_id})["order"]
        return [ra["status"] for ra in order["returnAuthorizations"]] == ["CREDITED"]

    wait_until(credited, timeout=30, what=f"the return of {placed.number} credited")
    world.wait_settled("returns", "erp")
    order: dict[str, Any] = world.data(CREDITS, {"id": placed.order_id})["order"]
    return order


def assert_one_memo(order: dict[str, Any], placed: Placed, ra: dict[str, Any]) -> None:
    [memo] = order["creditMemos"]
    assert memo["number"].startswith("CM-")
    assert memo["lines"] == [{"quantity": 1, "product": {"sku": placed.sku}}]
    assert float(memo["total"]["amount"]) > 0
    assert memo["returnAuthorization"] == {"number": ra["number"], "status": "CREDITED"}


async def test_a_receipt_booked_at_the_dock_ends_in_one_credit_memo(
    e2e: E2EWorld, picker: Picker, accounts: Accounts
) -> None:
    placed, ra = await asyncio.to_thread(delivered_and_authorized, e2e, picker, accounts.take())
    receipt = {
        "receipt_id": f"dock-{uuid.uuid4().hex}",
        "rma_ref": ra["id"],
        "facility_id": ra["distributionCenter"]["id"],
        "lines": [{"item_number": placed.sku, "qty_received": 1, "disposition_code": "RESTOCKED"}],
    }
    async with ws_subscription(e2e, MILESTONES_BY_ORDER, {"orderId": placed.order_id}) as sub:
        await asyncio.to_thread(e2e.system, "wms", "POST", "/return-receipts", json=receipt)
        [received] = [r["fulfillmentMilestones"] for r in await sub.take(1)]
    assert received["type"] == "RETURN_RECEIVED"
    assert received["quantities"] == [{"sku": placed.sku, "quantity": 1}]
    assert received["order"]["number"] == placed.number

    order = await asyncio.to_thread(wait_credited, e2e, placed)
    assert_one_memo(order, placed, ra)


def test_a_receipt_through_the_gateway_ends_in_one_credit_memo_too(
    e2e: E2EWorld, picker: Picker, accounts: Accounts
) -> None:
    placed, ra = delivered_and_authorized(e2e, picker, accounts.take())
    receipt = {
        "returnAuthorizationId": ra["id"],
        "lines": [{"sku": placed.sku, "quantity": 1, "disposition": "RESTOCKED"}],
    }
    received = e2e.data(RECEIVE, {"input": receipt, "key": f"e2e-{uuid.uuid4().hex}"})
    payload = received["receiveReturn"]
    assert payload["userErrors"] == [] and payload["status"] == "CREDITED", payload
    # The receipt's milestone reached the returns consumer as well: still one memo.
    wait_until(
        lambda: any(
            x.event["type"] == "RETURN_RECEIVED" and x.event["order_id"] == placed.order_id
            for x in e2e.entries()
        ),
        timeout=20,
        what="the receipt's milestone on the stream",
    )
    order = wait_credited(e2e, placed)
    assert_one_memo(order, placed, ra)
    assert order["creditMemos"][0]["number"] == payload["creditMemo"]["number"]
