"""CRM writes over HTTP: activities (``POST /tasks``) and cases (``POST /cases``), each entered
once per ``External_Id__c``, validated, listed in bulk, and faultable like every other route.
Each test writes to a CRM of its own (a copy of the seeded one)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from crossdock.settings import Settings
from systems.world_records import AccountRecord, World
from tests.support.rest import error_code, ok, refused
from tests.systems.harness import CONCURRENT_CLIENTS, concurrently, private_system


@pytest.fixture
def crm(base_settings: Settings, tmp_path: Path) -> Iterator[httpx.Client]:
    with private_system("crm", base_settings, tmp_path) as client:
        yield client


def accounts(world: World) -> list[AccountRecord]:
    return list(world.accounts[:3])


def task_body(account: AccountRecord, key: str = "evt-1:activity", **extra: Any) -> dict[str, Any]:
    return {
        "External_Id__c": key,
        "AccountId": account.id,
        "Subject": "Order SO-100001 shipped",
        "Description": "Shipment SH-1 left ATL1 with UPS, tracking 1Z999.",
        "Type": "Fulfillment",
        "ActivityDateTime": "2026-11-02T10:15:00+01:00",
        "ERP_Order_Id__c": "200001",
        "ERP_Order_Number__c": "SO-100001",
        **extra,
    }


def case_body(account: AccountRecord, key: str = "evt-1:case", **extra: Any) -> dict[str, Any]:
    return {
        "External_Id__c": key,
        "AccountId": account.id,
        "Subject": "Delivery exception on order SO-100001",
        "Description": "Carrier reports the parcel damaged in transit.",
        "Priority": "High",
        "Origin": "Warehouse",
        "ERP_Order_Id__c": "200001",
        "ERP_Order_Number__c": "SO-100001",
        **extra,
    }


# activities


def test_an_activity_is_entered_once_per_external_id(crm: httpx.Client, world: World) -> None:
    account = accounts(world)[0]
    body = task_body(account)
    task = ok(crm.post("/tasks", json=body), 201)
    assert task["attributes"] == {
        "type": "Task",
        "url": f"/services/data/v59.0/sobjects/Task/{task['Id']}",
    }
    assert task["Id"] == "00TCD0000000001AAA"
    assert {key: task[key] for key in body} == {
        **body,
        "ActivityDateTime": task["ActivityDateTime"],
    }
    # Kept in UTC, as the CRM writes every timestamp.
    assert (task["ActivityDateTime"], task["ActivityDate"]) == ("2026-11-02T09:15:00.000Z",
                                                                "2026-11-02")  # fmt: skip
    assert (task["Status"], task["IsClosed"]) == ("Completed", True)
    assert task["CreatedDate"] >= "2026-11-01"  # never before the seeded history ends
    # The same call again answers the same record and enters nothing.
    assert ok(crm.post("/tasks", json=body)) == task
    # The same moment in another zone is the same activity.
    same = {**body, "ActivityDateTime": "2026-11-02T09:15:00Z"}
    assert ok(crm.post("/tasks", json=same)) == task
    refused(crm.post("/tasks", json={**body, "Subject": "Other"}), 409, "IDEMPOTENCY_CONFLICT")
    assert ok(crm.get(f"/tasks/{task['Id']}")) == task
    assert ok(crm.get("/tasks"))["records"] == [task]
    assert ok(crm.get("/tasks", params={"accountIds": account.id}))["records"] == [task]
    assert ok(crm.get("/tasks", params={"orderIds": "200001"}))["records"] == [task]
    assert ok(crm.get("/tasks", params={"ids": task["Id"]}))["records"] == [task]


def test_an_activity_needs_only_an_account_a_subject_and_a_moment(
    crm: httpx.Client, world: World
) -> None:
    body = {
        "External_Id__c": "call-1",
        "AccountId": accounts(world)[0].id,
        "Subject": "  Called about the renewal  ",
        "ActivityDateTime": "2026-11-03T08:00:00Z",
    }
    task = ok(crm.post("/tasks", json=body), 201)
    assert task["Subject"] == "Called about the renewal"
    assert (task["Type"], task["Description"], task["ERP_Order_Id__c"]) == ("Other", None, None)


@pytest.mark.parametrize(
    ("change", "culprit"),
    [
        ({"AccountId": "001CD9999999999AAA"}, "no Account with Id"),
        ({"Subject": "   "}, "Subject"),
        ({"Subject": "x" * 256}, "Subject"),
        ({"Type": "Fax"}, "must be one of Call, Email, Fulfillment, Meeting, Other"),
        ({"ActivityDateTime": "2026-11-02T10:15:00"}, "ActivityDateTime"),
        ({"ActivityDateTime": "yesterday"}, "ActivityDateTime"),
        ({"ERP_Order_Id__c": None}, "ERP_Order_Number__c needs the ERP_Order_Id__c"),
        ({"External_Id__c": ""}, "External_Id__c"),
        ({"WhoId": "003CD0000000001AAA"}, "WhoId"),
        ({"Description": 7}, "Description"),
    ],
)
def test_a_malformed_activity_is_422_and_enters_nothing(
    crm: httpx.Client, world: World, change: dict[str, Any], culprit: str
) -> None:
    answer = crm.post("/tasks", json={**task_body(accounts(world)[0]), **change})
    assert error_code(answer, 422) == "INVALID_PARAMETER"
    assert culprit in answer.json()["error"]["message"]
    assert ok(crm.get("/tasks"))["totalSize"] == 0
    # A refused write stores nothing: its id can be used again.
    ok(crm.post("/tasks", json=task_body(accounts(world)[0])), 201)


def test_a_body_that_is_not_a_json_object_is_422(crm: httpx.Client) -> None:
    for content in (b"{not json", b"[]", b"null"):
        answer = crm.post("/tasks", content=content)
        assert error_code(answer, 422) == "INVALID_PARAMETER"
        assert "Traceback" not in answer.text


def test_activities_of_accounts_in_bulk_newest_first_and_limited_each(
    crm: httpx.Client, world: World
) -> None:
    first, second, third = accounts(world)
    entered: dict[str, list[str]] = {first.id: [], second.id: []}
    for n in range(4):
        for account in (first, second):
            moment = f"2026-11-0{n + 2}T12:00:00Z"
            body = task_body(account, f"{account.id}-{n}", ActivityDateTime=moment)
            entered[account.id].append(ok(crm.post("/tasks", json=body), 201)["Id"])
    both = ",".join([first.id, second.id, third.id])
    records = ok(crm.get("/tasks", params={"accountIds": both}))["records"]
    by_account = {
        key: [r["Id"] for r in records if r["AccountId"] == key] for key in (first.id, second.id)
    }
    assert by_account == {key: ids[::-1] for key, ids in entered.items()}
    newest = ok(crm.get("/tasks", params={"accountIds": both, "limitEach": 2}))["records"]
    assert sorted(r["Id"] for r in newest) == sorted(
        [*entered[first.id][:-3:-1], *entered[second.id][:-3:-1]]
    )
    assert all(r["AccountId"] != third.id for r in newest)
    of_order = ok(crm.get("/tasks", params={"orderIds": "200001", "limitEach": 1}))["records"]
    assert len(of_order) == 1 and of_order[0]["ActivityDateTime"].startswith("2026-11-05")
    page = ok(crm.get("/tasks", params={"limit": 3}))
    assert (page["totalSize"], len(page["records"]), page["nextOffset"]) == (8, 3, 3)


@pytest.mark.parametrize(
    "path",
    [
        "/tasks?limitEach=2",
        "/tasks?ids=a&limitEach=2",
        "/tasks?accountIds=a&limitEach=0",
        "/tasks?accountIds=a&limitEach=201",
        "/tasks?accountIds=a&limitEach=many",
        "/tasks?accountIds=a&orderIds=b",
        "/tasks?accountIds=a&offset=1",
    ],
)
def test_bad_task_list_parameters_are_422(crm: httpx.Client, path: str) -> None:
    assert error_code(crm.get(path), 422) == "INVALID_PARAMETER"


def test_an_unknown_task_is_404(crm: httpx.Client) -> None:
    refused(crm.get("/tasks/00TCD0000000099AAA"), 404, "NOT_FOUND")


def test_concurrent_entries_of_one_activity_make_one_record(
    crm: httpx.Client, world: World
) -> None:
    body = task_body(accounts(world)[0])
    answers = concurrently(crm, CONCURRENT_CLIENTS, lambda c: c.post("/tasks", json=body))
    assert sorted(a.status_code for a in answers) == [200] * (CONCURRENT_CLIENTS - 1) + [201]
    assert len({a.json()["Id"] for a in answers}) == 1
    assert ok(crm.get("/tasks"))["totalSize"] == 1


# cases


def test_a_case_is_opened_once_per_external_id(crm: httpx.Client, world: World) -> None:
    account = accounts(world)[0]
    body = case_body(account)
    case = ok(crm.post("/cases", json=body), 201)
    number = 1000 + len(world.cases) + 1
    assert (case["CaseNumber"], case["Id"]) == (f"{number:08d}", f"500CD{number - 1000:010d}AAA")
    assert {key: case[key] for key in body} == body
    assert (case["Status"], case["IsClosed"], case["ClosedDate"]) == ("New", False, None)
    assert case["ContactId"] is None
    assert ok(crm.post("/cases", json=body)) == case
    refused(crm.post("/cases", json={**body, "Priority": "Low"}), 409, "IDEMPOTENCY_CONFLICT")
    assert ok(crm.get(f"/cases/{case['Id']}")) == case
    of_account = ok(crm.get("/cases", params={"accountIds": account.id, "open": "true"}))
    assert of_account["records"][0] == case  # the newest
    assert ok(crm.get("/cases", params={"orderIds": "200001"}))["records"] == [case]


def test_a_case_may_name_a_contact_of_its_account(crm: httpx.Client, world: World) -> None:
    account = accounts(world)[0]
    contact = next(c for c in world.contacts if c.account_id == account.id)
    stranger = next(c for c in world.contacts if c.account_id != account.id)
    case = ok(crm.post("/cases", json=case_body(account, ContactId=contact.id)), 201)
    assert case["ContactId"] == contact.id
    answer = crm.post("/cases", json=case_body(account, "other", ContactId=stranger.id))
    assert error_code(answer, 422) == "INVALID_PARAMETER"
    assert "ContactId" in answer.json()["error"]["message"]


def test_a_case_defaults_to_medium_priority_from_the_web(crm: httpx.Client, world: World) -> None:
    body = {"External_Id__c": "web-1", "AccountId": accounts(world)[1].id, "Subject": "Hello"}
    case = ok(crm.post("/cases", json=body), 201)
    assert (case["Priority"], case["Origin"], case["Status"]) == ("Medium", "Web", "New")


@pytest.mark.parametrize(
    ("change", "culprit"),
    [
        ({"AccountId": "001CD9999999999AAA"}, "no Account with Id"),
        ({"Priority": "Urgent"}, "must be one of Critical, High, Low, Medium"),
        ({"Origin": "Pigeon"}, "Origin"),
        ({"Status": "Closed"}, "Status"),
        ({"Subject": None}, "Subject"),
        ({"ERP_Order_Id__c": None}, "ERP_Order_Number__c needs the ERP_Order_Id__c"),
    ],
)
def test_a_malformed_case_is_422_and_opens_nothing(
    crm: httpx.Client, world: World, change: dict[str, Any], culprit: str
) -> None:
    account = accounts(world)[0]
    before = ok(crm.get("/cases", params={"accountIds": account.id}))["totalSize"]
    answer = crm.post("/cases", json={**case_body(account), **change})
    assert error_code(answer, 422) == "INVALID_PARAMETER"
    assert culprit in answer.json()["error"]["message"]
    assert ok(crm.get("/cases", params={"accountIds": account.id}))["totalSize"] == before


# faults


def test_faults_apply_to_the_writes_route_by_route(crm: httpx.Client, world: World) -> None:
    account = accounts(world)[0]
    ok(crm.put("/_admin/faults", json={"error_rate": 1.0, "routes": ["POST /tasks"]}))
    try:
        refused(crm.post("/tasks", json=task_body(account)), 503, "UNAVAILABLE")
        ok(crm.post("/cases", json=case_body(account)), 201)  # another write still answers
        assert ok(crm.get("/tasks"))["totalSize"] == 0
    finally:
        ok(crm.put("/_admin/faults", json={"error_rate": 0.0}))
    ok(crm.post("/tasks", json=task_body(account)), 201)
    stats = ok(crm.get("/_admin/stats"))
    assert "POST /tasks" in str(stats) and "POST /cases" in str(stats)
