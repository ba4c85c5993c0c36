"""Root fields of the CRM subgraph against the seeded CRM: account(id) and accounts(...)."""

from __future__ import annotations

import httpx
import pytest

from systems.world_records import World
from tests.subgraphs.crm.expected import (
    ACCOUNT_FIELDS,
    CASE_FIELDS,
    CONTACT_FIELDS,
    account_json,
    case_json,
    contact_json,
)
from tests.support.graphql import error_codes, query

ACCOUNT = f"query($id: ID!) {{ account(id: $id) {{ {ACCOUNT_FIELDS} }} }}"
ACCOUNTS = """
query($first: Int, $after: String, $search: String) {
  accounts(first: $first, after: $after, search: $search) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id number } }
  }
}
"""


def test_account_by_id(crm_graph: httpx.Client, world: World) -> None:
    for account in world.accounts[:3]:
        body = query(crm_graph, ACCOUNT, {"id": account.id})
        assert body == {"data": {"account": account_json(account)}}


def test_unknown_account_is_null(crm_graph: httpx.Client) -> None:
    for unknown in ("001CD000000NOPE000", "", "a,b", "x" * 500):
        assert query(crm_graph, ACCOUNT, {"id": unknown}) == {"data": {"account": None}}


def test_contacts_and_cases_of_an_account(crm_graph: httpx.Client, world: World) -> None:
    account = max(world.accounts, key=lambda a: sum(c.account_id == a.id for c in world.cases))
    document = f"""
    query($id: ID!) {{
      account(id: $id) {{
        contacts {{ {CONTACT_FIELDS} }}
        cases {{ {CASE_FIELDS} }}
        open: cases(open: true) {{ id status }}
        closed: cases(open: false) {{ id status }}
      }}
    }}
    """
    data = query(crm_graph, document, {"id": account.id})["data"]["account"]
    contacts = [c for c in world.contacts if c.account_id == account.id]
    assert sorted(data["contacts"], key=lambda c: c["id"]) == sorted(
        (contact_json(c) for c in contacts), key=lambda c: c["id"]
    )
    assert [c["primary"] for c in data["contacts"]] == sorted(
        (c["primary"] for c in data["contacts"]), reverse=True
    )
    cases = [c for c in world.cases if c.account_id == account.id]
    assert sorted(data["cases"], key=lambda c: c["id"]) == sorted(
        (case_json(c) for c in cases), key=lambda c: c["id"]
    )
    created = [c["createdAt"] for c in data["cases"]]
    assert created == sorted(created, reverse=True)
    assert {c["id"] for c in data["open"]} == {c.id for c in cases if c.status != "CLOSED"}
    assert {c["id"] for c in data["closed"]} == {c.id for c in cases if c.status == "CLOSED"}


def test_accounts_pages_in_number_order(crm_graph: httpx.Client, world: World) -> None:
    numbers = sorted(a.number for a in world.accounts)
    first = query(crm_graph, ACCOUNTS, {"first": 5})["data"]["accounts"]
    assert first["totalCount"] == len(world.accounts)
    assert [e["node"]["number"] for e in first["edges"]] == numbers[:5]
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    after = first["pageInfo"]["endCursor"]
    second = query(crm_graph, ACCOUNTS, {"first": 5, "after": after})["data"]["accounts"]
    assert [e["node"]["number"] for e in second["edges"]] == numbers[5:10]
    assert second["pageInfo"]["hasPreviousPage"] is True


def test_accounts_default_and_empty_pages(crm_graph: httpx.Client, world: World) -> None:
    default = query(crm_graph, ACCOUNTS)["data"]["accounts"]
    assert len(default["edges"]) == min(20, len(world.accounts))
    empty = query(crm_graph, ACCOUNTS, {"first": 0})["data"]["accounts"]
    assert empty["edges"] == [] and empty["totalCount"] == len(world.accounts)
    assert empty["pageInfo"]["startCursor"] is None


def test_accounts_search(crm_graph: httpx.Client, world: World) -> None:
    target = world.accounts[7]
    body = query(crm_graph, ACCOUNTS, {"search": target.number})
    assert [e["node"]["id"] for e in body["data"]["accounts"]["edges"]] == [target.id]
    nothing = query(crm_graph, ACCOUNTS, {"search": "no such account anywhere"})
    assert nothing["data"]["accounts"]["totalCount"] == 0


@pytest.mark.parametrize(
    "variables",
    [{"first": -1}, {"first": 101}, {"after": "not-a-cursor"}, {"search": "x" * 101}],
)
def test_bad_arguments_are_bad_user_input(
    crm_graph: httpx.Client, variables: dict[str, object]
) -> None:
    body = query(crm_graph, ACCOUNTS, variables)
    assert body["data"] == {"accounts": None}
    assert error_codes(body) == [("BAD_USER_INPUT", ["accounts"])]


def test_a_wrongly_typed_variable_is_bad_user_input(crm_graph: httpx.Client) -> None:
    body = query(crm_graph, ACCOUNTS, {"first": "ten"})
    assert [code for code, _ in error_codes(body)] == ["BAD_USER_INPUT"]
