"""WMS writes over HTTP: releasing and cancelling fulfillment orders, expecting and receiving
returns. Each test writes to a WMS of its own over a copy of the seeded database."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from crossdock.settings import Settings
from systems.world_records import InventoryRecord, World
from tests.support.rest import ok, refused
from tests.systems.harness import CONCURRENT_CLIENTS, concurrently, private_system
from tests.systems.test_wms_reservations import line, position, reserve, stocked


@pytest.fixture
def wms(base_settings: Settings, tmp_path: Path) -> Iterator[httpx.Client]:
    with private_system("wms", base_settings, tmp_path) as client:
        yield client


def release_line(record: InventoryRecord, qty: int, backordered: int = 0) -> dict[str, Any]:
    return {"facility_id": record.center_id, "item_number": record.sku, "qty": qty,
            "qty_backordered": backordered}  # fmt: skip


def release_body(reservation: str | None, *lines: dict[str, Any], key: str = "rel-1") -> Any:
    return {"release_id": key, "order_ref": "900001", "order_number": "SO-900001",
            "reservation_id": reservation, "lines": list(lines)}  # fmt: skip


def two_centers(world: World) -> tuple[InventoryRecord, InventoryRecord]:
    first = stocked(world)[0]
    second = next(
        i for i in stocked(world) if i.center_id != first.center_id and i.sku != first.sku
    )
    return first, second


def allocated(wms: httpx.Client, record: InventoryRecord) -> int:
    value: int = position(wms, record.sku, record.center_id)["qty_allocated"]
    return value


def test_release_hands_the_reservation_to_fulfillment_orders(
    wms: httpx.Client, world: World
) -> None:
    a, b = two_centers(world)
    ok(reserve(wms, "R-1", line(a, 3), line(b, 2)), 201)
    body = release_body("R-1", release_line(a, 5, 2), release_line(b, 2))
    answer = ok(wms.post("/fulfillment-orders/release", json=body), 201)
    first, second = answer["fulfillment_orders"]
    assert (first["facility_id"], second["facility_id"]) == (a.center_id, b.center_id)
    assert first["fulfillment_order_no"] == f"FO-{1000001 + len(world.fulfillment_orders)}"
    assert {first["wave_status"], second["wave_status"]} == {"RELEASED"}
    assert first["lines"] == [{"line_no": 1, "item_number": a.sku, "qty_ordered": 5,
                               "qty_backordered": 2, "qty_cancelled": 0}]  # fmt: skip
    assert (allocated(wms, a), allocated(wms, b)) == (a.allocated + 3, b.allocated + 2)
    listed = ok(wms.get("/fulfillment-orders", params={"order_refs": "900001"}))["data"]
    assert listed == answer["fulfillment_orders"]
    # The reservation is consumed: deleting it gives nothing back.
    assert ok(wms.delete("/reservations/R-1"))["status"] == "CONSUMED"
    assert (allocated(wms, a), allocated(wms, b)) == (a.allocated + 3, b.allocated + 2)
    assert ok(wms.post("/fulfillment-orders/release", json=body)) == answer
    other = release_body("R-1", release_line(a, 4))
    refused(wms.post("/fulfillment-orders/release", json=other), 409, "IDEMPOTENCY_CONFLICT")


def test_release_allocates_what_the_reservation_lacks_and_returns_excess(
    wms: httpx.Client, world: World
) -> None:
    a, b = two_centers(world)
    ok(reserve(wms, "R-2", line(a, 4), line(b, 1)), 201)
    body = release_body("R-2", release_line(a, 2), release_line(b, 3))
    ok(wms.post("/fulfillment-orders/release", json=body), 201)
    assert (allocated(wms, a), allocated(wms, b)) == (a.allocated + 2, b.allocated + 3)


def test_a_short_release_changes_nothing(wms: httpx.Client, world: World) -> None:
    a, b = two_centers(world)
    ok(reserve(wms, "R-3", line(a, 1)), 201)
    available = b.on_hand - b.allocated
    body = release_body("R-3", release_line(a, 1), release_line(b, available + 1))
    answer = wms.post("/fulfillment-orders/release", json=body)
    refused(answer, 409, "INSUFFICIENT_INVENTORY")
    [short] = answer.json()["error"]["short_lines"]
    assert short["item_number"] == b.sku and short["qty_available"] == available
    assert (allocated(wms, a), allocated(wms, b)) == (a.allocated + 1, b.allocated)
    assert ok(wms.get("/fulfillment-orders", params={"order_refs": "900001"}))["data"] == []
    assert ok(wms.delete("/reservations/R-3"))["status"] == "RELEASED"


@pytest.mark.parametrize(
    ("reservation", "status", "code"),
    [("R-none", 422, "INVALID_PARAMETER"), ("R-gone", 409, "RESERVATION_NOT_ACTIVE")],
)
def test_release_needs_an_active_reservation(
    wms: httpx.Client, world: World, reservation: str, status: int, code: str
) -> None:
    a = stocked(world)[0]
    ok(reserve(wms, "R-gone", line(a, 1)), 201)
    ok(wms.delete("/reservations/R-gone"))
    body = release_body(reservation, release_line(a, 1))
    refused(wms.post("/fulfillment-orders/release", json=body), status, code)
    assert allocated(wms, a) == a.allocated


@pytest.mark.parametrize(
    "changes",
    [
        {"lines": [{"facility_id": "ATL1", "item_number": "S", "qty": 1, "qty_backordered": 2}]},
        {"lines": [{"facility_id": "NOPE1", "item_number": "S", "qty": 1}]},
        {"lines": []},
        {"order_ref": ""},
        {"extra": True},
    ],
)
def test_bad_release_bodies_are_422(wms: httpx.Client, changes: dict[str, Any]) -> None:
    body = {**release_body(None, {"facility_id": "ATL1", "item_number": "S", "qty": 1}), **changes}
    refused(wms.post("/fulfillment-orders/release", json=body), 422, "INVALID_PARAMETER")


def test_concurrent_releases_of_one_id_make_one(wms: httpx.Client, world: World) -> None:
    a = stocked(world)[0]
    body = release_body(None, release_line(a, 2))
    answers = concurrently(
        wms, CONCURRENT_CLIENTS, lambda c: c.post("/fulfillment-orders/release", json=body)
    )
    assert sorted(x.status_code for x in answers) == [200] * (CONCURRENT_CLIENTS - 1) + [201]
    assert len(ok(wms.get("/fulfillment-orders", params={"order_refs": "900001"}))["data"]) == 1
    assert allocated(wms, a) == a.allocated + 2


def test_cancel_releases_open_lines(wms: httpx.Client, world: World) -> None:
    a, b = two_centers(world)
    body = release_body(None, release_line(a, 4, 1), release_line(b, 2))
    ok(wms.post("/fulfillment-orders/release", json=body), 201)
    cancel = {"request_id": "cx-1", "order_ref": "900001", "items": [a.sku]}
    answer = ok(wms.post("/fulfillment-orders/cancel", json=cancel))
    [cancelled] = answer["cancelled_lines"]
    assert (cancelled["item_number"], cancelled["qty_cancelled"]) == (a.sku, 4)
    first, second = answer["fulfillment_orders"]
    assert first["wave_status"] == "CANCELLED" and second["wave_status"] == "RELEASED"
    assert (allocated(wms, a), allocated(wms, b)) == (a.allocated, b.allocated + 2)
    assert ok(wms.post("/fulfillment-orders/cancel", json=cancel)) == answer
    other = {**cancel, "items": None}
    refused(wms.post("/fulfillment-orders/cancel", json=other), 409, "IDEMPOTENCY_CONFLICT")
    rest = ok(wms.post("/fulfillment-orders/cancel", json={**other, "request_id": "cx-2"}))
    assert [x["item_number"] for x in rest["cancelled_lines"]] == [b.sku]
    assert allocated(wms, b) == b.allocated
    again = ok(wms.post("/fulfillment-orders/cancel", json={**other, "request_id": "cx-3"}))
    assert again["cancelled_lines"] == []


def test_shipped_lines_cannot_be_cancelled(wms: httpx.Client, world: World) -> None:
    by_order: dict[str, list[str]] = defaultdict(list)
    for f in world.fulfillment_orders:
        by_order[f.order_id].append(f.status)
    shipped = next(o for o, s in by_order.items() if set(s) <= {"SHIPPED", "DELIVERED"})
    cancel = {"request_id": "cx-s", "order_ref": shipped, "items": None}
    before = ok(wms.get("/fulfillment-orders", params={"order_refs": shipped}))
    refused(wms.post("/fulfillment-orders/cancel", json=cancel), 409, "ALREADY_SHIPPED")
    assert ok(wms.get("/fulfillment-orders", params={"order_refs": shipped})) == before
    unknown = {**cancel, "order_ref": "nope"}
    refused(wms.post("/fulfillment-orders/cancel", json=unknown), 404, "NOT_FOUND")


def expected(record: InventoryRecord, qty: int = 3) -> dict[str, Any]:
    lines = [{"item_number": record.sku, "qty": qty, "reason_code": "DAMAGED"}]
    return {
        "rma_ref": "RMA-900001",
        "order_ref": "900001",
        "facility_id": record.center_id,
        "lines": lines,
    }


def receipt(record: InventoryRecord, *lines: tuple[int, str], key: str = "rcpt-1") -> Any:
    return {"receipt_id": key, "rma_ref": "RMA-900001", "facility_id": record.center_id,
            "lines": [{"item_number": record.sku, "qty_received": qty, "disposition_code": code}
                      for qty, code in lines]}  # fmt: skip


def test_expected_return_is_idempotent_by_rma(wms: httpx.Client, world: World) -> None:
    a = stocked(world)[0]
    created = ok(wms.post("/expected-returns", json=expected(a)), 201)
    assert created["status"] == "OPEN" and created["lines"][0]["qty_expected"] == 3
    assert ok(wms.post("/expected-returns", json=expected(a))) == created
    refused(wms.post("/expected-returns", json=expected(a, 4)), 409, "IDEMPOTENCY_CONFLICT")
    listed = ok(wms.get("/expected-returns", params={"rma_refs": "RMA-900001"}))["data"]
    assert listed == [created]
    nowhere = {**expected(a), "rma_ref": "RMA-2", "facility_id": "NOPE1"}
    refused(wms.post("/expected-returns", json=nowhere), 422, "INVALID_PARAMETER")


def test_receipt_restocks_and_records_dispositions(wms: httpx.Client, world: World) -> None:
    a = stocked(world)[0]
    refused(wms.post("/return-receipts", json=receipt(a, (1, "RESTOCKED"))), 409, "NOT_EXPECTED")
    ok(wms.post("/expected-returns", json=expected(a)), 201)
    for bad, code in [
        (receipt(a, (4, "RESTOCKED")), "QUANTITY_EXCEEDS_EXPECTED"),
        ({**receipt(a, (1, "RESTOCKED")), "facility_id": "ZZZ1"}, "WRONG_FACILITY"),
    ]:
        refused(wms.post("/return-receipts", json=bad), 409, code)
    assert position(wms, a.sku, a.center_id)["qty_on_hand"] == a.on_hand
    body = receipt(a, (2, "RESTOCKED"), (1, "SCRAPPED"))
    created = ok(wms.post("/return-receipts", json=body), 201)
    assert created["receipt_no"] == f"RR-{1000001 + len(world.return_receipts)}"
    assert [(x["qty_received"], x["disposition_code"]) for x in created["lines"]] == [
        (2, "RS"),
        (1, "SC"),
    ]
    assert position(wms, a.sku, a.center_id)["qty_on_hand"] == a.on_hand + 2
    assert ok(wms.post("/return-receipts", json=body)) == created
    assert position(wms, a.sku, a.center_id)["qty_on_hand"] == a.on_hand + 2
    refused(wms.post("/return-receipts", json=receipt(a, (1, "SCRAPPED"))), 409,
            "IDEMPOTENCY_CONFLICT")  # fmt: skip
    again = receipt(a, (1, "RESTOCKED"), key="rcpt-2")
    refused(wms.post("/return-receipts", json=again), 409, "ALREADY_RECEIVED")
    listed = ok(wms.get("/return-receipts", params={"rma_refs": "RMA-900001"}))["data"]
    assert listed == [created]
    [record] = ok(wms.get("/expected-returns", params={"rma_refs": "RMA-900001"}))["data"]
    assert record["status"] == "RECEIVED"
    bad = receipt(a, (1, "LOST"), key="rcpt-3")
    refused(wms.post("/return-receipts", json=bad), 422, "INVALID_PARAMETER")


def test_a_return_is_received_in_parts(wms: httpx.Client, world: World) -> None:
    a = stocked(world)[0]
    ok(wms.post("/expected-returns", json=expected(a)), 201)
    first = ok(wms.post("/return-receipts", json=receipt(a, (1, "RESTOCKED"))), 201)
    [record] = ok(wms.get("/expected-returns", params={"rma_refs": "RMA-900001"}))["data"]
    assert record["status"] == "PARTIALLY_RECEIVED"
    assert position(wms, a.sku, a.center_id)["qty_on_hand"] == a.on_hand + 1
    # Two are still expected: three more are refused, and change nothing.
    too_many = receipt(a, (3, "RESTOCKED"), key="rcpt-2")
    refused(wms.post("/return-receipts", json=too_many), 409, "QUANTITY_EXCEEDS_EXPECTED")
    rest = ok(wms.post("/return-receipts", json=receipt(a, (2, "RESTOCKED"), key="rcpt-2")), 201)
    assert rest["receipt_no"] != first["receipt_no"]
    assert position(wms, a.sku, a.center_id)["qty_on_hand"] == a.on_hand + 3
    [record] = ok(wms.get("/expected-returns", params={"rma_refs": "RMA-900001"}))["data"]
    assert record["status"] == "RECEIVED"
    refused(wms.post("/return-receipts", json=receipt(a, (1, "RESTOCKED"), key="rcpt-3")), 409,
            "ALREADY_RECEIVED")  # fmt: skip
    listed = ok(wms.get("/return-receipts", params={"rma_refs": "RMA-900001"}))["data"]
    numbers = sorted(x["receipt_no"] for x in listed)
    assert numbers == sorted([first["receipt_no"], rest["receipt_no"]])
