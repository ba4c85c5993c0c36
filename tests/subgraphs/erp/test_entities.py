"""``_entities`` of every ERP entity, unknown keys as null, and Account's orders and credit."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import httpx

from systems.world import credit_exposures
from systems.world_records import World
from tests.subgraphs.erp.expected import (
    INVOICE_FIELDS,
    ORDER_FIELDS,
    PRODUCT_FIELDS,
    expected_invoice,
    expected_order,
    expected_product,
    money,
)
from tests.support.graphql import data, error_codes, query, route_counts

ENTITIES = f"""
query($representations: [_Any!]!) {{
  _entities(representations: $representations) {{
    __typename
    ... on Account {{
      id paymentTerms creditLimit {{ amount currency }} creditExposure {{ amount currency }}
      creditHold priceList {{ id name discountPercent }}
    }}
    ... on Product {{ {PRODUCT_FIELDS} }}
    ... on Order {{ {ORDER_FIELDS} }}
    ... on Invoice {{ {INVOICE_FIELDS} }}
    ... on CreditMemo {{
      id number issuedAt total {{ amount }} order {{ id }} returnAuthorization {{ id }}
      lines {{ lineNumber quantity product {{ sku }} }}
    }}
    ... on ReturnAuthorization {{
      id number returnStatus: status declineReason createdAt
      order {{ id }} distributionCenter {{ id }}
      lines {{ lineNumber quantity reason product {{ sku }} }}
    }}
    ... on PriceList {{ id name }}
  }}
}}
"""


def entities(client: httpx.Client, *representations: dict[str, str]) -> list[Any]:
    result: list[Any] = data(client, ENTITIES, {"representations": list(representations)})[
        "_entities"
    ]
    return result


def test_account_credit_terms_and_price_list(erp_graph: httpx.Client, world: World) -> None:
    exposures = credit_exposures(world.orders, world.invoices)
    held = next(a for a in world.accounts if a.credit_hold)
    busy = max(world.accounts, key=lambda a: exposures.get(a.id, Decimal(0)))
    quiet = next(a for a in world.accounts if a.id not in exposures)
    lists = {pl.id: pl for pl in world.price_lists}
    found = entities(
        erp_graph, *({"__typename": "Account", "id": a.id} for a in (held, busy, quiet))
    )
    for account, entity in zip((held, busy, quiet), found, strict=True):
        price_list = lists[account.price_list_id]
        assert entity == {
            "__typename": "Account",
            "id": account.id,
            "paymentTerms": account.payment_terms,
            "creditLimit": money(account.credit_limit),
            "creditExposure": money(exposures.get(account.id, Decimal(0))),
            "creditHold": account.credit_hold,
            "priceList": {
                "id": price_list.id,
                "name": price_list.name,
                "discountPercent": float(price_list.discount_percent),
            },
        }


def test_product_order_and_invoice_entities(erp_graph: httpx.Client, world: World) -> None:
    product = world.products[42]
    invoice = next(i for i in world.invoices if i.status == "OPEN")
    order = next(o for o in world.orders if o.id == invoice.order_id)
    found = entities(
        erp_graph,
        {"__typename": "Product", "sku": product.sku},
        {"__typename": "Order", "id": order.id},
        {"__typename": "Invoice", "id": invoice.id},
    )
    assert found == [
        {"__typename": "Product", **expected_product(world, product)},
        {"__typename": "Order", **expected_order(world, order)},
        {"__typename": "Invoice", **expected_invoice(invoice)},
    ]


def test_credit_memo_and_return_authorization_entities(
    erp_graph: httpx.Client, world: World
) -> None:
    memo = world.credit_memos[0]
    declined = next(r for r in world.return_authorizations if r.status == "DECLINED")
    found = entities(
        erp_graph,
        {"__typename": "CreditMemo", "id": memo.id},
        {"__typename": "ReturnAuthorization", "id": declined.id},
        {"__typename": "PriceList", "id": "PL-GOLD"},
    )
    assert found[0] == {
        "__typename": "CreditMemo",
        "id": memo.id,
        "number": memo.number,
        "issuedAt": memo.issued_at.isoformat(),
        "total": {"amount": str(memo.total)},
        "order": {"id": memo.order_id},
        "returnAuthorization": {"id": memo.return_authorization_id},
        "lines": [
            {"lineNumber": x.line_number, "quantity": x.quantity, "product": {"sku": x.sku}}
            for x in memo.lines
        ],
    }
    assert found[1] == {
        "__typename": "ReturnAuthorization",
        "id": declined.id,
        "number": declined.number,
        "returnStatus": "DECLINED",
        "declineReason": declined.decline_reason,
        "createdAt": declined.created_at.isoformat(),
        "order": {"id": declined.order_id},
        "distributionCenter": {"id": declined.center_id},
        "lines": [
            {"lineNumber": n, "quantity": x.quantity, "reason": x.reason, "product": {"sku": x.sku}}
            for n, x in enumerate(declined.lines, start=1)
        ],
    }
    assert found[2] == {"__typename": "PriceList", "id": "PL-GOLD", "name": "Gold"}


def test_unknown_entities_are_null(erp_graph: httpx.Client, world: World) -> None:
    found = entities(
        erp_graph,
        {"__typename": "Account", "id": "001CD9999999999AAA"},
        {"__typename": "Product", "sku": "SKU-0"},
        {"__typename": "Order", "id": "1"},
        {"__typename": "Invoice", "id": "1"},
        {"__typename": "CreditMemo", "id": "x y"},
        {"__typename": "ReturnAuthorization", "id": "1"},
        {"__typename": "PriceList", "id": "PL-NONE"},
        {"__typename": "Order", "id": world.orders[0].id},
    )
    assert found[:7] == [None] * 7
    assert found[7]["id"] == world.orders[0].id


def test_order_relations(erp_graph: httpx.Client, world: World) -> None:
    memo = world.credit_memos[1]
    order = next(o for o in world.orders if o.id == memo.order_id)
    result = data(
        erp_graph,
        """query($id: ID!) { order(id: $id) {
             invoices { id order { id } }
             creditMemos { id }
             returnAuthorizations { id status }
             lines { product { sku name } }
        } }""",
        {"id": order.id},
    )["order"]
    assert [i["id"] for i in result["invoices"]] == [
        i.id for i in sorted((i for i in world.invoices if i.order_id == order.id),
                             key=lambda i: (i.issued_at, i.id))
    ]  # fmt: skip
    assert all(i["order"]["id"] == order.id for i in result["invoices"])
    assert memo.id in [m["id"] for m in result["creditMemos"]]
    returns = {r.id for r in world.return_authorizations if r.order_id == order.id}
    assert {r["id"] for r in result["returnAuthorizations"]} == returns
    names = {p.sku: p.name for p in world.products}
    assert [x["product"]["name"] for x in result["lines"]] == [names[x.sku] for x in order.lines]


ACCOUNT_ORDERS = """
query($reps: [_Any!]!, $first: Int, $after: String, $filter: OrderFilter) {
  _entities(representations: $reps) {
    ... on Account {
      id
      orders(first: $first, after: $after, filter: $filter) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage endCursor }
        edges { node { id status } }
      }
    }
  }
}
"""


def _account_orders(client: httpx.Client, ids: list[str], **variables: Any) -> list[Any]:
    reps = [{"__typename": "Account", "id": id_} for id_ in ids]
    result: list[Any] = data(client, ACCOUNT_ORDERS, {"reps": reps, **variables})["_entities"]
    return result


def test_account_orders_page_through(erp_graph: httpx.Client, world: World) -> None:
    account = Counter(o.account_id for o in world.orders).most_common(1)[0][0]
    mine = sorted(
        (o for o in world.orders if o.account_id == account),
        key=lambda o: (o.placed_at, int(o.id)),
        reverse=True,
    )
    seen: list[str] = []
    after = None
    while True:
        [entity] = _account_orders(erp_graph, [account], first=7, after=after)
        connection = entity["orders"]
        assert connection["totalCount"] == len(mine)
        seen += [e["node"]["id"] for e in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert seen == [o.id for o in mine]


def test_account_orders_filter_for_several_accounts(erp_graph: httpx.Client, world: World) -> None:
    accounts = [a for a, _ in Counter(o.account_id for o in world.orders).most_common(4)]
    found = _account_orders(
        erp_graph, accounts, first=3, filter={"status": ["COMPLETED", "CANCELLED"]}
    )
    for account, entity in zip(accounts, found, strict=True):
        expected = sorted(
            (o for o in world.orders
             if o.account_id == account and o.status in ("COMPLETED", "CANCELLED")),
            key=lambda o: (o.placed_at, int(o.id)),
            reverse=True,
        )  # fmt: skip
        assert entity["id"] == account
        assert entity["orders"]["totalCount"] == len(expected)
        assert [e["node"]["id"] for e in entity["orders"]["edges"]] == [o.id for o in expected[:3]]


def test_account_orders_bad_arguments(erp_graph: httpx.Client, world: World) -> None:
    reps = [{"__typename": "Account", "id": world.accounts[0].id}]
    body = query(erp_graph, ACCOUNT_ORDERS, {"reps": reps, "first": 500})
    assert error_codes(body) == [("BAD_USER_INPUT", ["_entities", 0, "orders"])]


def test_malformed_representations_are_bad_user_input(
    erp_graph: httpx.Client, erp_admin: httpx.Client, world: World
) -> None:
    product = world.products[7]
    representations: list[Any] = [
        {"__typename": "Product", "sku": 10001},
        {"__typename": "Product", "id": product.sku},
        {"__typename": "Contact", "id": "003CD0000000000AAA"},
        {"__typename": "Product", "sku": product.sku},
        "SKU-10001",
    ]
    before = route_counts(erp_admin)
    body = query(erp_graph, ENTITIES, {"representations": representations})
    calls = route_counts(erp_admin) - before
    assert body["data"] == {
        "_entities": [
            None,
            None,
            None,
            {"__typename": "Product", **expected_product(world, product)},
            None,
        ]
    }
    assert error_codes(body) == [("BAD_USER_INPUT", ["_entities", i]) for i in (0, 1, 2, 4)]
    assert [e["message"] for e in body["errors"]] == [
        "representations[0] (Product): key field sku:"
        " String cannot represent a non string value: 10001",
        "representations[1] (Product) lacks its key field(s): sku",
        "representations[2] has __typename 'Contact', which is not an entity of this subgraph"
        " (entities: Account, CreditMemo, DistributionCenter, Invoice, Order, PriceList,"
        " Product, ReturnAuthorization, Shipment)",
        "representations[4] must be an object with __typename and key fields",
    ]
    # Only the good representation reached the ERP (unless its item was cached already).
    assert sum(calls.values()) <= 1
