"""The ERP subgraph's root fields against the test world: orders, products, paging, bad input."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from systems.world_records import World
from tests.subgraphs.erp.expected import (
    ORDER_FIELDS,
    PRODUCT_FIELDS,
    expected_order,
    expected_product,
)
from tests.support.graphql import data, error_codes, query


def test_order_by_id_and_number(erp_graph: httpx.Client, world: World) -> None:
    invoiced = {i.order_id for i in world.invoices}
    credited = {m.order_id for m in world.credit_memos}
    picks = [
        next(o for o in world.orders if o.status == "ON_HOLD"),
        next(o for o in world.orders if o.status == "DRAFT"),
        next(o for o in world.orders if o.id in credited),
        next(o for o in world.orders if o.status == "CONFIRMED" and o.id in invoiced),
        next(o for o in world.orders if o.ship_to.street != "" and len(o.lines) > 3),
    ]
    for order in picks:
        result = data(
            erp_graph,
            f"""query($id: ID!, $number: String!) {{
              order(id: $id) {{ {ORDER_FIELDS} }}
              orderByNumber(number: $number) {{ id number }}
            }}""",
            {"id": order.id, "number": order.number},
        )
        assert result["order"] == expected_order(world, order)
        assert result["orderByNumber"] == {"id": order.id, "number": order.number}


def test_unknown_ids_are_null(erp_graph: httpx.Client) -> None:
    result = data(
        erp_graph,
        """{
          order(id: "1") { id }
          weird: order(id: "a,b") { id }
          orderByNumber(number: "SO-0") { id }
          product(sku: "SKU-0") { sku }
          empty: product(sku: "") { sku }
        }""",
    )
    assert result == {
        "order": None,
        "weird": None,
        "orderByNumber": None,
        "product": None,
        "empty": None,
    }


def test_product_by_sku(erp_graph: httpx.Client, world: World) -> None:
    broken = {b.sku for b in world.quantity_breaks}
    inactive = next(p for p in world.products if not p.active)
    with_breaks = next(p for p in world.products if p.sku in broken)
    for product in (inactive, with_breaks):
        result = data(
            erp_graph,
            f"query($sku: String!) {{ product(sku: $sku) {{ {PRODUCT_FIELDS} }} }}",
            {"sku": product.sku},
        )
        assert result["product"] == expected_product(world, product)


def test_products_page_and_search(erp_graph: httpx.Client, world: World) -> None:
    document = """query($after: String, $search: String) {
      products(first: 3, after: $after, search: $search) {
        totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
        edges { cursor node { sku name } }
      }
    }"""
    first = data(erp_graph, document)["products"]
    skus = sorted(p.sku for p in world.products)
    assert first["totalCount"] == len(world.products)
    assert [e["node"]["sku"] for e in first["edges"]] == skus[:3]
    assert first["pageInfo"]["hasNextPage"] and not first["pageInfo"]["hasPreviousPage"]
    second = data(erp_graph, document, {"after": first["pageInfo"]["endCursor"]})["products"]
    assert [e["node"]["sku"] for e in second["edges"]] == skus[3:6]
    assert second["pageInfo"]["hasPreviousPage"]
    word = world.products[11].name.split()[0]
    found = data(erp_graph, document, {"search": word})["products"]
    matching = [p for p in world.products if word.lower() in p.name.lower()]
    assert found["totalCount"] == len(matching)
    assert all(word.lower() in e["node"]["name"].lower() for e in found["edges"])


def test_orders_page_newest_first_with_filter(erp_graph: httpx.Client, world: World) -> None:
    newest = sorted(world.orders, key=lambda o: (o.placed_at, int(o.id)), reverse=True)
    result = data(erp_graph, "{ orders(first: 4) { totalCount edges { node { id } } } }")
    assert result["orders"]["totalCount"] == len(world.orders)
    assert [e["node"]["id"] for e in result["orders"]["edges"]] == [o.id for o in newest[:4]]

    day = newest[50].placed_at.date()
    after, before = day - timedelta(days=3), day + timedelta(days=3)
    result = data(
        erp_graph,
        """query($after: Date!, $before: Date!) {
          orders(first: 100, filter: {status: [CONFIRMED, COMPLETED], placedAfter: $after,
                                       placedBefore: $before}) {
            totalCount edges { node { id status placedAt } }
          }
        }""",
        {"after": after.isoformat(), "before": before.isoformat()},
    )["orders"]
    expected = [
        o
        for o in newest
        if o.status in ("CONFIRMED", "COMPLETED") and after < o.placed_at.date() < before
    ]
    assert result["totalCount"] == len(expected)
    assert [e["node"]["id"] for e in result["edges"]] == [o.id for o in expected][:100]


def test_adjacent_days_select_nothing(erp_graph: httpx.Client) -> None:
    result = data(
        erp_graph,
        """{ orders(filter: {placedAfter: "2026-05-01", placedBefore: "2026-05-02"}) {
             totalCount edges { cursor } } }""",
    )
    assert result == {"orders": {"totalCount": 0, "edges": []}}


@pytest.mark.parametrize(
    "document",
    [
        "{ orders(first: -1) { totalCount } }",
        "{ orders(first: 101) { totalCount } }",
        '{ orders(after: "not-a-cursor") { totalCount } }',
        '{ orders(filter: {placedAfter: "2026-05-02", placedBefore: "2026-05-01"}) '
        "{ totalCount } }",
        "{ products(first: 1000) { totalCount } }",
        '{ products(after: "Zm9v") { totalCount } }',
        f'{{ products(search: "{"x" * 101}") {{ totalCount }} }}',
    ],
)
def test_bad_arguments_are_bad_user_input(erp_graph: httpx.Client, document: str) -> None:
    body = query(erp_graph, document)
    assert list(body["data"].values()) == [None]  # the root field, nullable, and nothing else
    assert [code for code, _ in error_codes(body)] == ["BAD_USER_INPUT"]


def test_a_bad_variable_is_bad_user_input(erp_graph: httpx.Client) -> None:
    body = query(erp_graph, "query($d: Date) { orders(filter: {placedAfter: $d}) { totalCount } }",
                 {"d": "yesterday"})  # fmt: skip
    assert [code for code, _ in error_codes(body)] == ["BAD_USER_INPUT"]
