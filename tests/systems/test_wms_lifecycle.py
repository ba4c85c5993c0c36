"""The reference WMS moving released fulfillment orders through their life, on command
(``POST /_admin/advance``) and on a timer, with exceptions, shipments and tracking events.
Each test has a WMS of its own over a copy of the seeded database (webhooks not sent)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from crossdock.settings import Settings, WmsLifecycle
from systems.world_records import World
from tests.support.rest import ok, refused
from tests.support.waiting import wait_until
from tests.systems.harness import private_system
from tests.systems.test_wms_reservations import stocked

STAGES = ["RELEASED", "PICKING", "PICKED", "PACKED", "SHIPPED", "IN_TRANSIT",
          "OUT_FOR_DELIVERY", "DELIVERED"]  # fmt: skip
CODES = ["WV_REL", "WV_PCK", "WV_PKD", "WV_PAK", "SH_SHP", "SH_IT", "SH_OFD", "SH_DLV"]
TRACKING = {
    "UPSN": r"1Z[0-9A-F]{6}0[23]\d{8}",
    "FDEG": r"\d{12}",
    "USPS": r"9400\d{18}",
    "CNWY": r"XPO\d{9}",
}


def lifecycle_settings(base: Settings, **fields: Any) -> Settings:
    return base.model_copy(update={"wms_lifecycle": WmsLifecycle(**fields)})


@pytest.fixture
def wms(base_settings: Settings, tmp_path: Path) -> Iterator[httpx.Client]:
    with private_system("wms", base_settings, tmp_path) as client:
        yield client


def release(wms: httpx.Client, world: World, key: str, *, units: int = 4) -> str:
    """Release an order of ``units`` units of one stocked position; its fulfillment order."""
    record = stocked(world, at_least=units + 1)[0]
    body = {"release_id": key, "order_ref": f"9{abs(hash(key)) % 10**5:05d}",
            "order_number": f"SO-{key}", "reservation_id": None,
            "lines": [{"facility_id": record.center_id, "item_number": record.sku,
                       "qty": units}]}  # fmt: skip
    [order] = ok(wms.post("/fulfillment-orders/release", json=body), 201)["fulfillment_orders"]
    number: str = order["fulfillment_order_no"]
    return number


def advance(wms: httpx.Client, number: str, **body: Any) -> dict[str, Any]:
    answer: dict[str, Any] = ok(
        wms.post("/_admin/advance", json={"fulfillment_order_no": number, **body})
    )
    return answer


def codes(answer: dict[str, Any]) -> list[str]:
    return [event["event_code"] for event in answer["events"]]


def log(wms: httpx.Client, number: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = ok(
        wms.get("/_admin/webhook-deliveries", params={"fulfillment_order_no": number})
    )["data"]
    return found


def shipment_of(wms: httpx.Client, number: str) -> dict[str, Any]:
    [found] = ok(wms.get("/shipments", params={"fulfillment_order_ids": number}))["data"]
    assert isinstance(found, dict)
    return found


def test_step_by_step_every_milestone_in_order(wms: httpx.Client, world: World) -> None:
    number = release(wms, world, "life-1")
    assert [entry["event_code"] for entry in log(wms, number)] == ["WV_REL"]
    for stage, code in zip(STAGES[1:], CODES[1:], strict=True):
        answer = advance(wms, number, steps=1)
        assert answer["stage"] == stage
        assert codes(answer) == [code]
    entries = log(wms, number)
    assert [entry["event_code"] for entry in entries] == CODES
    assert [entry["seq"] for entry in entries] == sorted(entry["seq"] for entry in entries)
    assert len({entry["event_id"] for entry in entries}) == len(CODES)
    assert {entry["status"] for entry in entries} == {"PENDING"}  # no webhook URL configured
    order = ok(wms.get(f"/fulfillment-orders/{number}"))
    assert order["wave_status"] == "DELIVERED"
    shipment = shipment_of(wms, number)
    assert shipment["ship_status"] == "DLV" and shipment["delivered_ts"] is not None
    assert [event["code"] for event in shipment["events"]] == ["LBL", "PU", "IT", "OFD", "DLV"]
    assert re.fullmatch(TRACKING[shipment["carrier_scac"]], shipment["tracking_no"])
    assert [(ln["item_number"], ln["qty_shipped"]) for ln in shipment["lines"]] == [
        (ln["item_number"], ln["qty_ordered"]) for ln in order["lines"]
    ]
    # Every shipment milestone names the same shipment, tracking number and carrier.
    for entry in entries[4:]:
        payload = entry["payload"]
        assert payload["shipment_no"] == shipment["shipment_no"]
        assert payload["tracking_no"] == shipment["tracking_no"]
        assert payload["carrier_scac"] == shipment["carrier_scac"]
        assert payload["fulfillment_order_no"] == number
    assert entries[4]["payload"]["lines"] == [
        {"item_number": ln["item_number"], "qty": ln["qty_shipped"]} for ln in shipment["lines"]
    ]


def test_advance_to_a_stage_takes_every_step_between(wms: httpx.Client, world: World) -> None:
    number = release(wms, world, "life-2")
    assert codes(advance(wms, number, to="PACKED")) == CODES[1:4]
    assert codes(advance(wms, number, to="PACKED")) == []
    answer = advance(wms, number, to="DELIVERED")
    assert codes(answer) == CODES[4:]
    assert answer["wave_status"] == "DELIVERED"
    assert codes(advance(wms, number, steps=3)) == []  # nothing after delivered


def test_shipping_takes_the_units_off_hand(wms: httpx.Client, world: World) -> None:
    record = stocked(world, at_least=5)[0]
    before = ok(wms.get("/inventory", params={"items": record.sku, "facility": record.center_id}))
    number = release(wms, world, "life-3")
    advance(wms, number, to="SHIPPED")
    after = ok(wms.get("/inventory", params={"items": record.sku, "facility": record.center_id}))
    assert after["data"][0]["qty_on_hand"] == before["data"][0]["qty_on_hand"] - 4
    assert after["data"][0]["qty_allocated"] == before["data"][0]["qty_allocated"]


def test_tracking_numbers_are_unique(wms: httpx.Client, world: World) -> None:
    numbers = [release(wms, world, f"life-u{n}", units=1) for n in range(6)]
    tracking = set()
    for number in numbers:
        advance(wms, number, to="SHIPPED")
        tracking.add(shipment_of(wms, number)["tracking_no"])
    assert len(tracking) == len(numbers)


def test_a_partial_pick_backorders_the_missing_units(wms: httpx.Client, world: World) -> None:
    number = release(wms, world, "life-4", units=4)
    answer = advance(wms, number, to="PICKED", exception="PARTIAL_PICK")
    assert codes(answer) == ["WV_PCK", "WV_PKD", "WV_BKO"]
    picked, backordered = answer["events"][1], answer["events"][2]
    assert picked["lines"][0]["qty"] == 2
    assert backordered["lines"][0]["qty"] == 2
    assert backordered["exception_code"] == "SHT"
    order = ok(wms.get(f"/fulfillment-orders/{number}"))
    assert order["lines"][0]["qty_backordered"] == 2
    advance(wms, number, to="SHIPPED")
    assert shipment_of(wms, number)["lines"][0]["qty_shipped"] == 2


@pytest.mark.parametrize(
    ("exception", "to", "expected", "scan"),
    [
        ("DELAYED", "IN_TRANSIT", ["SH_IT", "SH_DLY"], "DLY"),
        ("DAMAGED", "IN_TRANSIT", ["SH_IT", "SH_EXC"], "EXC"),
        ("ADDRESS", "OUT_FOR_DELIVERY", ["SH_OFD", "SH_EXC"], "EXC"),
    ],
)
def test_carrier_exceptions_are_announced_and_the_parcel_goes_on(
    wms: httpx.Client, world: World, exception: str, to: str, expected: list[str], scan: str
) -> None:
    number = release(wms, world, f"life-x-{exception}")
    advance(wms, number, to="SHIPPED" if to == "IN_TRANSIT" else "IN_TRANSIT")
    answer = advance(wms, number, steps=1, exception=exception)
    assert codes(answer) == expected
    assert answer["events"][1]["exception_desc"]
    shipment = shipment_of(wms, number)
    assert shipment["ship_status"] == scan
    assert shipment["events"][-1]["code"] == scan
    rest = advance(wms, number, to="DELIVERED")
    assert codes(rest)[-1] == "SH_DLV"


def test_bad_advances_are_refused(wms: httpx.Client, world: World) -> None:
    number = release(wms, world, "life-5")
    refused(wms.post("/_admin/advance", json={"fulfillment_order_no": "FO-9"}), 404, "NOT_FOUND")
    body = {"fulfillment_order_no": number}
    refused(
        wms.post("/_admin/advance", json=body | {"to": "SHIPPED", "steps": 1}),
        422,
        "INVALID_PARAMETER",
    )
    refused(wms.post("/_admin/advance", json=body | {"to": "LOST"}), 422, "INVALID_PARAMETER")
    refused(wms.post("/_admin/advance", json=body | {"steps": 0}), 422, "INVALID_PARAMETER")
    refused(
        wms.post("/_admin/advance", json=body | {"steps": 1, "exception": "DELAYED"}),
        422,
        "INVALID_PARAMETER",
    )
    advance(wms, number, to="PACKED")
    refused(wms.post("/_admin/advance", json=body | {"to": "PICKING"}), 409, "INVALID_TRANSITION")
    assert [entry["event_code"] for entry in log(wms, number)] == CODES[:4]


def test_a_cancelled_order_does_not_advance(wms: httpx.Client, world: World) -> None:
    number = release(wms, world, "life-6")
    order = ok(wms.get(f"/fulfillment-orders/{number}"))
    cancel = {"request_id": "c-1", "order_ref": order["order_ref"], "items": None}
    ok(wms.post("/fulfillment-orders/cancel", json=cancel))
    answer = wms.post("/_admin/advance", json={"fulfillment_order_no": number, "steps": 1})
    refused(answer, 409, "INVALID_TRANSITION")


def test_a_release_replayed_announces_nothing_again(wms: httpx.Client, world: World) -> None:
    number = release(wms, world, "life-7")
    record = stocked(world, at_least=5)[0]
    order = ok(wms.get(f"/fulfillment-orders/{number}"))
    body = {"release_id": "life-7", "order_ref": order["order_ref"], "order_number": "SO-life-7",
            "reservation_id": None, "lines": [{"facility_id": record.center_id,
            "item_number": record.sku, "qty": 4}]}  # fmt: skip
    ok(wms.post("/fulfillment-orders/release", json=body), 200)
    assert [entry["event_code"] for entry in log(wms, number)] == ["WV_REL"]


def test_every_step_goes_wrong_at_an_exception_rate_of_one(
    base_settings: Settings, tmp_path: Path, world: World
) -> None:
    settings = lifecycle_settings(base_settings, exception_rate=1.0)
    with private_system("wms", settings, tmp_path) as wms:
        number = release(wms, world, "life-8", units=4)
        answer = advance(wms, number, to="DELIVERED")
        got = codes(answer)
        assert "WV_BKO" in got
        assert got.count("SH_DLY") + got.count("SH_EXC") == 2  # in transit, out for delivery
        assert got[-1] == "SH_DLV"


def test_the_timed_mode_delivers_released_orders(
    base_settings: Settings, tmp_path: Path, world: World
) -> None:
    settings = lifecycle_settings(base_settings, speed_seconds=0.02)
    with private_system("wms", settings, tmp_path) as wms:
        number = release(wms, world, "life-9")

        def delivered() -> bool:
            return bool(ok(wms.get(f"/fulfillment-orders/{number}"))["wave_status"] == "DELIVERED")

        wait_until(delivered, timeout=20, what="the timed lifecycle to deliver")
        assert [entry["event_code"] for entry in log(wms, number)] == CODES
        # Seeded history is not advanced by the timer.
        seeded = ok(wms.get("/_admin/webhook-deliveries"))["data"]
        assert {entry["fulfillment_order_no"] for entry in seeded} == {number}
