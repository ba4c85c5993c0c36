"""WMS reservations: all lines or none, idempotent by id, never over-allocated, releasable.

Every test gets a WMS of its own over a copy of the seeded database, so the session's WMS
(and every other test) keeps seeing the seeded inventory.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from crossdock.settings import Settings
from systems.wms.reservations import MAX_ID
from systems.world_records import InventoryRecord, World
from tests.support.rest import error_code, ok
from tests.systems.harness import Call, private_system, race

CONCURRENT_CLIENTS = 100
CONTESTED_UNITS = 10
RACING_PAIRS = 25


@pytest.fixture
def wms(base_settings: Settings, tmp_path: Path) -> Iterator[httpx.Client]:
    """A client of a WMS of this test's own, seeded like the session's."""
    with private_system("wms", base_settings, tmp_path) as client:
        yield client


@pytest.fixture(scope="module")
def shared_wms(wms_system_url: str) -> Iterator[httpx.Client]:
    """A client of the session's WMS, for requests that must change nothing."""
    with httpx.Client(base_url=wms_system_url, timeout=10) as client:
        yield client


def stocked(world: World, *, at_least: int = CONTESTED_UNITS + 1) -> list[InventoryRecord]:
    """Positions with at least ``at_least`` units available."""
    return [i for i in world.inventory if i.on_hand - i.allocated >= at_least]


def position(wms: httpx.Client, sku: str, center: str) -> dict[str, Any]:
    [found] = ok(wms.get("/inventory", params={"items": sku, "facility": center}))["data"]
    assert isinstance(found, dict)
    return found


def line(record: InventoryRecord, qty: int) -> dict[str, Any]:
    return {"item_number": record.sku, "facility_id": record.center_id, "qty": qty}


def reserve(wms: httpx.Client, reservation_id: str, *lines: dict[str, Any]) -> httpx.Response:
    return wms.post("/reservations", json={"reservation_id": reservation_id, "lines": list(lines)})


def reserving(reservation_id: str, *lines: dict[str, Any]) -> Call:
    return lambda client: reserve(client, reservation_id, *lines)


def releasing(reservation_id: str) -> Call:
    return lambda client: client.delete(f"/reservations/{reservation_id}")


def test_reservation_allocates_every_line(wms: httpx.Client, world: World) -> None:
    a, b = stocked(world)[:2]
    response = reserve(wms, "R-1", line(a, 3), line(b, 2))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["reservation_id"] == "R-1" and body["status"] == "ACTIVE"
    assert body["released_ts"] is None and body["created_ts"].endswith("Z")
    assert body["lines"] == [{"line_no": 1, **line(a, 3)}, {"line_no": 2, **line(b, 2)}]
    after = position(wms, a.sku, a.center_id)
    assert after["qty_allocated"] == a.allocated + 3
    assert after["qty_available"] == a.on_hand - a.allocated - 3
    assert position(wms, b.sku, b.center_id)["qty_allocated"] == b.allocated + 2


def test_short_reservation_allocates_nothing(wms: httpx.Client, world: World) -> None:
    a = stocked(world)[0]
    b = next(i for i in world.inventory if i.on_hand - i.allocated == 0)
    response = reserve(wms, "R-short", line(a, 1), line(b, 1))
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "INSUFFICIENT_INVENTORY"
    assert error["short_lines"] == [
        {"item_number": b.sku, "facility_id": b.center_id, "qty_requested": 1, "qty_available": 0}
    ]
    assert position(wms, a.sku, a.center_id)["qty_allocated"] == a.allocated
    # Nothing was stored either: the same id may be used for a reservation that fits.
    assert reserve(wms, "R-short", line(a, 1)).status_code == 201


def test_lines_of_one_position_count_together(wms: httpx.Client, world: World) -> None:
    a = stocked(world)[0]
    available = a.on_hand - a.allocated
    response = reserve(wms, "R-twice", line(a, available), line(a, 1))
    assert response.status_code == 409, response.text
    [short] = response.json()["error"]["short_lines"]
    assert short["qty_requested"] == available + 1 and short["qty_available"] == available


def test_unknown_item_is_short_and_unknown_facility_is_422(wms: httpx.Client) -> None:
    unknown_item = {"item_number": "SKU-NOPE", "facility_id": "ATL1", "qty": 1}
    response = reserve(wms, "R-x", unknown_item)
    assert response.status_code == 409, response.text
    assert response.json()["error"]["short_lines"][0]["qty_available"] == 0
    unknown_facility = {"item_number": "SKU-10001", "facility_id": "NOPE1", "qty": 1}
    response = reserve(wms, "R-y", unknown_facility)
    assert response.status_code == 422, response.text
    assert "NOPE1" in response.json()["error"]["message"]


def test_reservation_is_idempotent_by_id(wms: httpx.Client, world: World) -> None:
    a = stocked(world)[0]
    first = reserve(wms, "R-idem", line(a, 4))
    assert first.status_code == 201, first.text
    again = reserve(wms, "R-idem", line(a, 4))
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert position(wms, a.sku, a.center_id)["qty_allocated"] == a.allocated + 4
    other = reserve(wms, "R-idem", line(a, 5))
    assert other.status_code == 409, other.text
    assert other.json()["error"]["code"] == "IDEMPOTENCY_CONFLICT"
    assert position(wms, a.sku, a.center_id)["qty_allocated"] == a.allocated + 4


