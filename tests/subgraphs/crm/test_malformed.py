"""A CRM that answers malformed payloads: SUBGRAPH_ERROR on the affected fields, never a crash.

The only fake in these tests: a tiny app on loopback that speaks the CRM's routes wrongly.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from crossdock.settings import Settings
from tests.support.graphql import error_codes, query
from tests.support.servers import serve
from tests.support.subgraphs import own_subgraph

GOOD_ACCOUNT = {
    "Id": "001GOOD",
    "Name": "Good Co",
    "AccountNumber": "ACC-1",
    "Segment__c": "Mid-Market",
    "Region__c": "West",
    "Tier__c": "Gold",
    "Owner": {"Name": "Pat"},
    "IsActive__c": True,
    "CreatedDate": "2025-01-02T03:04:05.000Z",
}
BAD_ACCOUNTS: dict[str, dict[str, Any]] = {
    "001NONAME": {k: v for k, v in GOOD_ACCOUNT.items() if k != "Name"},
    "001BADTYPE": {**GOOD_ACCOUNT, "IsActive__c": "yes"},
    "001BADTIER": {**GOOD_ACCOUNT, "Tier__c": "Adamantium"},
    "001BADDATE": {**GOOD_ACCOUNT, "CreatedDate": "yesterday"},
}


def envelope(records: list[Any]) -> dict[str, Any]:
    return {"totalSize": len(records), "done": True, "records": records, "nextOffset": None}


def fake_crm() -> Starlette:
    async def accounts(request: Request) -> Response:
        ids = request.query_params.get("ids", "").split(",")
        if "001NOTJSON" in ids:
            return PlainTextResponse("<html>maintenance</html>")
        if "001NOENVELOPE" in ids:
            return JSONResponse([GOOD_ACCOUNT])
        records = [{**BAD_ACCOUNTS[i], "Id": i} for i in ids if i in BAD_ACCOUNTS]
        if "001GOOD" in ids:
            records.append(GOOD_ACCOUNT)
        if not ids[0]:  # the paged list
            return JSONResponse({"totalSize": "many", "records": [GOOD_ACCOUNT]})
        return JSONResponse(envelope(records))

    async def contacts(request: Request) -> Response:
        return JSONResponse({"totalSize": 1, "records": "not a list"})

    async def cases(request: Request) -> Response:
        return JSONResponse(envelope([{"Id": "500X", "Status": "Sleeping"}]))

    return Starlette(
        routes=[
            Route("/accounts", accounts),
            Route("/contacts", contacts),
            Route("/cases", cases),
        ]
    )


@pytest.fixture
def malformed(settings: Settings) -> Iterator[httpx.Client]:
    """A CRM subgraph over the fake CRM, with a cache of its own (nothing cached yet)."""
    with serve(fake_crm()) as crm_url, own_subgraph("crm", settings, crm_url=crm_url) as client:
        yield client


@pytest.mark.parametrize("account_id", [*BAD_ACCOUNTS, "001NOTJSON", "001NOENVELOPE"])
def test_a_malformed_account_is_a_subgraph_error(malformed: httpx.Client, account_id: str) -> None:
    body = query(
        malformed,
        'query($id: ID!) { good: account(id: "001GOOD") { id } bad: account(id: $id) { id } }',
        {"id": account_id},
    )
    # Both accounts are one batch, so the bad one fails the good one too; nothing crashes.
    assert body["data"] == {"good": None, "bad": None}
    assert sorted(error_codes(body)) == [("SUBGRAPH_ERROR", ["bad"]), ("SUBGRAPH_ERROR", ["good"])]
    assert all(e["message"].startswith("crm gave an invalid answer") for e in body["errors"])


def test_a_well_formed_account_from_the_fake_is_normalized(malformed: httpx.Client) -> None:
    body = query(
        malformed,
        '{ account(id: "001GOOD") '
        "{ name segment region tier owner active billingAddress { city } } }",
    )
    assert body == {
        "data": {
            "account": {
                "name": "Good Co",
                "segment": "MID_MARKET",
                "region": "WEST",
                "tier": "GOLD",
                "owner": "Pat",
                "active": True,
                "billingAddress": None,
            }
        }
    }


def test_malformed_lists_fail_only_their_fields(malformed: httpx.Client) -> None:
    body = query(
        malformed,
        '{ account(id: "001GOOD") { name contacts { id } } '
        'named: account(id: "001GOOD") { name } }',
    )
    assert body["data"] == {"account": None, "named": {"name": "Good Co"}}
    assert error_codes(body) == [("SUBGRAPH_ERROR", ["account", "contacts"])]
    listed = query(malformed, "{ accounts(first: 1) { totalCount } }")
    assert listed["data"] == {"accounts": None}  # a root field is nullable: only it is lost
    assert error_codes(listed) == [("SUBGRAPH_ERROR", ["accounts"])]


def test_a_malformed_case_is_a_subgraph_error(malformed: httpx.Client) -> None:
    body = query(
        malformed,
        """
        {
          _entities(representations: [
            {__typename: "Case", id: "500X"}, {__typename: "Order", id: "O1"}
          ]) { ... on Case { id } ... on Order { id cases { id } } }
          account(id: "001GOOD") { name }
        }
        """,
    )
    assert body["data"] == {
        "_entities": [None, {"id": "O1", "cases": None}],
        "account": {"name": "Good Co"},
    }
    assert sorted(error_codes(body)) == [
        ("SUBGRAPH_ERROR", ["_entities", 0]),
        ("SUBGRAPH_ERROR", ["_entities", 1, "cases"]),
    ]
