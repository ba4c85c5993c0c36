"""A failing WMS: located SUBGRAPH_ERRORs, 429s retried within bounds, timeouts bounded."""

from __future__ import annotations

import time

import httpx

from crossdock.settings import Settings
from systems.world_records import World
from tests.support.graphql import SetFaults, entities, error_codes, query, route_counts
from tests.support.subgraphs import own_subgraph

SHIPMENT = "query($id: ID!) { shipment(id: $id) { id trackingNumber } }"


def shipment_requests(admin: httpx.Client) -> int:
    return route_counts(admin)["GET /shipments"]


def test_unavailable_wms_fails_only_the_fields_it_serves(
    wms_graph: httpx.Client, wms_faults: SetFaults, world: World
) -> None:
    shipment = world.shipments[0]
    center = world.centers[0]
    document = """
    query($id: ID!, $center: ID!) {
      distributionCenters { id }
      center: distributionCenter(id: $center) { name }
      shipment(id: $id) { id }
    }
    """
    variables = {"id": shipment.id, "center": center.id}
    # Distribution centers are reference data: once read, they are served from the cache.
    warm = query(wms_graph, document, variables)
    assert "errors" not in warm
    wms_faults(error_rate=1.0)
    body = query(wms_graph, document, variables)
    centers = [{"id": c.id} for c in sorted(world.centers, key=lambda c: c.id)]
    assert body["data"] == {
        "distributionCenters": centers,
        "center": {"name": center.name},
        "shipment": None,
    }
    assert error_codes(body) == [("SUBGRAPH_ERROR", ["shipment"])]
    assert "wms is unavailable" in body["errors"][0]["message"]
    assert "503" in body["errors"][0]["message"]


def test_unavailable_wms_in_entities_is_located(
    wms_graph: httpx.Client, wms_faults: SetFaults, world: World
) -> None:
    order = world.shipments[0].order_id
    wms_faults(error_rate=1.0)
    reps = [
        {"__typename": "Order", "id": order},
        {"__typename": "Product", "sku": world.products[0].sku},
    ]
    body = entities(
        wms_graph, reps, "... on Order { id fulfillmentOrders { id } } ... on Product { sku }"
    )
    assert body["data"] == {
        "_entities": [{"id": order, "fulfillmentOrders": None}, {"sku": world.products[0].sku}]
    }
    assert error_codes(body) == [("SUBGRAPH_ERROR", ["_entities", 0, "fulfillmentOrders"])]


def test_rate_limited_wms_is_retried_after_retry_after(
    settings: Settings, wms_admin: httpx.Client, wms_faults: SetFaults, world: World
) -> None:
    shipment = world.shipments[1]
    with own_subgraph(
        "wms", settings, system_max_retries=5, system_max_retry_after_seconds=0.2
    ) as graph:
        # Two tokens a second: spend them, so the subgraph's first call is answered 429 and a
        # retry (after at most 0.2s, not the 1s Retry-After says) finds a fresh token.
        wms_faults(rate_limit_per_second=2)
        statuses = [wms_admin.get("/facilities").status_code for _ in range(3)]
        assert statuses[-1] == 429
        before = shipment_requests(wms_admin)
        body = query(graph, SHIPMENT, {"id": shipment.id})
        assert body == {
            "data": {"shipment": {"id": shipment.id, "trackingNumber": shipment.tracking_number}}
        }
        assert shipment_requests(wms_admin) - before >= 2  # a 429, then the answer


def test_rate_limiting_that_persists_fails_after_bounded_retries(
    settings: Settings, wms_admin: httpx.Client, wms_faults: SetFaults, world: World
) -> None:
    with own_subgraph(
        "wms", settings, system_max_retries=2, system_max_retry_after_seconds=0.05
    ) as graph:
        wms_faults(rate_limit_per_second=0.01)
        assert wms_admin.get("/facilities").status_code == 200  # the only token
        before = shipment_requests(wms_admin)
        started = time.monotonic()
        body = query(graph, SHIPMENT, {"id": world.shipments[2].id})
        elapsed = time.monotonic() - started
        assert body["data"] == {"shipment": None}
        assert error_codes(body) == [("SUBGRAPH_ERROR", ["shipment"])]
        assert "429" in body["errors"][0]["message"]
        assert shipment_requests(wms_admin) - before == 3  # the first try and two retries
        # Retry-After says 1s or more; the subgraph waits at most 0.05s between tries.
        assert elapsed < 1.0


def test_slow_wms_fails_within_the_timeout(
    settings: Settings, wms_faults: SetFaults, world: World
) -> None:
    timeout = 0.3
    with own_subgraph("wms", settings, system_timeout_seconds=timeout) as graph:
        wms_faults(latency_ms=1500)
        started = time.monotonic()
        body = query(graph, SHIPMENT, {"id": world.shipments[3].id})
        elapsed = time.monotonic() - started
    assert body["data"] == {"shipment": None}
    assert error_codes(body) == [("SUBGRAPH_ERROR", ["shipment"])]
    assert "timed out" in body["errors"][0]["message"]
    assert timeout <= elapsed < timeout + 1.0
