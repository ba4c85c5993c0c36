"""submitOrder through the gateway: each outcome, with the order selected across subgraphs."""

from __future__ import annotations

from typing import Any

from tests.orchestration.conftest import OwnWorld
from tests.orchestration.picks import Picker, line, order_input

SUBMIT = """
mutation Submit($input: SubmitOrderInput!, $key: String!) {
  submitOrder(input: $input, idempotencyKey: $key) {
    outcome
    order {
      id number status holdReason
      total { amount currency }
      lines { lineNumber quantity product { sku } distributionCenter { id } }
      fulfillmentOrders { status distributionCenter { id } }
    }
    allocations { sku quantity alternate distributionCenter { id name } }
    backorders { sku quantity promisedDate }
    unfilled { sku quantity }
    subtotal { amount }
    userErrors { code field message }
  }
}
"""


def submit(own_world: OwnWorld, input: dict[str, Any], key: str) -> dict[str, Any]:
    body = own_world.graphql(SUBMIT, {"input": input, "key": key})
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["submitOrder"]  # type: ignore[index]
    return payload


def test_an_order_in_stock_is_confirmed_and_released(own_world: OwnWorld, picker: Picker) -> None:
    sku = picker.stocked()
    payload = submit(own_world, order_input(picker.account(), line(sku, 2)), "confirmed-1")
    assert payload["userErrors"] == []
    assert payload["outcome"] == "CONFIRMED"
    order = payload["order"]
    assert order["status"] == "CONFIRMED"
    assert order["number"].startswith("SO-")
    assert [(x["product"]["sku"], x["quantity"]) for x in order["lines"]] == [(sku, 2)]
    assert payload["allocations"] == [
        {
            "sku": sku,
            "quantity": 2,
            "alternate": False,
            "distributionCenter": {"id": "EWR1", "name": "Newark Distribution Center"},
        }
    ]
    assert [(f["distributionCenter"]["id"], f["status"]) for f in order["fulfillmentOrders"]] == [
        ("EWR1", "RELEASED")
    ]


def centers_of(payload: dict[str, Any]) -> list[tuple[str, int, bool]]:
    return [
        (x["distributionCenter"]["id"], x["quantity"], x["alternate"])
        for x in payload["allocations"]
    ]


def test_a_line_the_nearest_center_cannot_fill_is_split(
    own_world: OwnWorld, picker: Picker
) -> None:
    sku = picker.short_at("EWR1")
    near = picker.available(sku, "EWR1")
    payload = submit(own_world, order_input(picker.account(), line(sku, near + 5)), "split-1")
    assert payload["outcome"] == "CONFIRMED"
    parts = centers_of(payload)
    assert parts[0] == ("EWR1", near, False)
    assert sum(q for _, q, _ in parts) == near + 5
    assert all(alternate for _, _, alternate in parts[1:])
    released = {f["distributionCenter"]["id"] for f in payload["order"]["fulfillmentOrders"]}
    assert released == {c for c, _, _ in parts}
    assert len(released) >= 2


def test_a_product_the_nearest_center_lacks_comes_from_an_alternate(
    own_world: OwnWorld, picker: Picker
) -> None:
    sku = picker.absent_at("EWR1")
    payload = submit(own_world, order_input(picker.account(), line(sku, 3)), "alternate-1")
    assert payload["outcome"] == "CONFIRMED"
    [(center, quantity, alternate)] = centers_of(payload)
    assert center != "EWR1"
    assert (quantity, alternate) == (3, True)


def test_what_no_center_has_is_backordered_with_a_promised_date(
    own_world: OwnWorld, picker: Picker
) -> None:
    sku = picker.out_of_stock()
    payload = submit(own_world, order_input(picker.account(), line(sku, 4)), "backorder-1")
    assert payload["outcome"] == "CONFIRMED"
    assert payload["allocations"] == []
    [waiting] = payload["backorders"]
    assert (waiting["sku"], waiting["quantity"]) == (sku, 4)
    assert waiting["promisedDate"] is not None
    assert [(x["quantity"], x["distributionCenter"]) for x in payload["order"]["lines"]] == [
        (4, None)
    ]


def test_ship_available_leaves_the_rest_off_the_order(own_world: OwnWorld, picker: Picker) -> None:
    sku = picker.short_at("EWR1")
    total = picker.total_available(sku)
    payload = submit(
        own_world,
        order_input(picker.account(), line(sku, total + 7), shortfallPolicy="SHIP_AVAILABLE"),
        "ship-available-1",
    )
    assert payload["outcome"] == "CONFIRMED"
    assert sum(x["quantity"] for x in payload["allocations"]) == total
    assert payload["backorders"] == []
    assert [(x["sku"], x["quantity"]) for x in payload["unfilled"]] == [(sku, 7)]
    assert sum(x["quantity"] for x in payload["order"]["lines"]) == total


def test_a_shortfall_under_reject_rejects_and_creates_nothing(
    own_world: OwnWorld, picker: Picker
) -> None:
    sku = picker.short_at("EWR1")
    total = picker.total_available(sku)
    payload = submit(
        own_world,
        order_input(picker.account(), line(sku, total + 1), shortfallPolicy="REJECT"),
        "reject-1",
    )
    assert payload["outcome"] == "REJECTED"
    assert payload["order"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("INSUFFICIENT_INVENTORY", ["lines", "0", "quantity"])
    ]


def test_an_account_on_credit_hold_puts_the_order_on_hold(
    own_world: OwnWorld, picker: Picker
) -> None:
    sku = picker.stocked()
    payload = submit(own_world, order_input(picker.held_account(), line(sku, 1)), "hold-1")
    assert payload["outcome"] == "ON_HOLD"
    order = payload["order"]
    assert (order["status"], order["holdReason"]) == ("ON_HOLD", "CREDIT")
    assert order["fulfillmentOrders"] == []


def test_an_order_over_the_credit_limit_is_put_on_hold(own_world: OwnWorld, picker: Picker) -> None:
    sku = picker.out_of_stock()
    payload = submit(
        own_world, order_input(picker.small_account(), line(sku, 5000)), "over-limit-1"
    )
    assert payload["outcome"] == "ON_HOLD"
    assert payload["order"]["holdReason"] == "CREDIT"
    assert payload["order"]["fulfillmentOrders"] == []
