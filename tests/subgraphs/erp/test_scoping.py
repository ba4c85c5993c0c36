"""The ERP subgraph with auth on: a customer sees its own account's orders, invoices and
what follows them, and of another account nothing, by any path (docs/auth.md)."""

from __future__ import annotations

import httpx

from systems.world_records import World
from tests.subgraphs.identity import NO_TOKEN, Customer, Roles, ask

ORDER = "query($id: ID!) { order(id: $id) { id number account { id } } }"
BY_NUMBER = "query($n: String!) { orderByNumber(number: $n) { id number } }"
ORDERS = "query($first: Int) { orders(first: $first) { totalCount edges { node { id } } } }"
ENTITIES = """
query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on Order { id number invoices { id } }
    ... on Account { id creditLimit { amount } orders(first: 5) { totalCount } }
    ... on Invoice { id number }
  }
}
"""


def _entities(client: httpx.Client, token: str, *representations: dict[str, str]) -> list[object]:
    body = ask(client, token, ENTITIES, {"representations": list(representations)})
    assert "errors" not in body, body
    entities: list[object] = body["data"]["_entities"]
    return entities


def test_a_customer_reads_its_own_order_by_id_and_number(
    erp_guarded: httpx.Client, roles: Roles, xy: tuple[Customer, Customer]
) -> None:
    x, _ = xy
    token = roles.customer()
    order = ask(erp_guarded, token, ORDER, {"id": x.order.id})["data"]["order"]
    assert order == {"id": x.order.id, "number": x.order.number, "account": {"id": x.account.id}}
    by_number = ask(erp_guarded, token, BY_NUMBER, {"n": x.order.number})["data"]
    assert by_number == {"orderByNumber": {"id": x.order.id, "number": x.order.number}}


def test_another_accounts_order_is_null_as_if_it_did_not_exist(
    erp_guarded: httpx.Client, roles: Roles, xy: tuple[Customer, Customer]
) -> None:
    _, y = xy
    token = roles.customer()
    assert ask(erp_guarded, token, ORDER, {"id": y.order.id}) == {"data": {"order": None}}
    assert ask(erp_guarded, token, BY_NUMBER, {"n": y.order.number}) == {
        "data": {"orderByNumber": None}
    }
    unknown = ask(erp_guarded, token, ORDER, {"id": "999999999"})
    assert unknown == {"data": {"order": None}}


def test_a_customers_order_list_is_its_own_accounts_with_consistent_totals(
    erp_guarded: httpx.Client,
    roles: Roles,
    world_orders_of: dict[str, list[str]],
    xy: tuple[Customer, Customer],
) -> None:
    x, _ = xy
    mine = world_orders_of[x.account.id]
    page = ask(erp_guarded, roles.customer(), ORDERS, {"first": 100})["data"]["orders"]
    assert page["totalCount"] == len(mine)
    assert sorted(edge["node"]["id"] for edge in page["edges"]) == sorted(mine)
    first = ask(erp_guarded, roles.customer(), ORDERS, {"first": 1})["data"]["orders"]
    assert first["totalCount"] == len(mine) and len(first["edges"]) == 1


def test_staff_reads_every_account(
    erp_guarded: httpx.Client,
    roles: Roles,
    xy: tuple[Customer, Customer],
    world_orders_of: dict[str, list[str]],
) -> None:
    x, y = xy
    for customer in (x, y):
        order = ask(erp_guarded, roles.staff(), ORDER, {"id": customer.order.id})["data"]
        assert order["order"]["id"] == customer.order.id
    page = ask(erp_guarded, roles.staff(), ORDERS, {"first": 1})["data"]["orders"]
    assert page["totalCount"] == sum(len(ids) for ids in world_orders_of.values())


def test_entities_of_another_account_are_null(
    erp_guarded: httpx.Client, roles: Roles, xy: tuple[Customer, Customer]
) -> None:
    x, y = xy
    token = roles.customer()
    theirs = _entities(
        erp_guarded,
        token,
        {"__typename": "Order", "id": y.order.id},
        {"__typename": "Account", "id": y.account.id},
        {"__typename": "Invoice", "id": y.invoice.id},
    )
    assert theirs == [None, None, None]
    mine = _entities(
        erp_guarded,
        token,
        {"__typename": "Order", "id": x.order.id},
        {"__typename": "Account", "id": x.account.id},
        {"__typename": "Invoice", "id": x.invoice.id},
    )
    order, account, invoice = mine
    assert isinstance(order, dict) and order["number"] == x.order.number
    assert {"id": x.invoice.id} in order["invoices"]
    assert isinstance(account, dict) and account["id"] == x.account.id
    assert account["orders"]["totalCount"] > 0
    assert invoice == {"__typename": "Invoice", "id": x.invoice.id, "number": x.invoice.number}


def test_without_a_token_nothing_of_any_account(
    erp_guarded: httpx.Client, xy: tuple[Customer, Customer]
) -> None:
    x, _ = xy
    assert ask(erp_guarded, None, ORDER, {"id": x.order.id}) == NO_TOKEN
    assert ask(erp_guarded, None, ORDERS, {"first": 5}) == NO_TOKEN
    # Reference data too: a direct call without a token gets no data at all.
    assert ask(erp_guarded, None, '{ product(sku: "SKU-10001") { sku } }') == NO_TOKEN


def test_a_token_bound_to_no_account_sees_no_order(
    erp_guarded: httpx.Client, roles: Roles, xy: tuple[Customer, Customer]
) -> None:
    x, _ = xy
    token = roles.issuer.token(scope="orders:read")
    assert ask(erp_guarded, token, ORDER, {"id": x.order.id}) == {"data": {"order": None}}
    page = ask(erp_guarded, token, ORDERS, {"first": 5})["data"]["orders"]
    assert page == {"totalCount": 0, "edges": []}


def test_auth_off_reads_every_account_as_before(
    erp_graph: httpx.Client, xy: tuple[Customer, Customer]
) -> None:
    _, y = xy
    order = ask(erp_graph, None, ORDER, {"id": y.order.id})["data"]["order"]
    assert order["id"] == y.order.id


def test_credit_memos_and_returns_of_another_account_are_null(
    erp_guarded: httpx.Client, roles: Roles, world: World
) -> None:
    memo = world.credit_memos[0]
    authorization = world.return_authorizations[0]
    document = """
    query($representations: [_Any!]!) {
      _entities(representations: $representations) {
        ... on CreditMemo { id } ... on ReturnAuthorization { id }
      }
    }
    """
    reps = [
        {"__typename": "CreditMemo", "id": memo.id},
        {"__typename": "ReturnAuthorization", "id": authorization.id},
    ]
    other = roles.customer(account_id="001NOBODYSACCOUNT")
    assert ask(erp_guarded, other, document, {"representations": reps}) == {
        "data": {"_entities": [None, None]}
    }
    own = ask(
        erp_guarded,
        roles.customer(account_id=memo.account_id),
        document,
        {"representations": reps[:1]},
    )
    assert own == {"data": {"_entities": [{"id": memo.id}]}}
    staff = ask(erp_guarded, roles.staff(), document, {"representations": reps})
    assert staff == {"data": {"_entities": [{"id": memo.id}, {"id": authorization.id}]}}
