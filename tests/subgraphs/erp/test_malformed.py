"""An ERP that answers nonsense: SUBGRAPH_ERROR on the fields it affects, never a crash.

The ERP here is a tiny fake on loopback (the only fake in these tests): each route answers
one kind of malformed payload that the real ERP never would.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from crossdock.settings import Settings
from tests.support.graphql import error_codes, query
from tests.support.servers import serve
from tests.support.subgraphs import own_subgraph


def _envelope(*items: object) -> dict[str, object]:
    return {"items": list(items), "count": len(items), "offset": 0,
            "totalResults": len(items), "hasMore": False}  # fmt: skip


async def sales_orders(request: Request) -> Response:
    # Money as a float and no lines: both refused.
    return JSONResponse(_envelope({"internalId": "1", "tranId": "SO-1", "total": 12.5}))


async def items(request: Request) -> Response:
    return PlainTextResponse("<html>upstream proxy error</html>")


async def customers(request: Request) -> Response:
    return JSONResponse({"items": "not a list"})


async def invoices(request: Request) -> Response:
    invoice = {
        "internalId": "9", "tranId": "INV-9", "entity": {"externalId": "001"},
        "status": "Haunted", "currency": {"refName": "USD"},
        "createdDate": "2026-01-01T00:00:00+00:00", "subtotal": "1.00", "taxTotal": "0.00",
        "total": "1.00", "item": {"items": []}, "createdFrom": {"internalId": "1"},
        "dueDate": "2026-02-01", "amountRemaining": "1.00",
    }  # fmt: skip
    return JSONResponse(_envelope(invoice))


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


@pytest.fixture(scope="module")
def fake_erp_url() -> Iterator[str]:
    app = Starlette(
        routes=[
            Route("/salesOrders", sales_orders),
            Route("/items", items),
            Route("/customers", customers),
            Route("/invoices", invoices),
            Route("/health", health),
        ]
    )
    with serve(app) as url:
        yield url


@pytest.fixture(scope="module")
def graph(settings: Settings, fake_erp_url: str) -> Iterator[httpx.Client]:
    with own_subgraph("erp", settings, erp_url=fake_erp_url) as client:
        yield client


def test_malformed_payloads_fail_their_fields(graph: httpx.Client) -> None:
    body = query(
        graph,
        """{
          order(id: "1") { id }
          product(sku: "SKU-1") { name }
          _service { sdl }
        }""",
    )
    assert body["data"]["order"] is None
    assert body["data"]["product"] is None
    assert body["data"]["_service"]["sdl"]
    assert sorted(error_codes(body)) == [
        ("SUBGRAPH_ERROR", ["order"]),
        ("SUBGRAPH_ERROR", ["product"]),
    ]
    messages = {tuple(e["path"]): e["message"] for e in body["errors"]}
    assert messages[("order",)].startswith("erp gave an invalid answer: malformed SalesOrder")
    assert "not JSON" in messages[("product",)]
    for error in body["errors"]:
        assert "Traceback" not in error["message"]


def test_a_malformed_list_fails_the_list(graph: httpx.Client) -> None:
    body = query(graph, "{ products(first: 1) { totalCount } }")
    assert body["data"] == {"products": None}
    assert error_codes(body) == [("SUBGRAPH_ERROR", ["products"])]


def test_malformed_entities_are_located(graph: httpx.Client) -> None:
    body = query(
        graph,
        """query($reps: [_Any!]!) { _entities(representations: $reps) {
             ... on Account { creditHold } ... on Invoice { id }
        } }""",
        {"reps": [{"__typename": "Account", "id": "001"}, {"__typename": "Invoice", "id": "9"}]},
    )
    assert body["data"] == {"_entities": [None, None]}
    assert sorted(error_codes(body)) == [
        ("SUBGRAPH_ERROR", ["_entities", 0]),
        ("SUBGRAPH_ERROR", ["_entities", 1]),
    ]
    assert "status" in next(e for e in body["errors"] if e["path"][1] == 1)["message"]


def test_ready_reflects_what_the_erp_answers(graph: httpx.Client) -> None:
    # Its health check is fine, but a real read (one item) answers an HTML error page: an ERP
    # that cannot serve is not one to send requests to.
    response = graph.get("/ready")
    assert response.status_code == 503, response.text
    assert response.json()["checks"] == {"erp": "failing"}
    assert graph.get("/health").status_code == 200
