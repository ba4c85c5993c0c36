"""Account.activities and Order.activities, and cases opened through ``POST /cases`` on
Account.cases and Order.cases, over a CRM of this module's own (the tests write to it): newest
first, ``first`` honoured and checked, one CRM call for every account or order of a request."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from crossdock.settings import Settings
from subgraphs.apps import create_subgraph_app
from systems.apps import create_system_app
from systems.world_records import World
from tests.orchestration.conftest import copy_world
from tests.support.graphql import data, error_codes, query, route_counts
from tests.support.rest import ok
from tests.support.servers import serve

ACTIVITY = "id subject description type occurredAt orderNumber account { id } order { id }"
ACCOUNTS = 3
PER_ACCOUNT = 4


@dataclass
class Written:
    """The module's CRM, its subgraph, and the activities entered per account, oldest first."""

    rest: httpx.Client
    graph: httpx.Client
    activities: dict[str, list[dict[str, Any]]]
    case: dict[str, Any]


@pytest.fixture(scope="module")
def written(
    settings: Settings, world: World, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Written]:
    own = copy_world(settings, tmp_path_factory.mktemp("crm-activities"))
    with ExitStack() as stack:
        url = stack.enter_context(serve(create_system_app("crm", own.systems)))
        own = own.model_copy(update={"crm_url": url})
        graph_url = stack.enter_context(serve(create_subgraph_app("crm", own.subgraphs)))
        rest = stack.enter_context(httpx.Client(base_url=url, timeout=30))
        graph = stack.enter_context(httpx.Client(base_url=graph_url, timeout=30))
        activities: dict[str, list[dict[str, Any]]] = {}
        for a, account in enumerate(world.accounts[:ACCOUNTS]):
            activities[account.id] = [
                ok(rest.post("/tasks", json=task(account.id, a, n)), 201)
                for n in range(PER_ACCOUNT)
            ]
        first = world.accounts[0].id
        body = {
            "External_Id__c": "evt-exc:case",
            "AccountId": first,
            "Subject": "Delivery exception on order SO-900000",
            "Priority": "High",
            "Origin": "Warehouse",
            "ERP_Order_Id__c": "900000",
            "ERP_Order_Number__c": "SO-900000",
        }
        case = ok(rest.post("/cases", json=body), 201)
        yield Written(rest, graph, activities, case)


def task(account_id: str, a: int, n: int) -> dict[str, Any]:
    """The ``n``th activity of the ``a``th account: about order 90000a, a day apart."""
    body: dict[str, Any] = {
        "External_Id__c": f"evt-{a}-{n}:activity",
        "AccountId": account_id,
        "Subject": f"Order SO-90000{a} step {n}",
        "Description": f"Step {n} of order SO-90000{a}.",
        "Type": "Fulfillment",
        "ActivityDateTime": f"2026-11-1{n}T08:00:00Z",
    }
    if n % 2 == 0 or a == 0:  # some activities are about no order
        body |= {"ERP_Order_Id__c": f"90000{a}", "ERP_Order_Number__c": f"SO-90000{a}"}
    return body


def activity_json(record: dict[str, Any]) -> dict[str, Any]:
    order = record["ERP_Order_Id__c"]
    return {
        "id": record["Id"],
        "subject": record["Subject"],
        "description": record["Description"],
        "type": "FULFILLMENT",
        "occurredAt": record["ActivityDateTime"].replace(".000Z", "+00:00"),
        "orderNumber": record["ERP_Order_Number__c"],
        "account": {"id": record["AccountId"]},
        "order": None if order is None else {"id": order},
    }


def test_an_accounts_activities_are_newest_first(written: Written) -> None:
    for account_id, entered in written.activities.items():
        document = f"query($id: ID!) {{ account(id: $id) {{ activities {{ {ACTIVITY} }} }} }}"
        found = data(written.graph, document, {"id": account_id})["account"]["activities"]
        assert found == [activity_json(record) for record in reversed(entered)]


