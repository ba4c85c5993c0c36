"""No N+1: one ``_entities`` call over 100 orders costs the ERP a small, fixed number of calls."""

from __future__ import annotations

import httpx

from crossdock.settings import Settings
from systems.world_records import World
from tests.subgraphs.erp.apps import subgraph_with
from tests.subgraphs.erp.graphql import data, erp_requests

ORDERS_WITH_EVERYTHING = """
query($reps: [_Any!]!) {
  _entities(representations: $reps) {
    ... on Order {
      id
      lines { product { name listPrice { amount } } }
      account { creditHold }
      invoices { id }
      creditMemos { id }
      returnAuthorizations { id }
    }
  }
}
"""


def _route_counts(admin: httpx.Client) -> dict[str, int]:
    response = admin.get("/_admin/stats")
    assert response.status_code == 200, response.text
    counts: dict[str, int] = response.json()["requests"]
    return counts


def test_hundred_orders_in_one_entities_call(
    settings: Settings, erp_admin: httpx.Client, world: World
) -> None:
    orders = world.orders[-100:]
    reps = [{"__typename": "Order", "id": o.id} for o in orders]
    skus = {line.sku for o in orders for line in o.lines}
    with subgraph_with(settings) as graph:
        before, routes_before = erp_requests(erp_admin), _route_counts(erp_admin)
        found = data(graph, ORDERS_WITH_EVERYTHING, {"reps": reps})["_entities"]
        calls = erp_requests(erp_admin) - before
        routes = {
            route: count - routes_before.get(route, 0)
            for route, count in _route_counts(erp_admin).items()
            if count != routes_before.get(route, 0)
        }
        # orders, accounts, invoices, credit memos, returns: one call each; items by 100s.
        item_batches = -(-len(skus) // 100)
        assert calls <= 5 + item_batches, routes
        assert routes == {
            "GET /salesOrders": 1,
            "GET /customers": 1,
            "GET /invoices": 1,
            "GET /creditMemos": 1,
            "GET /returnAuthorizations": 1,
            "GET /items": item_batches,
        }
        assert [o["id"] for o in found] == [o.id for o in orders]
        names = {p.sku: p.name for p in world.products}
        for order, entity in zip(orders, found, strict=True):
            assert [x["product"]["name"] for x in entity["lines"]] == [
                names[x.sku] for x in order.lines
            ]

        # Products are reference data: the second time they come from the cache.
        before = erp_requests(erp_admin)
        data(graph, ORDERS_WITH_EVERYTHING, {"reps": reps})
        assert erp_requests(erp_admin) - before == 5


def test_account_orders_of_many_accounts_in_one_call(
    settings: Settings, erp_admin: httpx.Client, world: World
) -> None:
    accounts = [a.id for a in world.accounts[:60]]
    document = """
    query($reps: [_Any!]!) {
      _entities(representations: $reps) {
        ... on Account { orders(first: 2) { totalCount edges { node { id total { amount } } } } }
      }
    }
    """
    reps = [{"__typename": "Account", "id": a} for a in accounts]
    with subgraph_with(settings) as graph:
        before = _route_counts(erp_admin)
        data(graph, document, {"reps": reps})
        after = _route_counts(erp_admin)
    assert after["GET /salesOrders/byCustomer"] - before.get("GET /salesOrders/byCustomer", 0) == 1
    # Resolving the accounts themselves: one (cached) customers call.
    assert after["GET /customers"] - before.get("GET /customers", 0) == 1
