"""_entities of the CRM subgraph: Account, Contact, Case and Order.cases, batched, never N+1."""

from __future__ import annotations

from typing import Any

import httpx

from systems.world_records import World
from tests.subgraphs.crm.expected import (
    ACCOUNT_FIELDS,
    CASE_FIELDS,
    CONTACT_FIELDS,
    account_json,
    case_json,
    contact_json,
)
from tests.support.graphql import error_codes, query, route_counts, system_requests

ENTITIES = f"""
query($representations: [_Any!]!) {{
  _entities(representations: $representations) {{
    __typename
    ... on Account {{ {ACCOUNT_FIELDS} }}
    ... on Contact {{ {CONTACT_FIELDS} }}
    ... on Case {{ {CASE_FIELDS} }}
    ... on Order {{ id cases {{ id }} }}
  }}
}}
"""


def entities(client: httpx.Client, *representations: dict[str, Any]) -> list[Any]:
    body = query(client, ENTITIES, {"representations": list(representations)})
    assert "errors" not in body, body["errors"]
    result: list[Any] = body["data"]["_entities"]
    return result


def test_accounts_contacts_and_cases_by_key(crm_graph: httpx.Client, world: World) -> None:
    account, contact, case = world.accounts[10], world.contacts[4], world.cases[2]
    found = entities(
        crm_graph,
        {"__typename": "Account", "id": account.id},
        {"__typename": "Contact", "id": contact.id},
        {"__typename": "Case", "id": case.id},
    )
    assert found == [
        {"__typename": "Account", **account_json(account)},
        {"__typename": "Contact", **contact_json(contact)},
        {"__typename": "Case", **case_json(case)},
    ]


def test_order_cases(crm_graph: httpx.Client, world: World) -> None:
    order_ids = sorted({c.order_id for c in world.cases if c.order_id is not None})[:3]
    without_cases = next(o.id for o in world.orders if o.id not in order_ids)
    found = entities(
        crm_graph,
        *({"__typename": "Order", "id": order_id} for order_id in [*order_ids, without_cases]),
    )
    for order_id, entity in zip([*order_ids, without_cases], found, strict=True):
        expected = {c.id for c in world.cases if c.order_id == order_id}
        assert entity["id"] == order_id
        assert {c["id"] for c in entity["cases"]} == expected


def test_unknown_keys_are_null(crm_graph: httpx.Client, world: World) -> None:
    found = entities(
        crm_graph,
        {"__typename": "Account", "id": "001CD000000NOPE000"},
        {"__typename": "Case", "id": "500NOPE"},
        {"__typename": "Contact", "id": "003NOPE"},
        {"__typename": "Account", "id": world.accounts[0].id},
    )
    assert found[:3] == [None, None, None]
    assert found[3]["id"] == world.accounts[0].id


def test_a_hundred_accounts_with_contacts_and_cases_take_a_few_calls(
    crm_graph: httpx.Client, crm_admin: httpx.Client, world: World
) -> None:
    accounts = world.accounts[-100:]
    document = """
    query($representations: [_Any!]!) {
      _entities(representations: $representations) {
        ... on Account {
          id name
          contacts { id account { id name } }
          cases { id contact { id } account { id } }
          open: cases(open: true) { id }
        }
      }
    }
    """
    representations = [{"__typename": "Account", "id": a.id} for a in accounts]
    before = system_requests(crm_admin)
    body = query(crm_graph, document, {"representations": representations})
    calls = system_requests(crm_admin) - before
    assert "errors" not in body
    found = body["data"]["_entities"]
    assert [e["id"] for e in found] == [a.id for a in accounts]
    for account, entity in zip(accounts, found, strict=True):
        assert {c["id"] for c in entity["contacts"]} == {
            c.id for c in world.contacts if c.account_id == account.id
        }
        assert {c["id"] for c in entity["cases"]} == {
            c.id for c in world.cases if c.account_id == account.id
        }
    # accounts (unless cached), contacts of the accounts, cases of the accounts
    assert calls <= 3


def test_duplicate_representations_share_one_load(
    crm_graph: httpx.Client, crm_admin: httpx.Client, world: World
) -> None:
    case = world.cases[0]
    representations = [{"__typename": "Case", "id": case.id}] * 5
    before = system_requests(crm_admin)
    found = entities(crm_graph, *representations)
    assert system_requests(crm_admin) - before <= 4
    assert all(entity == {"__typename": "Case", **case_json(case)} for entity in found)


def test_malformed_representations_are_bad_user_input(
    crm_graph: httpx.Client, world: World
) -> None:
    account = world.accounts[3]
    representations = [
        {"__typename": "Account"},
        {"__typename": "Product", "sku": "SKU-10001"},
        {"__typename": "Account", "id": account.id},
        {"id": account.id},
    ]
    body = query(crm_graph, ENTITIES, {"representations": representations})
    assert body["data"] == {
        "_entities": [None, None, {"__typename": "Account", **account_json(account)}, None]
    }
    assert error_codes(body) == [
        ("BAD_USER_INPUT", ["_entities", 0]),
        ("BAD_USER_INPUT", ["_entities", 1]),
        ("BAD_USER_INPUT", ["_entities", 3]),
    ]
    messages = [e["message"] for e in body["errors"]]
    assert messages[0] == "representations[0] (Account) lacks its key field(s): id"
    assert messages[1].startswith("representations[1] has __typename 'Product', which is not")
    assert messages[2] == "representations[3] has no __typename"


def test_a_hundred_orders_with_their_cases_take_a_few_calls(
    crm_graph: httpx.Client, crm_admin: httpx.Client, world: World
) -> None:
    with_cases = sorted({c.order_id for c in world.cases if c.order_id is not None})
    orders = [*with_cases[:60], *(o.id for o in world.orders[:40])]
    document = """
    query($representations: [_Any!]!) {
      _entities(representations: $representations) {
        ... on Order { id cases { id account { id name } contact { id name } } }
      }
    }
    """
    representations = [{"__typename": "Order", "id": order_id} for order_id in orders]
    before = route_counts(crm_admin)
    body = query(crm_graph, document, {"representations": representations})
    calls = route_counts(crm_admin) - before
    assert "errors" not in body
    found = body["data"]["_entities"]
    assert [e["id"] for e in found] == orders
    for order_id, entity in zip(orders, found, strict=True):
        assert {c["id"] for c in entity["cases"]} == {
            c.id for c in world.cases if c.order_id == order_id
        }
    # The cases of every order, then their accounts (unless cached) and those accounts'
    # contacts: one bulk call each, however many orders.
    assert calls["GET /cases"] == 1
    assert calls["GET /accounts"] <= 1
    assert calls["GET /contacts"] <= 1
    assert sum(calls.values()) <= 3
