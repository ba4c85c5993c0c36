"""promiseOrder through the gateway: availability, split, dates and prices, and no side effect."""

from __future__ import annotations

from typing import Any

import httpx

from tests.orchestration.conftest import OwnWorld
from tests.orchestration.picks import Picker, line, order_input

PROMISE = """
query Promise($input: PromiseOrderInput!) {
  promiseOrder(input: $input) {
    outcome
    subtotal { amount }
    lines {
      sku quantity backorderedQuantity earliestShipDate earliestDeliveryDate
      unitPrice { amount } extendedPrice { amount }
      product { name }
      availability { distributionCenter { id region } onHand allocated available incoming }
      allocations { quantity alternate distributionCenter { id } }
    }
    userErrors { code field }
  }
}
"""


def promise(own_world: OwnWorld, input: dict[str, Any]) -> dict[str, Any]:
    input = {k: v for k, v in input.items() if k != "shortfallPolicy"}
    body = own_world.graphql(PROMISE, {"input": input})
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["promiseOrder"]  # type: ignore[index]
    return payload


def test_a_promise_shows_the_split_and_prices_without_reserving(
    own_world: OwnWorld, picker: Picker
) -> None:
    sku = picker.short_at("EWR1")
    near = picker.available(sku, "EWR1")
    before = httpx.get(f"{own_world.systems['wms']}/inventory", params={"items": sku}).json()
    payload = promise(own_world, order_input(picker.account(), line(sku, near + 2)))
    assert payload["outcome"] == "CONFIRMED"
    [promised] = payload["lines"]
    assert promised["product"]["name"]
    assert {a["distributionCenter"]["id"] for a in promised["availability"]} == {
        "ATL1",
        "EWR1",
        "ORD1",
        "RNO1",
    }
    assert promised["allocations"][0] == {
        "quantity": near,
        "alternate": False,
        "distributionCenter": {"id": "EWR1"},
    }
    assert sum(a["quantity"] for a in promised["allocations"]) == near + 2
    assert promised["backorderedQuantity"] == 0
    assert promised["earliestDeliveryDate"] >= promised["earliestShipDate"]
    unit = float(promised["unitPrice"]["amount"])
    assert float(promised["extendedPrice"]["amount"]) == round(unit * (near + 2), 2)
    assert payload["subtotal"] == {"amount": promised["extendedPrice"]["amount"]}
    after = httpx.get(f"{own_world.systems['wms']}/inventory", params={"items": sku}).json()
    assert after == before


def test_a_promise_of_a_bad_line_answers_user_errors(own_world: OwnWorld, picker: Picker) -> None:
    payload = promise(own_world, order_input(picker.account(), line("SKU-99999", 1)))
    assert payload["outcome"] == "REJECTED"
    assert payload["userErrors"] == [{"code": "UNKNOWN_SKU", "field": ["lines", "0", "sku"]}]
