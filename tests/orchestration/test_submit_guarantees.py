"""submitOrder's user errors, idempotency and the oversell race, through the gateway."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.orchestration.conftest import OwnWorld
from tests.orchestration.picks import Picker, line, order_input
from tests.orchestration.test_submit_order import SUBMIT, submit


def wms_available(own_world: OwnWorld, sku: str) -> dict[str, int]:
    response = httpx.get(f"{own_world.systems['wms']}/inventory", params={"items": sku})
    return {x["facility_id"]: x["qty_available"] for x in response.json()["data"]}


@pytest.mark.parametrize(
    ("case", "code", "field"),
    [
        ("unknown sku", "UNKNOWN_SKU", ["lines", "0", "sku"]),
        ("zero quantity", "INVALID_QUANTITY", ["lines", "0", "quantity"]),
        ("negative quantity", "INVALID_QUANTITY", ["lines", "0", "quantity"]),
        ("inactive product", "INACTIVE_PRODUCT", ["lines", "0", "sku"]),
        ("unknown account", "UNKNOWN_ACCOUNT", ["accountId"]),
        ("blank account", "UNKNOWN_ACCOUNT", ["accountId"]),
        ("inactive account", "INACTIVE_ACCOUNT", ["accountId"]),
        ("no lines", "NO_LINES", ["lines"]),
        ("same sku twice", "DUPLICATE_SKU", ["lines", "1", "sku"]),
    ],
)
def test_business_problems_are_user_errors(
    own_world: OwnWorld, picker: Picker, case: str, code: str, field: list[str]
) -> None:
    account, sku = picker.account(), "SKU-10001"
    lines = [line(sku, 1)]
    if case == "unknown sku":
        lines = [line("SKU-99999", 1)]
    elif case == "zero quantity":
        lines = [line(sku, 0)]
    elif case == "negative quantity":
        lines = [line(sku, -3)]
    elif case == "inactive product":
        lines = [line(picker.inactive_sku(), 1)]
    elif case == "unknown account":
        account = "001CD0000009999AAA"
    elif case == "blank account":
        account = ""
    elif case == "inactive account":
        account = picker.inactive_account()
    elif case == "no lines":
        lines = []
    elif case == "same sku twice":
        lines = [line(sku, 1), line(sku, 2)]
    payload = submit(own_world, order_input(account, *lines), f"user-error-{case}")
    assert payload["outcome"] == "REJECTED"
    assert payload["order"] is None
    [error] = payload["userErrors"]
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"]


def test_the_same_key_and_input_answer_the_first_result(
    own_world: OwnWorld, picker: Picker
) -> None:
    sku = picker.stocked()
    input = order_input(picker.account(), line(sku, 3))
    first = submit(own_world, input, "replay-1")
    after_first = wms_available(own_world, sku)
    again = submit(own_world, input, "replay-1")
    assert again["order"]["id"] == first["order"]["id"]
    assert again["allocations"] == first["allocations"]
    assert wms_available(own_world, sku) == after_first
    assert len(again["order"]["fulfillmentOrders"]) == 1


def test_the_same_key_with_another_input_is_refused(own_world: OwnWorld, picker: Picker) -> None:
    sku = picker.stocked()
    account = picker.account()
    first = submit(own_world, order_input(account, line(sku, 1)), "reuse-1")
    assert first["outcome"] == "CONFIRMED"
    other = submit(own_world, order_input(account, line(sku, 2)), "reuse-1")
    assert other["outcome"] == "REJECTED"
    assert other["order"] is None
    assert [(e["code"], e["field"]) for e in other["userErrors"]] == [
        ("IDEMPOTENCY_KEY_REUSED", ["idempotencyKey"])
    ]


def test_concurrent_duplicates_create_one_order(own_world: OwnWorld, picker: Picker) -> None:
    sku = picker.stocked()
    input = order_input(picker.account(), line(sku, 1))

    async def run() -> list[dict[str, Any]]:
        async with httpx.AsyncClient(timeout=60) as client:
            answers = await asyncio.gather(
                *(
                    client.post(
                        f"{own_world.gateway}/graphql",
                        json={"query": SUBMIT, "variables": {"input": input, "key": "dup-1"}},
                    )
                    for _ in range(10)
                )
            )
        return [a.json()["data"]["submitOrder"] for a in answers]

    payloads = asyncio.run(run())
    assert {p["order"]["id"] for p in payloads} == {payloads[0]["order"]["id"]}
    assert sum(wms_available(own_world, sku).values()) == picker.total_available(sku) - 1


def test_a_hundred_submissions_for_the_last_ten_units_allocate_exactly_ten(
    own_world: OwnWorld, picker: Picker
) -> None:
    sku = picker.sku(lambda ps: sum(max(p.on_hand - p.allocated, 0) for p in ps.values()) > 20)
    # Hold everything but ten units, spread over the centers that have any.
    left = dict(wms_available(own_world, sku))
    to_hold = sum(left.values()) - 10
    holds = []
    for center, quantity in left.items():
        take = min(quantity, to_hold)
        if take:
            holds.append({"item_number": sku, "facility_id": center, "qty": take})
            to_hold -= take
    response = httpx.post(
        f"{own_world.systems['wms']}/reservations",
        json={"reservation_id": f"hold-{sku}", "lines": holds},
    )
    assert response.status_code == 201, response.text
    assert sum(wms_available(own_world, sku).values()) == 10
    account = picker.account()

    async def run() -> list[dict[str, Any]]:
        async with httpx.AsyncClient(timeout=120) as client:

            async def one(n: int) -> dict[str, Any]:
                input = order_input(account, line(sku, 1), shortfallPolicy="REJECT")
                answer = await client.post(
                    f"{own_world.gateway}/graphql",
                    json={"query": SUBMIT, "variables": {"input": input, "key": f"race-{n}"}},
                )
                payload: dict[str, Any] = answer.json()["data"]["submitOrder"]
                return payload

            return await asyncio.gather(*(one(n) for n in range(100)))

    payloads = asyncio.run(run())
    confirmed = [p for p in payloads if p["outcome"] == "CONFIRMED"]
    rejected = [p for p in payloads if p["outcome"] == "REJECTED"]
    assert len(confirmed) == 10
    assert len(rejected) == 90
    assert {e["code"] for p in rejected for e in p["userErrors"]} == {"INSUFFICIENT_INVENTORY"}
    assert len({p["order"]["id"] for p in confirmed}) == 10
    assert wms_available(own_world, sku) == dict.fromkeys(left, 0)


def test_a_system_down_is_a_transport_error_and_changes_nothing(
    own_world: OwnWorld, picker: Picker
) -> None:
    sku = picker.stocked()
    input = order_input(picker.account(), line(sku, 1))
    own_world.faults("crm", error_rate=1.0)
    try:
        body = own_world.graphql(SUBMIT, {"input": input, "key": "crm-down-1"})
    finally:
        own_world.faults("crm")
    assert body["data"] is None
    errors: list[dict[str, Any]] = body["errors"]  # type: ignore[assignment]
    [error] = errors
    assert error["extensions"]["code"] == "SUBGRAPH_ERROR"
    assert "crm" in error["message"]
    assert sum(wms_available(own_world, sku).values()) == picker.total_available(sku)
    # Nothing was kept under the key: the retry goes through.
    assert submit(own_world, input, "crm-down-1")["outcome"] == "CONFIRMED"
