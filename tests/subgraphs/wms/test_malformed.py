"""A WMS that answers nonsense: SUBGRAPH_ERROR on the affected fields, never a crash.

The only fake in these tests: a tiny app on loopback that answers malformed payloads.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from crossdock.settings import Settings
from tests.support.graphql import entities, error_codes, query
from tests.support.servers import serve
from tests.support.subgraphs import own_subgraph

FACILITY = {
    "facility_id": "ATL1",
    "facility_name": "Atlanta DC",
    "region_code": "SOUTHEAST",
    "time_zone": "America/New_York",
    "address": {
        "line1": "1 Dock St",
        "city": "Atlanta",
        "state_code": "GA",
        "postal_code": "30301",
        "country_code": "US",
    },
}
SHIPMENT = {
    "shipment_no": "SH-1",
    "fulfillment_order_no": "FO-1",
    "order_ref": "200001",
    "facility_id": "ATL1",
    "carrier_scac": "ZZZZ",  # no carrier the graph knows
    "service_level": "Ground",
    "tracking_no": "T1",
    "ship_status": "IT",
    "package_count": 1,
    "gross_weight_kg": "1.5",
    "ship_ts": "2026-10-01T12:00:00Z",
    "est_delivery_date": "2026-10-03",
    "delivered_ts": None,
    "lines": [],
    "events": [],
}


def envelope(data: list[dict[str, Any]]) -> dict[str, Any]:
    return {"data": data, "meta": {"total": len(data), "offset": 0, "limit": len(data)}}


def fake_wms() -> Starlette:
    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "system": "wms"})

    async def facilities(request: Request) -> Response:
        return JSONResponse(envelope([FACILITY]))

    async def shipments(request: Request) -> Response:
        return JSONResponse(envelope([SHIPMENT]))

    async def fulfillment_orders(request: Request) -> Response:
        return JSONResponse([{"fulfillment_order_no": "FO-1"}])  # no envelope

    async def inventory(request: Request) -> Response:
        return PlainTextResponse("<html>upstream proxy error</html>")  # not JSON

    async def receipts(request: Request) -> Response:
        return JSONResponse(envelope([{"receipt_no": "RR-1", "lines": "none"}]))

    return Starlette(
        routes=[
            Route("/health", health),
            Route("/facilities", facilities),
            Route("/shipments", shipments),
            Route("/fulfillment-orders", fulfillment_orders),
            Route("/inventory", inventory),
            Route("/return-receipts", receipts),
        ]
    )


@pytest.fixture(scope="module")
def subgraph(base_settings: Settings) -> Iterator[httpx.Client]:
    """A WMS subgraph over the fake WMS."""
    with (
        serve(fake_wms()) as wms_url,
        own_subgraph("wms", base_settings, wms_url=wms_url) as client,
    ):
        yield client


def test_malformed_record_fails_its_field_only(subgraph: httpx.Client) -> None:
    body = query(subgraph, '{ distributionCenters { id } shipment(id: "SH-1") { id } }')
    assert body["data"] == {"distributionCenters": [{"id": "ATL1"}], "shipment": None}
    assert error_codes(body) == [("SUBGRAPH_ERROR", ["shipment"])]
    message = body["errors"][0]["message"]
    assert message.startswith("wms gave an invalid answer: malformed Shipment")
    assert "carrier_scac" in message


@pytest.mark.parametrize(
    ("representation", "selection", "field"),
    [
        ({"__typename": "Order", "id": "1"}, "... on Order { fulfillmentOrders { id } }",
         "fulfillmentOrders"),
        ({"__typename": "Product", "sku": "SKU-1"}, "... on Product { availableToPromise }",
         "availableToPromise"),
        ({"__typename": "ReturnAuthorization", "id": "1"},
         "... on ReturnAuthorization { receipts { id } }", "receipts"),
    ],
)  # fmt: skip
def test_malformed_lists_fail_the_entity_field(
    subgraph: httpx.Client, representation: dict[str, Any], selection: str, field: str
) -> None:
    body = entities(subgraph, [representation], selection)
    # The WMS contributes the field to another subgraph's entity: nullable, only it is lost.
    assert body["data"] == {"_entities": [{field: None}]}
    assert error_codes(body) == [("SUBGRAPH_ERROR", ["_entities", 0, field])]
    assert body["errors"][0]["message"].startswith("wms gave an invalid answer")
    assert "Traceback" not in str(body)


def test_malformed_entity_fails_alone_in_its_batch(subgraph: httpx.Client) -> None:
    body = entities(
        subgraph,
        [
            {"__typename": "Shipment", "id": "SH-1"},
            {"__typename": "DistributionCenter", "id": "ATL1"},
        ],
        "... on Shipment { id } ... on DistributionCenter { name }",
    )
    assert body["data"] == {"_entities": [None, {"name": "Atlanta DC"}]}
    assert error_codes(body) == [("SUBGRAPH_ERROR", ["_entities", 0])]


def test_ready_follows_the_wms(subgraph: httpx.Client, base_settings: Settings) -> None:
    assert subgraph.get("/ready").status_code == 200
    with own_subgraph(
        "wms", base_settings, wms_url="http://127.0.0.1:9", system_timeout_seconds=0.5
    ) as client:
        assert client.get("/ready").status_code == 503
        assert client.get("/health").status_code == 200
