"""releaseOrder through the gateway with auth on: an order the WMS could not release is held
for review; a customer may not lift the hold, staff may, and the order then ships from the
stock its submission reserved. Real systems, subgraphs, gateway and tokens."""

from __future__ import annotations

from typing import Any

import httpx

from tests.orchestration.conftest import OwnWorld
from tests.orchestration.picks import Picker, line, order_input
from tests.orchestration.test_acting_through_the_gateway import SUBMIT, Gateway, gateway
from tests.orchestration.test_submit_guarantees import wms_available
from tests.support.rest import ok

__all__ = ["gateway"]  # the module's gateway with auth on, borrowed

RELEASE_ROUTE = "POST /fulfillment-orders/release"
RELEASE = """
mutation Release($orderId: ID!, $key: String!) {
  releaseOrder(orderId: $orderId, idempotencyKey: $key) {
    order { id status holdReason fulfillmentOrders { status distributionCenter { id } } }
    fulfillmentOrderNumbers
    userErrors { code field }
  }
}
"""


def staff(gateway: Gateway) -> str:
    return gateway.issuer.token(subject="staff-rev", scope="staff")


def held_for_review(own_world: OwnWorld, gateway: Gateway, account: str, sku: str) -> str:
    """A customer's order whose release the WMS refused: ON_HOLD, MANUAL_REVIEW."""
    own_world.faults("wms", error_rate=1.0, routes=[RELEASE_ROUTE])
    try:
        body = gateway.ask(
            gateway.customer(account),
            SUBMIT,
            {"input": order_input(account, line(sku, 3)), "key": f"held-{sku}"},
        )
    finally:
        own_world.faults("wms")
    payload: dict[str, Any] = body["data"]["submitOrder"]
    assert payload["outcome"] == "ON_HOLD", payload
    order_id: str = payload["order"]["id"]
    return order_id


def test_staff_release_a_held_order_and_a_customer_may_not(
    own_world: OwnWorld, gateway: Gateway, picker: Picker
) -> None:
    account, sku = picker.account(), picker.stocked()
    stock = wms_available(own_world, sku)["EWR1"]
    order_id = held_for_review(own_world, gateway, account, sku)
    assert wms_available(own_world, sku)["EWR1"] == stock - 3

    # The customer's token lacks the staff scope: refused, the order still held.
    body = gateway.ask(gateway.customer(account), RELEASE, {"orderId": order_id, "key": "r-1"})
    assert body["data"] is None, body
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHORIZED_FIELD_OR_TYPE"]
    erp = ok(httpx.get(f"{gateway.erp}/salesOrders/{order_id}", timeout=10))
    assert (erp["custbody_status"], erp["custbody_hold_reason"]) == ("ON_HOLD", "MANUAL_REVIEW")

    body = gateway.ask(staff(gateway), RELEASE, {"orderId": order_id, "key": "r-1"})
    assert "errors" not in body, body
    released = body["data"]["releaseOrder"]
    assert released["userErrors"] == []
    assert len(released["fulfillmentOrderNumbers"]) == 1
    assert released["order"] == {
        "id": order_id,
        "status": "CONFIRMED",
        "holdReason": None,
        "fulfillmentOrders": [{"status": "RELEASED", "distributionCenter": {"id": "EWR1"}}],
    }
    # The reserved units went to the release: nothing more allocated, nothing given back.
    assert wms_available(own_world, sku)["EWR1"] == stock - 3
    # The same key answers the same; another key finds the hold already lifted.
    assert gateway.ask(staff(gateway), RELEASE, {"orderId": order_id, "key": "r-1"}) == body
    again = gateway.ask(staff(gateway), RELEASE, {"orderId": order_id, "key": "r-2"})
    assert again["data"]["releaseOrder"]["userErrors"] == [
        {"code": "NOT_HELD_FOR_REVIEW", "field": ["orderId"]}
    ]