def test_release_gives_the_units_back_once(wms: httpx.Client, world: World) -> None:
    a, b = stocked(world)[:2]
    assert reserve(wms, "R-rel", line(a, 2), line(b, 1)).status_code == 201
    released = wms.delete("/reservations/R-rel")
    assert released.status_code == 200, released.text
    assert released.json()["status"] == "RELEASED" and released.json()["released_ts"]
    assert position(wms, a.sku, a.center_id)["qty_allocated"] == a.allocated
    assert position(wms, b.sku, b.center_id)["qty_allocated"] == b.allocated
    twice = wms.delete("/reservations/R-rel")
    assert twice.status_code == 200 and twice.json() == released.json()
    assert position(wms, a.sku, a.center_id)["qty_allocated"] == a.allocated
    # Asking again for a released reservation answers it as it is; it allocates nothing.
    again = reserve(wms, "R-rel", line(a, 2), line(b, 1))
    assert again.status_code == 200 and again.json()["status"] == "RELEASED"
    assert position(wms, a.sku, a.center_id)["qty_allocated"] == a.allocated


def test_releasing_an_unknown_reservation_is_404(wms: httpx.Client) -> None:
    assert error_code(wms.delete("/reservations/R-nope"), 404) == "NOT_FOUND"


def test_a_reserve_overtaken_by_its_release_allocates_nothing(
    wms: httpx.Client, world: World
) -> None:
    a = stocked(world)[0]
    assert error_code(wms.delete("/reservations/R-late"), 404) == "NOT_FOUND"
    late = reserve(wms, "R-late", line(a, 2))
    assert late.status_code == 200, late.text
    tombstone = late.json()
    assert tombstone["reservation_id"] == "R-late" and tombstone["status"] == "RELEASED"
    assert tombstone["lines"] == [] and tombstone["released_ts"] == tombstone["created_ts"]
    assert position(wms, a.sku, a.center_id)["qty_allocated"] == a.allocated
    # The id stays released: any lines answer it, and releasing it again is 200 unchanged.
    assert reserve(wms, "R-late", line(a, 3)).json() == tombstone
    assert ok(wms.delete("/reservations/R-late")) == tombstone
    assert position(wms, a.sku, a.center_id)["qty_allocated"] == a.allocated


def test_an_overlong_unknown_id_is_404_and_leaves_nothing(wms: httpx.Client) -> None:
    long_id = "R" * (MAX_ID + 1)
    assert error_code(wms.delete(f"/reservations/{long_id}"), 404) == "NOT_FOUND"
    assert error_code(wms.delete(f"/reservations/{long_id}"), 404) == "NOT_FOUND"


def test_a_racing_reserve_and_release_never_leave_an_allocation(
    wms: httpx.Client, world: World
) -> None:
    a = stocked(world, at_least=RACING_PAIRS)[0]
    ids = [f"R-overtaken-{n}" for n in range(RACING_PAIRS)]
    calls = [call for r in ids for call in (reserving(r, line(a, 1)), releasing(r))]
    answers = race(wms, calls)
    for reservation_id, posted, deleted in zip(ids, answers[0::2], answers[1::2], strict=True):
        # Either the reserve came first and the release gave it back, or the release came
        # first and the reserve found its tombstone: both end RELEASED, with nothing held.
        assert (posted.status_code, deleted.status_code) in {(201, 200), (200, 404)}
        assert ok(wms.delete(f"/reservations/{reservation_id}"))["status"] == "RELEASED"
    assert position(wms, a.sku, a.center_id)["qty_allocated"] == a.allocated


def test_concurrent_reservations_never_over_allocate(wms: httpx.Client, world: World) -> None:
    a = stocked(world)[0]
    # Leave exactly CONTESTED_UNITS available, then let more clients than units compete.
    spare = a.on_hand - a.allocated - CONTESTED_UNITS
    assert reserve(wms, "R-setup", line(a, spare)).status_code == 201
    answers = race(wms, [reserving(f"R-race-{n}", line(a, 1)) for n in range(CONCURRENT_CLIENTS)])
    statuses = [answer.status_code for answer in answers]
    assert sorted(statuses) == [201] * CONTESTED_UNITS + [409] * (
        CONCURRENT_CLIENTS - CONTESTED_UNITS
    )
    after = position(wms, a.sku, a.center_id)
    assert after["qty_allocated"] == after["qty_on_hand"] and after["qty_available"] == 0


def body_with(**line: object) -> bytes:
    return orjson.dumps({"reservation_id": "R-b", "lines": [line]})


GOOD_LINE: dict[str, object] = {"item_number": "S", "facility_id": "ATL1", "qty": 1}


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"reservation_id": "R-b"}',
        b'{"reservation_id": "R-b", "lines": []}',
        orjson.dumps({"reservation_id": "", "lines": [GOOD_LINE]}),
        body_with(**{**GOOD_LINE, "qty": 0}),
        body_with(**{**GOOD_LINE, "qty": "2"}),
        body_with(**{**GOOD_LINE, "x": 1}),
        body_with(item_number="S", qty=1),
    ],
)
def test_bad_reservation_bodies_are_422(shared_wms: httpx.Client, body: bytes) -> None:
    response = shared_wms.post(
        "/reservations", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "INVALID_PARAMETER"


def test_too_many_lines_are_422(shared_wms: httpx.Client) -> None:
    lines = [{"item_number": f"SKU-{n}", "facility_id": "ATL1", "qty": 1} for n in range(101)]
    assert reserve(shared_wms, "R-big", *lines).status_code == 422
