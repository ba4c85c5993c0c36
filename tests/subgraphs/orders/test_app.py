"""The orders subgraph served on loopback: its SDL, readiness, and a promise over the systems."""

from __future__ import annotations

from typing import Any

import httpx

from subgraphs.common.sdl import subgraph_sdl
from subgraphs.orders.schema import schema

PROMISE = """
query($input: PromiseOrderInput!) {
  promiseOrder(input: $input) {
    outcome
    lines { sku availability { distributionCenter { id } available } }
    userErrors { code }
  }
}
"""


def post(url: str, query: str, variables: dict[str, object] | None = None) -> dict[str, object]:
    response = httpx.post(
        f"{url}/graphql", json={"query": query, "variables": variables or {}}, timeout=30
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_it_publishes_its_sdl(orders_subgraph_url: str) -> None:
    body = post(orders_subgraph_url, "{ _service { sdl } }")
    assert body["data"] == {"_service": {"sdl": subgraph_sdl(schema)}}


def test_it_is_ready_once_its_journal_is_recovered(orders_subgraph_url: str) -> None:
    response = httpx.get(f"{orders_subgraph_url}/ready", timeout=30)
    assert response.json() == {
        "status": "ready",
        "service": "orders",
        "checks": {"journal": "ok", "crm": "ok", "erp": "ok", "wms": "ok"},
    }


def test_a_promise_reads_the_systems(orders_subgraph_url: str) -> None:
    input = {
        "accountId": "001CD0000000026AAA",
        "lines": [{"sku": "SKU-10001", "quantity": 1}],
        "shipTo": {
            "street": "1 Raymond Plaza",
            "city": "Newark",
            "state": "NJ",
            "postalCode": "07105",
            "country": "US",
            "region": "NORTHEAST",
        },
    }
    body = post(orders_subgraph_url, PROMISE, {"input": input})
    promise = body["data"]["promiseOrder"]  # type: ignore[index]
    assert promise["outcome"] in {"CONFIRMED", "ON_HOLD"}
    [line] = promise["lines"]
    assert {a["distributionCenter"]["id"] for a in line["availability"]} == {
        "ATL1",
        "EWR1",
        "ORD1",
        "RNO1",
    }


def test_a_blank_idempotency_key_is_bad_user_input(orders_subgraph_url: str) -> None:
    body = post(
        orders_subgraph_url,
        """mutation { cancelOrder(orderId: "1", reason: "x", idempotencyKey: " ") {
             cancelledSkus } }""",
    )
    errors: list[dict[str, Any]] = body["errors"]  # type: ignore[assignment]
    [error] = errors
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_metrics_count_the_workflow_steps(orders_subgraph_url: str) -> None:
    test_a_promise_reads_the_systems(orders_subgraph_url)
    response = httpx.get(f"{orders_subgraph_url}/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE crossdock_workflow_steps_total counter" in response.text
