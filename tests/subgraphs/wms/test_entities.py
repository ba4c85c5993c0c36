"""``_entities`` for every entity the WMS subgraph owns or contributes to."""

from __future__ import annotations

from typing import Any

import httpx

from systems.world_records import World
from tests.subgraphs.wms import expected
from tests.support.graphql import entities, error_codes, route_counts


def test_distribution_centers(wms_graph: httpx.Client, world: World) -> None:
    reps: list[dict[str, Any]] = [
        {"__typename": "DistributionCenter", "id": c.id} for c in world.centers
    ]
    reps.append({"__typename": "DistributionCenter", "id": "NOPE1"})
    body = entities(wms_graph, reps, f"... on DistributionCenter {{ {expected.CENTER_FIELDS} }}")
    assert body == {"data": {"_entities": [*map(expected.center, world.centers), None]}}


def test_fulfillment_orders(wms_graph: httpx.Client, world: World) -> None:
    picked = [world.fulfillment_orders[0], world.fulfillment_orders[-1]]
    reps = [{"__typename": "FulfillmentOrder", "id": f.id} for f in picked]
    reps.insert(1, {"__typename": "FulfillmentOrder", "id": "FO-0"})
    body = entities(
        wms_graph, reps, f"... on FulfillmentOrder {{ {expected.FULFILLMENT_ORDER_FIELDS} }}"
    )
    want = [expected.fulfillment_order(picked[0]), None, expected.fulfillment_order(picked[1])]
    assert body == {"data": {"_entities": want}}


def test_shipments(wms_graph: httpx.Client, world: World) -> None:
    picked = [world.shipments[10], world.shipments[-1]]
    reps = [{"__typename": "Shipment", "id": s.id} for s in picked]
    reps.append({"__typename": "Shipment", "id": "SH-0"})
    body = entities(wms_graph, reps, f"... on Shipment {{ {expected.SHIPMENT_FIELDS} }}")
    assert body == {"data": {"_entities": [*map(expected.shipment, picked), None]}}


def test_products_inventory_and_availability(wms_graph: httpx.Client, world: World) -> None:
    skus = [world.products[0].sku, world.products[99].sku]
    reps = [{"__typename": "Product", "sku": sku} for sku in [*skus, "SKU-NOPE"]]
    selection = (
        f"... on Product {{ sku availableToPromise inventory {{ {expected.POSITION_FIELDS} }} }}"
    )
    body = entities(wms_graph, reps, selection)
    want = []
    for sku in skus:
        positions = sorted((i for i in world.inventory if i.sku == sku), key=lambda i: i.center_id)
        want.append({
            "sku": sku,
            "availableToPromise": sum(i.on_hand - i.allocated for i in positions),
            "inventory": [expected.position(i) for i in positions],
        })  # fmt: skip
    want.append({"sku": "SKU-NOPE", "availableToPromise": 0, "inventory": []})
    assert body == {"data": {"_entities": want}}


def test_orders_fulfillment_orders_and_shipments(wms_graph: httpx.Client, world: World) -> None:
    order = next(
        o.id for o in world.orders
        if sum(f.order_id == o.id for f in world.fulfillment_orders) > 1
    )  # fmt: skip
    reps = [{"__typename": "Order", "id": order}, {"__typename": "Order", "id": "1"}]
    selection = f"""
    ... on Order {{
      id
      fulfillmentOrders {{ {expected.FULFILLMENT_ORDER_FIELDS} }}
      shipments {{ {expected.SHIPMENT_FIELDS} }}
    }}
    """
    body = entities(wms_graph, reps, selection)
    fos = [f for f in world.fulfillment_orders if f.order_id == order]
    shipments = sorted((s for s in world.shipments if s.order_id == order), key=lambda s: s.id)
    assert body == {
        "data": {
            "_entities": [
                {
                    "id": order,
                    "fulfillmentOrders": [expected.fulfillment_order(f) for f in fos],
                    "shipments": [expected.shipment(s) for s in shipments],
                },
                {"id": "1", "fulfillmentOrders": [], "shipments": []},
            ]
        }
    }


def test_return_authorizations_receipts(wms_graph: httpx.Client, world: World) -> None:
    received = world.return_receipts[0].return_authorization_id
    waiting = next(
        ra.id for ra in world.return_authorizations
        if not any(r.return_authorization_id == ra.id for r in world.return_receipts)
    )  # fmt: skip
    reps = [{"__typename": "ReturnAuthorization", "id": ra} for ra in (received, waiting)]
    body = entities(
        wms_graph,
        reps,
        f"... on ReturnAuthorization {{ id receipts {{ {expected.RECEIPT_FIELDS} }} }}",
    )
    receipts = [r for r in world.return_receipts if r.return_authorization_id == received]
    assert body == {
        "data": {
            "_entities": [
                {"id": received, "receipts": [expected.receipt(r) for r in receipts]},
                {"id": waiting, "receipts": []},
            ]
        }
    }


def test_malformed_representations_are_bad_user_input(
    wms_graph: httpx.Client, wms_admin: httpx.Client, world: World
) -> None:
    center = world.centers[1]
    reps: list[Any] = [
        {"__typename": "Invoice", "id": "1"},
        {"__typename": "DistributionCenter", "id": center.id},
        {"__typename": "Shipment", "shipmentId": "SH-1"},
        {"__typename": "FulfillmentOrder", "id": None},
        {"__typename": None, "id": "1"},
    ]
    before = route_counts(wms_admin)
    body = entities(wms_graph, reps, "__typename ... on DistributionCenter { id name }")
    calls = route_counts(wms_admin) - before
    assert body["data"] == {
        "_entities": [
            None,
            {"__typename": "DistributionCenter", "id": center.id, "name": center.name},
            None,
            None,
            None,
        ]
    }
    assert error_codes(body) == [("BAD_USER_INPUT", ["_entities", i]) for i in (0, 2, 3, 4)]
    assert [e["message"] for e in body["errors"]] == [
        "representations[0] has __typename 'Invoice', which is not an entity of this subgraph"
        " (entities: Account, DistributionCenter, FulfillmentOrder, Order, Product,"
        " ReturnAuthorization, Shipment)",
        "representations[2] (Shipment) lacks its key field(s): id",
        "representations[3] (FulfillmentOrder): key field id must not be null",
        "representations[4] has no __typename",
    ]
    # Nothing but (perhaps) the center directory reached the WMS.
    assert set(calls) <= {"GET /facilities"}
