"""The end-to-end order query through the gateway: CRM, ERP and WMS in one response."""

from __future__ import annotations

import httpx

from systems.world_records import World
from tests.support.e2e import (
    E2E_QUERY,
    assert_order_matches_world,
    shipped_order_with_open_case,
)
from tests.support.graphql import PREFLIGHTED


def post(url: str, body: object) -> httpx.Response:
    return httpx.post(f"{url}/graphql", json=body, timeout=30)


def test_order_with_account_lines_shipments_and_cases(graph_gateway_url: str, world: World) -> None:
    order = shipped_order_with_open_case(world)
    response = post(graph_gateway_url, {"query": E2E_QUERY, "variables": {"id": order.id}})
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body, body
    got = body["data"]["order"]
    assert_order_matches_world(got, order, world)
    assert got["total"]["currency"] == order.currency
    assert got["lines"], "the order has lines"
    assert got["shipments"], "the order has shipped"
    assert all(c["status"] != "CLOSED" for c in got["account"]["cases"])


def test_credit_hold_comes_from_the_erp_for_held_and_clear_accounts(
    graph_gateway_url: str, world: World
) -> None:
    held = next(a for a in world.accounts if a.credit_hold)
    clear = next(a for a in world.accounts if not a.credit_hold)
    for account in (held, clear):
        order = next(o for o in world.orders if o.account_id == account.id)
        query = "query ($id: ID!) { order(id: $id) { account { id name creditHold } } }"
        body = post(graph_gateway_url, {"query": query, "variables": {"id": order.id}}).json()
        assert body == {
            "data": {
                "order": {
                    "account": {
                        "id": account.id,
                        "name": account.name,
                        "creditHold": account.credit_hold,
                    }
                }
            }
        }


def test_get_serves_the_same_order(graph_gateway_url: str, world: World) -> None:
    order = shipped_order_with_open_case(world)
    posted = post(graph_gateway_url, {"query": E2E_QUERY, "variables": {"id": order.id}}).json()
    got = httpx.get(
        f"{graph_gateway_url}/graphql",
        params={"query": E2E_QUERY, "variables": f'{{"id": "{order.id}"}}'},
        headers=PREFLIGHTED,
        timeout=30,
    )
    assert got.status_code == 200
    assert got.json() == posted


def test_unknown_order_is_null_without_errors(graph_gateway_url: str) -> None:
    body = post(graph_gateway_url, {"query": E2E_QUERY, "variables": {"id": "nope"}}).json()
    assert body == {"data": {"order": None}}
