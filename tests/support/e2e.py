"""The end-to-end order query of issue 3 (CRM + ERP + WMS in one request), and its check."""

from __future__ import annotations

from typing import Any

from systems.world_records import OrderRecord, World

__all__ = ["E2E_QUERY", "assert_order_matches_world", "shipped_order_with_open_case"]

E2E_QUERY = """
query Order($id: ID!) {
  order(id: $id) {
    number
    total { amount currency }
    account { name creditHold cases(open: true) { caseNumber status } }
    lines {
      quantity
      product { sku name availableToPromise inventory { distributionCenter { id } available } }
    }
    shipments { trackingNumber status trackingEvents { status occurredAt } }
  }
}
"""


def shipped_order_with_open_case(world: World) -> OrderRecord:
    """An order that touches every system: shipped, and its account has an open case."""
    open_case_accounts = {c.account_id for c in world.cases if c.status != "CLOSED"}
    shipped = {s.order_id for s in world.shipments}
    return next(o for o in world.orders if o.id in shipped and o.account_id in open_case_accounts)


def assert_order_matches_world(got: dict[str, Any], order: OrderRecord, world: World) -> None:
    account = next(a for a in world.accounts if a.id == order.account_id)
    assert got["number"] == order.number
    assert got["account"]["name"] == account.name
    assert got["account"]["creditHold"] == account.credit_hold
    open_cases = {
        c.case_number for c in world.cases if c.account_id == account.id and c.status != "CLOSED"
    }
    assert {c["caseNumber"] for c in got["account"]["cases"]} == open_cases
    assert [(line["product"]["sku"], line["quantity"]) for line in got["lines"]] == [
        (line.sku, line.quantity) for line in order.lines
    ]
    for line in got["lines"]:
        positions = line["product"]["inventory"]
        assert {p["distributionCenter"]["id"] for p in positions} == {
            "ATL1",
            "EWR1",
            "ORD1",
            "RNO1",
        }
        assert line["product"]["availableToPromise"] == sum(p["available"] for p in positions)
    shipments = {s.tracking_number: s for s in world.shipments if s.order_id == order.id}
    assert {s["trackingNumber"] for s in got["shipments"]} == set(shipments)
    for shipment in got["shipments"]:
        expected = shipments[shipment["trackingNumber"]]
        assert [e["status"] for e in shipment["trackingEvents"]] == [
            e.status for e in expected.events
        ]
