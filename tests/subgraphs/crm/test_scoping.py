"""The CRM subgraph with auth on: a customer sees its own account, contacts, cases and
activities, and of another account nothing, by any path (docs/auth.md)."""

from __future__ import annotations

import httpx

from tests.subgraphs.identity import NO_TOKEN, Customer, Roles, ask

ACCOUNT = """
query($id: ID!) {
  account(id: $id) { id name contacts { id } cases { id } activities(first: 5) { id } }
}
"""
ACCOUNTS = """
query($first: Int, $search: String) {
  accounts(first: $first, search: $search) {
    totalCount pageInfo { hasNextPage } edges { node { id } }
  }
}
"""
ENTITIES = """
query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on Account { id name }
    ... on Contact { id account { id } }
    ... on Case { id subject }
    ... on Order { id cases { id } activities(first: 5) { id } }
  }
}
"""


def _entities(client: httpx.Client, token: str, *representations: dict[str, str]) -> list[object]:
    body = ask(client, token, ENTITIES, {"representations": list(representations)})
    assert "errors" not in body, body
    entities: list[object] = body["data"]["_entities"]
    return entities


def test_a_customer_reads_its_own_account_and_what_it_holds(
    crm_guarded: httpx.Client, roles: Roles, xy: tuple[Customer, Customer]
) -> None:
    x, _ = xy
    account = ask(crm_guarded, roles.customer(), ACCOUNT, {"id": x.account.id})["data"]["account"]
    assert account["id"] == x.account.id and account["name"] == x.account.name
    assert {"id": x.contact_id} in account["contacts"]
    assert {"id": x.case.id} in account["cases"]


def test_another_account_is_null(
    crm_guarded: httpx.Client, roles: Roles, xy: tuple[Customer, Customer]
) -> None:
    _, y = xy
    body = ask(crm_guarded, roles.customer(), ACCOUNT, {"id": y.account.id})
    assert body == {"data": {"account": None}}


def test_a_customers_account_list_is_its_own_account(
    crm_guarded: httpx.Client, roles: Roles, xy: tuple[Customer, Customer]
) -> None:
    x, y = xy
    token = roles.customer()
    page = ask(crm_guarded, token, ACCOUNTS, {"first": 50})["data"]["accounts"]
    assert page == {
        "totalCount": 1,
        "pageInfo": {"hasNextPage": False},
        "edges": [{"node": {"id": x.account.id}}],
    }
    found = ask(crm_guarded, token, ACCOUNTS, {"first": 5, "search": x.account.number})
    assert found["data"]["accounts"]["totalCount"] == 1
    other = ask(crm_guarded, token, ACCOUNTS, {"first": 5, "search": y.account.number})
    assert other["data"]["accounts"] == {
        "totalCount": 0,
        "pageInfo": {"hasNextPage": False},
        "edges": [],
    }


def test_entities_of_another_account_are_null_or_empty(
    crm_guarded: httpx.Client, roles: Roles, xy: tuple[Customer, Customer]
) -> None:
    x, y = xy
    token = roles.customer()
    theirs = _entities(
        crm_guarded,
        token,
        {"__typename": "Account", "id": y.account.id},
        {"__typename": "Case", "id": y.case.id},
        {"__typename": "Order", "id": y.order.id},
    )
    # The CRM's Order is the ERP's to resolve (which answers null for it); its cases and
    # activities here are the customer's own only: none.
    assert theirs == [
        None,
        None,
        {"__typename": "Order", "id": y.order.id, "cases": [], "activities": []},
    ]
    mine = _entities(
        crm_guarded,
        token,
        {"__typename": "Account", "id": x.account.id},
        {"__typename": "Contact", "id": x.contact_id},
        {"__typename": "Case", "id": x.case.id},
        {"__typename": "Order", "id": x.order.id},
    )
    account, contact, case, order = mine
    assert account == {"__typename": "Account", "id": x.account.id, "name": x.account.name}
    assert contact == {"__typename": "Contact", "id": x.contact_id, "account": {"id": x.account.id}}
    assert case == {"__typename": "Case", "id": x.case.id, "subject": x.case.subject}
    assert isinstance(order, dict) and {"id": x.case.id} in order["cases"]


def test_a_contact_of_another_account_is_null(
    crm_guarded: httpx.Client, roles: Roles, xy: tuple[Customer, Customer]
) -> None:
    _, y = xy
    theirs = _entities(crm_guarded, roles.customer(), {"__typename": "Contact", "id": y.contact_id})
    assert theirs == [None]


def test_staff_reads_every_account(
    crm_guarded: httpx.Client, roles: Roles, xy: tuple[Customer, Customer]
) -> None:
    for customer in xy:
        body = ask(crm_guarded, roles.staff(), ACCOUNT, {"id": customer.account.id})
        assert body["data"]["account"]["id"] == customer.account.id
    page = ask(crm_guarded, roles.staff(), ACCOUNTS, {"first": 5})["data"]["accounts"]
    assert page["totalCount"] > 2


def test_without_a_token_no_data(crm_guarded: httpx.Client, xy: tuple[Customer, Customer]) -> None:
    x, _ = xy
    assert ask(crm_guarded, None, ACCOUNT, {"id": x.account.id}) == NO_TOKEN
    assert ask(crm_guarded, None, ACCOUNTS, {"first": 5}) == NO_TOKEN


def test_a_token_bound_to_no_account_sees_no_account(
    crm_guarded: httpx.Client, roles: Roles, xy: tuple[Customer, Customer]
) -> None:
    x, _ = xy
    token = roles.issuer.token(scope="accounts:read")
    assert ask(crm_guarded, token, ACCOUNT, {"id": x.account.id}) == {"data": {"account": None}}
    page = ask(crm_guarded, token, ACCOUNTS, {"first": 5})["data"]["accounts"]
    assert page["totalCount"] == 0 and page["edges"] == []
