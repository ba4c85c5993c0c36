"""No N+1: one ``_entities`` call over 100 orders costs the ERP a small, fixed number of calls."""

from __future__ import annotations

import httpx

from crossdock.settings import Settings
from systems.world_records import World
from tests.support.graphql import data, route_counts, system_requests
from tests.support.subgraphs import own_subgraph

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


ONE_CALL_EACH = {
    route: 1
    for route in (
        "GET /salesOrders",
        "GET /customers",
        "GET /invoices",
        "GET /creditMemos",
        "GET /returnAuthorizations",
    )
}
"""The ERP routes an order's fields take, one batched call each."""


def test_hundred_orders_in_one_entities_call(
    settings: Settings, erp_admin: httpx.Client, world: World
) -> None:
    orders = world.orders[-100:]
    reps = [{"__typename": "Order", "id": o.id} for o in orders]
    skus = {line.sku for o in orders for line in o.lines}
    with own_subgraph("erp", settings) as graph:
        before, routes_before = system_requests(erp_admin), route_counts(erp_admin)
        found = data(graph, ORDERS_WITH_EVERYTHING, {"reps": reps})["_entities"]
        calls = system_requests(erp_admin) - before
        routes = route_counts(erp_admin) - routes_before
        # orders, accounts, invoices, credit memos, returns: one call each; items by 100s.
        # Customers are read twice over one route: their terms (reference data, for the
        # prices; cached) and their credit (live). The two reads share one call when they are
        # in flight together with the same ids, and are two calls when they are not (or none
        # for the terms, already cached by another test): one or two, never one per order.
        item_batches = -(-len(skus) // 100)
        customer_calls = routes["GET /customers"]
        assert customer_calls in (1, 2), routes
        assert calls <= 5 + item_batches + 1, routes
        assert routes == {
            **ONE_CALL_EACH,
            "GET /customers": customer_calls,
            "GET /items": item_batches,
        }
        assert [o["id"] for o in found] == [o.id for o in orders]
        names = {p.sku: p.name for p in world.products}
        for order, entity in zip(orders, found, strict=True):
            assert [x["product"]["name"] for x in entity["lines"]] == [
                names[x.sku] for x in order.lines
            ]

        # Products are reference data: the second time they come from the cache, and only
        # the live reads go to the ERP.
        # Counted per route: the world is shared, and another test's call to some other ERP
        # route may land meanwhile (CI saw 6 requests where these made 5).
        routes_before = route_counts(erp_admin)
        data(graph, ORDERS_WITH_EVERYTHING, {"reps": reps})
        routes = route_counts(erp_admin) - routes_before
        assert "GET /items" not in routes, routes
        # Customers: the live credit read, and (CI saw it once, not explained yet) the terms
        # read again; never one per order.
        assert routes["GET /customers"] in (1, 2), routes
        assert routes == {**ONE_CALL_EACH, "GET /customers": routes["GET /customers"]}


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
    with own_subgraph("erp", settings) as graph:
        before = route_counts(erp_admin)
        data(graph, document, {"reps": reps})
        calls = route_counts(erp_admin) - before
    assert calls["GET /salesOrders/byCustomer"] == 1
    # Resolving the accounts themselves: one (cached) customers call.
    assert calls["GET /customers"] == 1
