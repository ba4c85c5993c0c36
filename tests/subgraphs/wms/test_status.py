"""``Order.fulfillmentStatus``: the derivation rules, and the graph's answers for the world."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest

from connectors.wms.records import FulfillmentOrderRecord, LineRecord, ShipmentRecord
from connectors.wms.status import fulfillment_status
from subgraphs.wms.enums import (
    Carrier,
    FulfillmentOrderStatus,
    FulfillmentStatus,
    ShipmentStatus,
)
from systems.world_records import World
from tests.support.graphql import entities

NOW = datetime(2026, 1, 1, tzinfo=UTC)
FO = FulfillmentOrderStatus
SH = ShipmentStatus


def fo(number: int, status: FO, backordered: int = 0) -> FulfillmentOrderRecord:
    return FulfillmentOrderRecord(
        id=f"FO-{number}",
        order_id="1",
        order_number="SO-1",
        center_id="ATL1",
        status=status,
        released_at=NOW,
        lines=(LineRecord("SKU-1", 5, backordered),),
    )


def shipment(fo_number: int, status: SH) -> ShipmentRecord:
    return ShipmentRecord(
        id=f"SH-{fo_number}-{status.value}",
        fulfillment_order_id=f"FO-{fo_number}",
        order_id="1",
        center_id="ATL1",
        carrier=Carrier.UPS,
        service="UPS Ground",
        tracking_number="1Z",
        status=status,
        package_count=1,
        weight_kg=Decimal(1),
        shipped_at=NOW,
        estimated_delivery=date(2026, 1, 3),
        delivered_at=None,
        lines=(),
        events=(),
    )


@pytest.mark.parametrize(
    ("orders", "shipments", "status"),
    [
        ([], [], FulfillmentStatus.UNFULFILLED),
        ([fo(1, FO.CANCELLED)], [], FulfillmentStatus.CANCELLED),
        ([fo(1, FO.RELEASED), fo(2, FO.PICKING)], [], FulfillmentStatus.UNFULFILLED),
        ([fo(1, FO.RELEASED, backordered=2)], [], FulfillmentStatus.BACKORDERED),
        ([fo(1, FO.SHIPPED), fo(2, FO.RELEASED, 5)], [], FulfillmentStatus.PARTIALLY_SHIPPED),
        ([fo(1, FO.PACKED), fo(2, FO.RELEASED)], [shipment(1, SH.LABEL_CREATED)],
         FulfillmentStatus.PARTIALLY_SHIPPED),
        ([fo(1, FO.SHIPPED), fo(2, FO.CANCELLED)], [shipment(1, SH.IN_TRANSIT)],
         FulfillmentStatus.SHIPPED),
        ([fo(1, FO.SHIPPED)], [shipment(1, SH.RETURNED_TO_SENDER)], FulfillmentStatus.SHIPPED),
        ([fo(1, FO.DELIVERED), fo(2, FO.RELEASED)], [], FulfillmentStatus.PARTIALLY_DELIVERED),
        ([fo(1, FO.SHIPPED)], [shipment(1, SH.DELIVERED), shipment(1, SH.DELAYED)],
         FulfillmentStatus.PARTIALLY_DELIVERED),
        ([fo(1, FO.SHIPPED)], [shipment(1, SH.DELIVERED)], FulfillmentStatus.DELIVERED),
        ([fo(1, FO.DELIVERED), fo(2, FO.CANCELLED)], [], FulfillmentStatus.DELIVERED),
    ],
)  # fmt: skip
def test_derivation_rules(
    orders: list[FulfillmentOrderRecord], shipments: list[ShipmentRecord], status: FulfillmentStatus
) -> None:
    assert fulfillment_status(orders, shipments) is status


def expected_status(statuses: list[str]) -> str:
    """The rule, restated over the world's fulfillment order statuses (it has no backorders)."""
    live = [s for s in statuses if s != "CANCELLED"]
    if not statuses:
        return "UNFULFILLED"
    if not live:
        return "CANCELLED"
    if all(s == "DELIVERED" for s in live):
        return "DELIVERED"
    if "DELIVERED" in live:
        return "PARTIALLY_DELIVERED"
    if all(s == "SHIPPED" for s in live):
        return "SHIPPED"
    if "SHIPPED" in live:
        return "PARTIALLY_SHIPPED"
    return "UNFULFILLED"


def test_world_orders_have_the_derived_status(wms_graph: httpx.Client, world: World) -> None:
    statuses: dict[str, list[str]] = defaultdict(list)
    for f in world.fulfillment_orders:
        statuses[f.order_id].append(f.status)
    wanted = {order.id: expected_status(statuses[order.id]) for order in world.orders}
    # One order of every status the world has, and a spread of the rest.
    picked = sorted({next(o for o, s in wanted.items() if s == status) for status in set(
        wanted.values())} | set(list(wanted)[::40]))  # fmt: skip
    assert {wanted[o] for o in picked} == set(wanted.values())
    reps = [{"__typename": "Order", "id": o} for o in picked]
    body = entities(wms_graph, reps, "... on Order { id fulfillmentStatus }")
    assert "errors" not in body
    answered = {e["id"]: e["fulfillmentStatus"] for e in body["data"]["_entities"]}
    assert answered == {o: wanted[o] for o in picked}
