"""The reference CRM's REST API: envelopes, paging, search, bulk lookups, errors, payloads."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from systems.crm.picklists import (
    CASE_ORIGINS,
    CASE_PRIORITIES,
    CASE_STATUSES,
    REGIONS,
    SEGMENTS,
    TIERS,
)
from systems.crm.storage import crm_timestamp
from systems.world_records import AccountRecord, CaseRecord, World
from tests.support.rest import error_code, ok


def expected_account(a: AccountRecord) -> dict[str, Any]:
    address = a.billing_address
    return {
        "attributes": {"type": "Account", "url": f"/services/data/v59.0/sobjects/Account/{a.id}"},
        "Id": a.id,
        "Name": a.name,
        "AccountNumber": a.number,
        "Segment__c": SEGMENTS[a.segment],
        "Region__c": REGIONS[a.region],
        "Tier__c": TIERS[a.tier],
        "Owner": {"Name": a.owner},
        "Industry": a.industry,
        "Phone": a.phone,
        "IsActive__c": a.active,
        "BillingStreet": address.street,
        "BillingCity": address.city,
        "BillingState": address.state,
        "BillingPostalCode": address.postal_code,
        "BillingCountry": address.country,
        "CreatedDate": crm_timestamp(a.created_at),
    }


def expected_case(c: CaseRecord) -> dict[str, Any]:
    return {
        "attributes": {"type": "Case", "url": f"/services/data/v59.0/sobjects/Case/{c.id}"},
        "Id": c.id,
        "CaseNumber": c.case_number,
        "AccountId": c.account_id,
        "ContactId": c.contact_id,
        "Subject": c.subject,
        "Description": c.description,
        "Status": CASE_STATUSES[c.status],
        "Priority": CASE_PRIORITIES[c.priority],
        "Origin": CASE_ORIGINS[c.origin],
        "ERP_Order_Id__c": c.order_id,
        "ERP_Order_Number__c": c.order_number,
        "CreatedDate": crm_timestamp(c.created_at),
        "ClosedDate": None if c.closed_at is None else crm_timestamp(c.closed_at),
        "IsClosed": c.status == "CLOSED",
        "External_Id__c": None,  # entered by the seeding, not through POST /cases
    }


def ids_of(body: dict[str, Any]) -> list[str]:
    return [record["Id"] for record in body["records"]]


# accounts


def test_account_payload_is_the_vendors_record(crm: httpx.Client, world: World) -> None:
    for account in (world.accounts[0], world.accounts[-1]):
        assert ok(crm.get(f"/accounts/{account.id}")) == expected_account(account)


def test_accounts_page_through_every_account_in_number_order(
    crm: httpx.Client, world: World
) -> None:
    numbers = sorted(a.number for a in world.accounts)
    seen: list[str] = []
    offset: int | None = 0
    while offset is not None:
        body = ok(crm.get("/accounts", params={"offset": offset, "limit": 7}))
        assert body["totalSize"] == len(world.accounts)
        assert body["done"] is (body["nextOffset"] is None)
        seen += [record["AccountNumber"] for record in body["records"]]
        offset = body["nextOffset"]
    assert seen == numbers


def test_accounts_default_page(crm: httpx.Client, world: World) -> None:
    body = ok(crm.get("/accounts"))
    assert len(body["records"]) == min(50, len(world.accounts))
    beyond = ok(crm.get("/accounts", params={"offset": len(world.accounts) + 5}))
    assert beyond == {
        "totalSize": len(world.accounts),
        "done": True,
        "records": [],
        "nextOffset": None,
    }


def test_accounts_search_by_name_and_number(crm: httpx.Client, world: World) -> None:
    target = world.accounts[3]
    word = target.name.split()[0].lower()
    body = ok(crm.get("/accounts", params={"search": word, "limit": 200}))
    expected = {a.id for a in world.accounts if word in a.name.lower() or word in a.number.lower()}
    assert set(ids_of(body)) == expected and body["totalSize"] == len(expected)
    by_number = ok(crm.get("/accounts", params={"search": target.number}))
    assert ids_of(by_number) == [target.id]
    assert ok(crm.get("/accounts", params={"search": "%_no such account_%"}))["totalSize"] == 0


def test_accounts_by_region(crm: httpx.Client, world: World) -> None:
    body = ok(crm.get("/accounts", params={"region": "Midwest", "limit": 200}))
    expected = [a for a in world.accounts if a.region == "MIDWEST"]
    assert body["totalSize"] == len(expected)
    assert {r["Region__c"] for r in body["records"]} <= {"Midwest"}


def test_accounts_in_bulk_answers_the_found_ones_in_order(crm: httpx.Client, world: World) -> None:
    wanted = [world.accounts[5].id, "001CD000000NOPE000", world.accounts[1].id]
    body = ok(crm.get("/accounts", params={"ids": ",".join(wanted)}))
    assert ids_of(body) == [wanted[0], wanted[2]]
    assert body["totalSize"] == 2 and body["done"] is True and body["nextOffset"] is None


def test_unknown_account_is_404(crm: httpx.Client) -> None:
    assert error_code(crm.get("/accounts/001CD000000NOPE000"), 404) == "NOT_FOUND"


# contacts


def test_contacts_of_accounts(crm: httpx.Client, world: World) -> None:
    accounts = [world.accounts[0].id, world.accounts[2].id]
    body = ok(crm.get("/contacts", params={"accountIds": ",".join(accounts)}))
    expected = {c.id for c in world.contacts if c.account_id in accounts}
    assert set(ids_of(body)) == expected and body["totalSize"] == len(expected)


def test_contact_payload_single_and_bulk(crm: httpx.Client, world: World) -> None:
    contact = world.contacts[0]
    record = ok(crm.get(f"/contacts/{contact.id}"))
    assert record == {
        "attributes": {
            "type": "Contact",
            "url": f"/services/data/v59.0/sobjects/Contact/{contact.id}",
        },
        "Id": contact.id,
        "AccountId": contact.account_id,
        "FirstName": contact.first_name,
        "LastName": contact.last_name,
        "Title": contact.title,
        "Email": contact.email,
        "Phone": contact.phone,
        "IsPrimary__c": contact.primary,
    }
    bulk = ok(crm.get("/contacts", params={"ids": f"{contact.id},003NOPE"}))
    assert bulk["records"] == [record]
    assert error_code(crm.get("/contacts/003NOPE"), 404) == "NOT_FOUND"


def test_contacts_page(crm: httpx.Client, world: World) -> None:
    body = ok(crm.get("/contacts", params={"limit": 3, "offset": 1}))
    assert body["totalSize"] == len(world.contacts)
    assert len(body["records"]) == 3 and body["nextOffset"] == 4


# cases


def test_case_payload_single_and_bulk(crm: httpx.Client, world: World) -> None:
    closed = next(c for c in world.cases if c.status == "CLOSED")
    opened = next(c for c in world.cases if c.status != "CLOSED")
    for case in (closed, opened):
        assert ok(crm.get(f"/cases/{case.id}")) == expected_case(case)
    bulk = ok(crm.get("/cases", params={"ids": f"{opened.id},{closed.id},500NOPE"}))
    assert ids_of(bulk) == [opened.id, closed.id]
    assert error_code(crm.get("/cases/500NOPE"), 404) == "NOT_FOUND"


def test_cases_of_accounts_all_and_open(crm: httpx.Client, world: World) -> None:
    accounts = sorted({c.account_id for c in world.cases})[:5]
    every = ok(crm.get("/cases", params={"accountIds": ",".join(accounts)}))
    assert set(ids_of(every)) == {c.id for c in world.cases if c.account_id in accounts}
    dates = [record["CreatedDate"] for record in every["records"]]
    assert dates == sorted(dates, reverse=True)
    still_open = ok(crm.get("/cases", params={"accountIds": ",".join(accounts), "open": "true"}))
    assert set(ids_of(still_open)) == {
        c.id for c in world.cases if c.account_id in accounts and c.status != "CLOSED"
    }


def test_cases_of_orders(crm: httpx.Client, world: World) -> None:
    orders = sorted({c.order_id for c in world.cases if c.order_id is not None})[:10]
    body = ok(crm.get("/cases", params={"orderIds": ",".join([*orders, "NOPE"])}))
    assert set(ids_of(body)) == {c.id for c in world.cases if c.order_id in orders}
    assert {r["ERP_Order_Id__c"] for r in body["records"]} == set(orders)


def test_cases_page_open_filter(crm: httpx.Client, world: World) -> None:
    body = ok(crm.get("/cases", params={"open": "false", "limit": 1}))
    assert body["totalSize"] == sum(c.status == "CLOSED" for c in world.cases)
    assert ok(crm.get("/cases"))["totalSize"] == len(world.cases)


# bad requests


@pytest.mark.parametrize(
    "path",
    [
        "/accounts?limit=0",
        "/accounts?limit=201",
        "/accounts?limit=ten",
        "/accounts?offset=-1",
        "/accounts?region=Atlantis",
        "/accounts?region=MIDWEST",
        "/accounts?ids=",
        "/accounts?ids=a,,b",
        "/accounts?ids=a&search=b",
        "/accounts?ids=a&limit=5",
        "/accounts?search=" + "x" * 101,
        "/contacts?ids=a&accountIds=b",
        "/contacts?accountIds=a&offset=1",
        "/cases?open=maybe",
        "/cases?orderIds=a&open=true",
        "/cases?ids=a&orderIds=b",
    ],
)
def test_bad_parameters_are_422(crm: httpx.Client, path: str) -> None:
    assert error_code(crm.get(path), 422) == "INVALID_PARAMETER"


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("/accounts", "ids"),
        ("/contacts", "ids"),
        ("/contacts", "accountIds"),
        ("/cases", "ids"),
        ("/cases", "accountIds"),
        ("/cases", "orderIds"),
    ],
)
def test_oversize_batches_are_422(crm: httpx.Client, path: str, param: str) -> None:
    ids = ",".join(f"X{n}" for n in range(101))
    response = crm.get(path, params={param: ids})
    assert error_code(response, 422) == "INVALID_PARAMETER"
    assert "at most 100" in response.json()["error"]["message"]
    assert ok(crm.get(path, params={param: ",".join(f"X{n}" for n in range(100))}))["records"] == []


def test_unknown_route_is_404(crm: httpx.Client) -> None:
    assert error_code(crm.get("/opportunities"), 404) == "NOT_FOUND"