def test_a_page_of_accounts_with_their_latest_activities_is_one_crm_call(
    written: Written,
) -> None:
    ids = list(written.activities)
    document = """
    query($ids: [_Any!]!) {
      _entities(representations: $ids) {
        ... on Account { id latest: activities(first: 2) { id } all: activities { id } }
      }
    }
    """
    before = route_counts(written.rest)
    accounts = data(written.graph, document, {"ids": [
        {"__typename": "Account", "id": account_id} for account_id in ids
    ]})["_entities"]  # fmt: skip
    calls = route_counts(written.rest) - before
    # One call per distinct `first` (2 and the default 20) for every account at once.
    assert calls["GET /tasks"] == 2
    for account in accounts:
        newest = [r["Id"] for r in reversed(written.activities[account["id"]])]
        assert [a["id"] for a in account["latest"]] == newest[:2]
        assert [a["id"] for a in account["all"]] == newest


def test_an_orders_activities_and_cases(written: Written, world: World) -> None:
    document = """
    query($ids: [_Any!]!) {
      _entities(representations: $ids) {
        ... on Order {
          id
          activities(first: 1) { id subject }
          every: activities { id }
          cases { id subject status priority origin account { id } }
        }
      }
    }
    """
    orders = ["900000", "900001", "900002", "900009"]
    before = route_counts(written.rest)
    found = data(written.graph, document, {"ids": [
        {"__typename": "Order", "id": order} for order in orders
    ]})["_entities"]  # fmt: skip
    calls = route_counts(written.rest) - before
    assert (calls["GET /tasks"], calls["GET /cases"]) == (2, 1)
    by_order = {o["id"]: o for o in found}
    for a, account_id in enumerate(written.activities):
        about = [r for r in reversed(written.activities[account_id])
                 if r["ERP_Order_Id__c"] == f"90000{a}"]  # fmt: skip
        order = by_order[f"90000{a}"]
        assert [x["id"] for x in order["every"]] == [r["Id"] for r in about]
        assert order["activities"] == [{"id": about[0]["Id"], "subject": about[0]["Subject"]}]
    assert by_order["900009"] == {"id": "900009", "activities": [], "every": [], "cases": []}
    assert by_order["900000"]["cases"] == [
        {
            "id": written.case["Id"],
            "subject": "Delivery exception on order SO-900000",
            "status": "NEW",
            "priority": "HIGH",
            "origin": "WAREHOUSE",
            "account": {"id": world.accounts[0].id},
        }
    ]


def test_an_opened_case_is_the_accounts_newest_open_case(written: Written, world: World) -> None:
    document = "query($id: ID!) { account(id: $id) { cases(open: true) { id origin } } }"
    cases = data(written.graph, document, {"id": world.accounts[0].id})["account"]["cases"]
    assert cases[0] == {"id": written.case["Id"], "origin": "WAREHOUSE"}


@pytest.mark.parametrize("first", [0, -1, 101])
def test_first_out_of_range_is_a_user_error(written: Written, first: int) -> None:
    account_id = next(iter(written.activities))
    document = "query($id: ID!, $n: Int) { account(id: $id) { activities(first: $n) { id } } }"
    body = query(written.graph, document, {"id": account_id, "n": first})
    assert error_codes(body) == [("BAD_USER_INPUT", ["account", "activities"])]
    assert "between 1 and 100" in body["errors"][0]["message"]


def test_first_null_is_the_default(written: Written) -> None:
    account_id = next(iter(written.activities))
    document = "query($id: ID!) { account(id: $id) { activities(first: null) { id } } }"
    found = data(written.graph, document, {"id": account_id})["account"]["activities"]
    assert len(found) == PER_ACCOUNT


def test_an_account_without_activities_has_none(written: Written, world: World) -> None:
    document = "query($id: ID!) { account(id: $id) { activities { id } } }"
    quiet = world.accounts[ACCOUNTS].id
    assert data(written.graph, document, {"id": quiet}) == {"account": {"activities": []}}


def test_every_new_field_is_described(written: Written) -> None:
    document = """
    {
      activity: __type(name: "Activity") { description fields { name description } }
      account: __type(name: "Account") { fields { name description args { name type { name } } } }
      order: __type(name: "Order") { fields { name description } }
    }
    """
    found = data(written.graph, document)
    assert found["activity"]["description"]
    assert all(field["description"] for field in found["activity"]["fields"])
    [on_account] = [f for f in found["account"]["fields"] if f["name"] == "activities"]
    assert on_account["description"] and on_account["args"] == [
        {"name": "first", "type": {"name": "Int"}}
    ]
    [on_order] = [f for f in found["order"]["fields"] if f["name"] == "activities"]
    assert on_order["description"]
