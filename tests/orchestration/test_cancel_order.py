"""cancelOrder through the gateway: whole orders, some lines, and what has shipped."""

from __future__ import annotations

from typing import Any

import httpx

from systems.world_records import World
from tests.orchestration.conftest import OwnWorld
from tests.orchestration.picks import Picker, line, order_input
from tests.orchestration.test_submit_order import submit

CANCEL = """
mutation Cancel($orderId: ID!, $lines: [Int!], $key: String!) {
  cancelOrder(orderId: $orderId, lines: $lines, reason: "customer changed plans",
              idempotencyKey: $key) {
    order {
      status
      cancelReason
      lines { lineNumber quantity product { sku } }
      fulfillmentOrders { status }
    }
    cancelledSkus
    userErrors { code field message }
  }
}
"""


def cancel(
    own_world: OwnWorld, order_id: str, key: str, lines: list[int] | None = None
) -> dict[str, Any]:
    body = own_world.graphql(CANCEL, {"orderId": order_id, "lines": lines, "key": key})
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["cancelOrder"]  # type: ignore[index]
    return payload


def available(own_world: OwnWorld, sku: str) -> int:
    response = httpx.get(f"{own_world.systems['wms']}/inventory", params={"items": sku})
    return sum(x["qty_available"] for x in response.json()["data"])


def test_cancelling_a_whole_order_releases_its_stock(own_world: OwnWorld, picker: Picker) -> None:
    first, second = picker.stocked(), picker.stocked()
    order = submit(
        own_world, order_input(picker.account(), line(first, 2), line(second, 3)), "c-full"
    )["order"]
    assert available(own_world, first) == picker.total_available(first) - 2
    payload = cancel(own_world, order["id"], "cancel-full")
    assert payload["userErrors"] == []
    assert sorted(payload["cancelledSkus"]) == sorted([first, second])
    assert payload["order"]["status"] == "CANCELLED"
    assert payload["order"]["cancelReason"] == "customer changed plans"
    assert {f["status"] for f in payload["order"]["fulfillmentOrders"]} == {"CANCELLED"}
    assert available(own_world, first) == picker.total_available(first)
    assert available(own_world, second) == picker.total_available(second)
    # Again under the same key: the same answer, nothing more.
    assert (
        cancel(own_world, order["id"], "cancel-full")["cancelledSkus"] == payload["cancelledSkus"]
    )


def test_cancelling_one_line_keeps_the_rest(own_world: OwnWorld, picker: Picker) -> None:
    first, second = picker.stocked(), picker.stocked()
    order = submit(
        own_world, order_input(picker.account(), line(first, 2), line(second, 3)), "c-part"
    )["order"]
    number = next(x["lineNumber"] for x in order["lines"] if x["product"]["sku"] == first)
    payload = cancel(own_world, order["id"], "cancel-part", [number])
    assert payload["cancelledSkus"] == [first]
    assert payload["order"]["status"] == "CONFIRMED"
    quantities = {x["product"]["sku"]: x["quantity"] for x in payload["order"]["lines"]}
    assert quantities == {first: 0, second: 3}
    assert available(own_world, first) == picker.total_available(first)
    assert available(own_world, second) == picker.total_available(second) - 3


def test_an_order_on_hold_is_cancelled_in_the_erp(own_world: OwnWorld, picker: Picker) -> None:
    order = submit(
        own_world, order_input(picker.held_account(), line(picker.stocked(), 1)), "c-hold"
    )["order"]
    payload = cancel(own_world, order["id"], "cancel-hold")
    assert payload["userErrors"] == []
    assert payload["order"]["status"] == "CANCELLED"


def test_what_has_shipped_is_refused(own_world: OwnWorld, world: World) -> None:
    shipped = next(o for o in world.orders if o.status == "COMPLETED")
    payload = cancel(own_world, shipped.id, "cancel-shipped")
    [error] = payload["userErrors"]
    assert (error["code"], error["field"]) == ("ALREADY_SHIPPED", ["orderId"])
    assert payload["cancelledSkus"] == []
    assert payload["order"]["status"] == "COMPLETED"


def test_an_unknown_order_or_line_is_a_user_error(own_world: OwnWorld, world: World) -> None:
    payload = cancel(own_world, "999999999", "cancel-unknown")
    assert [e["code"] for e in payload["userErrors"]] == ["ORDER_NOT_FOUND"]
    some = next(o for o in world.orders if o.status == "CONFIRMED")
    payload = cancel(own_world, some.id, "cancel-unknown-line", [99])
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("UNKNOWN_LINE", ["lines", "0"])
    ]
