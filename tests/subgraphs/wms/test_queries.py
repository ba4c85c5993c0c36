"""The WMS subgraph's root fields against the seeded world: centers and shipments."""

from __future__ import annotations

import httpx
import pytest

from systems.world_records import World
from tests.subgraphs.wms import expected
from tests.support.graphql import error_codes, query

CENTER = f"query($id: ID!) {{ distributionCenter(id: $id) {{ {expected.CENTER_FIELDS} }} }}"
SHIPMENT = f"query($id: ID!) {{ shipment(id: $id) {{ {expected.SHIPMENT_FIELDS} }} }}"
BY_TRACKING = f"""
query($number: String!) {{
  shipmentByTracking(trackingNumber: $number) {{ {expected.SHIPMENT_FIELDS} }}
}}
"""


def test_distribution_centers_are_every_center(wms_graph: httpx.Client, world: World) -> None:
    body = query(wms_graph, f"{{ distributionCenters {{ {expected.CENTER_FIELDS} }} }}")
    centers = sorted(world.centers, key=lambda c: c.id)
    assert body == {"data": {"distributionCenters": [expected.center(c) for c in centers]}}


def test_distribution_center_by_id(wms_graph: httpx.Client, world: World) -> None:
    for center in world.centers:
        body = query(wms_graph, CENTER, {"id": center.id})
        assert body == {"data": {"distributionCenter": expected.center(center)}}


def test_shipment_by_id_and_by_tracking(wms_graph: httpx.Client, world: World) -> None:
    in_flight = [s for s in world.shipments if s.delivered_at is None]
    for shipment in (world.shipments[0], in_flight[0], in_flight[-1]):
        want = {"data": {"shipment": expected.shipment(shipment)}}
        assert query(wms_graph, SHIPMENT, {"id": shipment.id}) == want
        tracked = query(wms_graph, BY_TRACKING, {"number": shipment.tracking_number})
        assert tracked == {"data": {"shipmentByTracking": expected.shipment(shipment)}}


def test_every_shipment_status_and_carrier_maps(wms_graph: httpx.Client, world: World) -> None:
    seen: dict[tuple[str, str], str] = {}
    for s in world.shipments:
        seen.setdefault((s.status, s.carrier), s.id)
    for (status, carrier), shipment_id in sorted(seen.items()):
        body = query(
            wms_graph,
            "query($id: ID!) { shipment(id: $id) { status carrier trackingEvents { status } } }",
            {"id": shipment_id},
        )
        found = body["data"]["shipment"]
        assert (found["status"], found["carrier"]) == (status, carrier)


def test_shipment_of_fulfillment_order_and_back(wms_graph: httpx.Client, world: World) -> None:
    shipment = world.shipments[5]
    fo = next(f for f in world.fulfillment_orders if f.id == shipment.fulfillment_order_id)
    document = f"""
    query($id: ID!) {{
      shipment(id: $id) {{
        fulfillmentOrder {{ {expected.FULFILLMENT_ORDER_FIELDS} shipments {{ id }} }}
        distributionCenter {{ {expected.CENTER_FIELDS} }}
      }}
    }}
    """
    body = query(wms_graph, document, {"id": shipment.id})
    center = next(c for c in world.centers if c.id == shipment.center_id)
    shipments = [s.id for s in world.shipments if s.fulfillment_order_id == fo.id]
    assert body == {
        "data": {
            "shipment": {
                "fulfillmentOrder": {**expected.fulfillment_order(fo), "shipments": [
                    {"id": s} for s in sorted(shipments)
                ]},
                "distributionCenter": expected.center(center),
            }
        }
    }  # fmt: skip


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        ("query($id: ID!) { distributionCenter(id: $id) { id } }", {"id": "NOPE1"}),
        ("query($id: ID!) { shipment(id: $id) { id } }", {"id": "SH-0"}),
        (
            "query($n: String!) { shipmentByTracking(trackingNumber: $n) { id } }",
            {"n": "1Z0000000000000000"},
        ),
    ],
)
def test_unknown_ids_are_null(
    wms_graph: httpx.Client, document: str, variables: dict[str, str]
) -> None:
    body = query(wms_graph, document, variables)
    assert "errors" not in body
    assert list(body["data"].values()) == [None]


@pytest.mark.parametrize(
    ("document", "variables", "field"),
    [
        (
            "query($id: ID!) { distributionCenter(id: $id) { id } }",
            {"id": ""},
            "distributionCenter",
        ),
        ("query($id: ID!) { shipment(id: $id) { id } }", {"id": "SH-1,SH-2"}, "shipment"),
        ("query($id: ID!) { shipment(id: $id) { id } }", {"id": "x" * 65}, "shipment"),
        (
            "query($n: String!) { shipmentByTracking(trackingNumber: $n) { id } }",
            {"n": "   "},
            "shipmentByTracking",
        ),
    ],
)
def test_malformed_arguments_are_bad_user_input(
    wms_graph: httpx.Client, document: str, variables: dict[str, str], field: str
) -> None:
    body = query(wms_graph, document, variables)
    assert body["data"] == {field: None}
    assert error_codes(body) == [("BAD_USER_INPUT", [field])]


def test_missing_argument_is_a_validation_error(wms_graph: httpx.Client) -> None:
    body = query(wms_graph, "{ shipment { id } }")
    assert error_codes(body) == [("GRAPHQL_VALIDATION_FAILED", [])]
