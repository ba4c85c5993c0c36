"""No N+1: one ``_entities`` request for 200 entities costs the WMS a few bulk calls."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from crossdock.settings import Settings
from systems.world_records import World
from tests.support.graphql import entities, route_counts
from tests.support.subgraphs import own_subgraph

# Fulfillment orders of the orders, their shipments, the products' inventory, the facilities
# (a cold cache loads them all at once): one bulk call each, however many entities.
MAX_WMS_CALLS = 4

SELECTION = """
... on Order {
  id
  fulfillmentStatus
  fulfillmentOrders {
    id status distributionCenter { name } lines { product { sku } quantity }
    shipments { id status }
  }
  shipments {
    id trackingNumber trackingEvents { status location occurredAt }
    fulfillmentOrder { id status } distributionCenter { id region }
  }
}
... on Product { sku availableToPromise inventory { available distributionCenter { name } } }
"""


@pytest.fixture
def cold_subgraph(settings: Settings) -> Iterator[httpx.Client]:
    """A WMS subgraph of its own, whose reference cache starts empty."""
    with own_subgraph("wms", settings) as client:
        yield client


def test_hundreds_of_entities_in_a_constant_number_of_calls(
    cold_subgraph: httpx.Client, wms_admin: httpx.Client, world: World
) -> None:
    shipped_orders = list(dict.fromkeys(s.order_id for s in world.shipments))[:100]
    skus = [p.sku for p in world.products[:100]]
    reps: list[dict[str, Any]] = [{"__typename": "Order", "id": o} for o in shipped_orders]
    reps += [{"__typename": "Product", "sku": sku} for sku in skus]
    before = route_counts(wms_admin)
    body = entities(cold_subgraph, reps, SELECTION)
    calls = route_counts(wms_admin) - before
    assert "errors" not in body
    found = body["data"]["_entities"]
    assert len(found) == 200
    orders, products = found[:100], found[100:]
    assert all(o["shipments"] and o["shipments"][0]["trackingEvents"] for o in orders)
    assert all(o["fulfillmentOrders"][0]["shipments"] for o in orders)
    assert all(len(p["inventory"]) == len(world.centers) for p in products)
    assert calls.total() <= MAX_WMS_CALLS, f"WMS calls for one request: {dict(calls)}"


def test_inventory_is_read_fresh_for_every_request(
    wms_graph: httpx.Client, wms_admin: httpx.Client, world: World
) -> None:
    reps = [{"__typename": "Product", "sku": world.products[1].sku}]
    before = route_counts(wms_admin)["GET /inventory"]
    for _ in range(2):
        body = entities(wms_graph, reps, "... on Product { availableToPromise }")
        assert "errors" not in body
    # Inventory changes with every allocation: never cached, one call per request.
    assert route_counts(wms_admin)["GET /inventory"] - before == 2
