"""submitOrder when one write fails, through the gateway: what the client gets back, and what
an operator finds in the systems afterwards (no stock left allocated, no order left open, the
key free for a retry that then succeeds once).

Each write is failed on its own with route-scoped faults, so the reads and the other writes
of the same system still answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from crossdock.settings import SYSTEM_NAMES, Settings, SystemName
from tests.orchestration.conftest import OwnWorld, copy_world, running_world
from tests.orchestration.picks import Picker, line, order_input
from tests.orchestration.test_submit_guarantees import wms_available
from tests.orchestration.test_submit_order import SUBMIT, submit

RESERVE = "POST /reservations"
CREATE = "POST /salesOrders"
RELEASE = "POST /fulfillment-orders/release"
UNRESERVE = "DELETE /reservations/{reservation_id}"
OPEN_STATUSES = "SUBMITTED,ON_HOLD,CONFIRMED"
# The orders subgraph of the slow world gives up on a system after this long.
SLOW_WORLD_TIMEOUT = 1.0


def clear_faults(world: OwnWorld) -> None:
    for system in SYSTEM_NAMES:
        world.faults(system)


@pytest.fixture
def faulty(own_world: OwnWorld) -> Iterator[OwnWorld]:
    """The shared world, with every fault a test sets cleared after it, pass or fail."""
    try:
        yield own_world
    finally:
        clear_faults(own_world)


@pytest.fixture(scope="module")
def slow_world(
    base_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OwnWorld]:
    """A world of its own whose subgraphs wait at most ``SLOW_WORLD_TIMEOUT`` for a system."""
    copied = copy_world(base_settings, tmp_path_factory.mktemp("slow-world"))
    settings = copied.model_copy(update={"system_timeout_seconds": SLOW_WORLD_TIMEOUT})
    with running_world(settings, tmp_path_factory.mktemp("slow-gateway")) as world:
        try:
            yield world
        finally:
            clear_faults(world)


def stats(world: OwnWorld, system: SystemName) -> dict[str, int]:
    response = httpx.get(f"{world.systems[system]}/_admin/stats", timeout=10)
    assert response.status_code == 200, response.text
    counts: dict[str, int] = response.json()["requests"]
    return counts


def orders_of(world: OwnWorld, account: str, statuses: str | None = None) -> list[str]:
    """The ids of ``account``'s orders in the ERP (in ``statuses`` when given), every page."""
    ids: list[str] = []
    while True:
        params: dict[str, str | int] = {
            "customerExternalIds": account,
            "limit": 200,
            "offset": len(ids),
        }
        if statuses is not None:
            params["status"] = statuses
        response = httpx.get(f"{world.systems['erp']}/salesOrders", params=params, timeout=10)
        assert response.status_code == 200, response.text
        body = response.json()
        ids += [str(x["internalId"]) for x in body["items"]]
        if not body["hasMore"]:
            return ids


def failed_submission(world: OwnWorld, input: dict[str, Any], key: str) -> dict[str, Any]:
    """The one error of a submission a system failed; the data must be null."""
    body = world.graphql(SUBMIT, {"input": input, "key": key})
    assert body["data"] is None, body
    errors: list[dict[str, Any]] = body["errors"]  # type: ignore[assignment]
    [error] = errors
    assert error["extensions"]["code"] == "SUBGRAPH_ERROR"
    assert error["path"] == ["submitOrder"]
    return error


def assert_retry_succeeds_once(
    world: OwnWorld, input: dict[str, Any], key: str, account: str, sku: str, before: int
) -> None:
    """With the fault gone, the same key submits once; submitting again replays it."""
    open_before = orders_of(world, account, OPEN_STATUSES)
    payload = submit(world, input, key)
    assert payload["outcome"] == "CONFIRMED"
    assert payload["order"]["status"] == "CONFIRMED"
    again = submit(world, input, key)
    assert again["order"]["id"] == payload["order"]["id"]
    opened = set(orders_of(world, account, OPEN_STATUSES)) - set(open_before)
    assert opened == {payload["order"]["id"]}
    assert wms_available(world, sku)["EWR1"] == before - 2


def test_wms_failing_to_reserve_leaves_nothing_behind(faulty: OwnWorld, picker: Picker) -> None:
    sku, account = picker.stocked(), picker.account()
    input = order_input(account, line(sku, 2))
    stock = wms_available(faulty, sku)
    orders = orders_of(faulty, account)
    faulty.faults("wms", error_rate=1.0, routes=[RESERVE])
    unreserved = stats(faulty, "wms").get(UNRESERVE, 0)

    error = failed_submission(faulty, input, "compensate-reserve-1")

    assert "wms" in error["message"]
    assert "nothing was reserved or ordered" in error["message"]
    # The reserve may have been made before the failure: it was taken back to be sure.
    assert stats(faulty, "wms")[UNRESERVE] == unreserved + 1
    assert wms_available(faulty, sku) == stock
    assert orders_of(faulty, account) == orders
    faulty.faults("wms")
    assert_retry_succeeds_once(faulty, input, "compensate-reserve-1", account, sku, stock["EWR1"])


def test_erp_failing_to_create_the_order_releases_the_reservation(
    faulty: OwnWorld, picker: Picker
) -> None:
    sku, account = picker.stocked(), picker.account()
    input = order_input(account, line(sku, 2))
    stock = wms_available(faulty, sku)
    orders = orders_of(faulty, account)
    faulty.faults("erp", error_rate=1.0, routes=[CREATE])
    creates = stats(faulty, "erp").get(CREATE, 0)

    error = failed_submission(faulty, input, "compensate-create-1")

    assert "erp" in error["message"]
    assert "the reservation was released, nothing ordered" in error["message"]
    assert stats(faulty, "erp")[CREATE] == creates + 1
    assert wms_available(faulty, sku) == stock
    assert orders_of(faulty, account) == orders
    faulty.faults("erp")
    assert_retry_succeeds_once(faulty, input, "compensate-create-1", account, sku, stock["EWR1"])


def test_wms_failing_to_release_holds_the_order_for_review(
    faulty: OwnWorld, picker: Picker
) -> None:
    """The documented compensation of the last step: the order stands, ON_HOLD for manual
    review, with its stock still reserved for it; the key keeps that result."""
    sku, account = picker.stocked(), picker.account()
    input = order_input(account, line(sku, 2))
    stock = wms_available(faulty, sku)
    faulty.faults("wms", error_rate=1.0, routes=[RELEASE])

    payload = submit(faulty, input, "compensate-release-1")

    assert payload["userErrors"] == []
    assert payload["outcome"] == "ON_HOLD"
    order = payload["order"]
    assert (order["status"], order["holdReason"]) == ("ON_HOLD", "MANUAL_REVIEW")
    assert order["fulfillmentOrders"] == []
    faulty.faults("wms")
    # What an operator finds: the order held in the ERP, its stock allocated, not released.
    response = httpx.get(f"{faulty.systems['erp']}/salesOrders/{order['id']}", timeout=10)
    erp_order = response.json()
    assert (erp_order["custbody_status"], erp_order["custbody_hold_reason"]) == (
        "ON_HOLD",
        "MANUAL_REVIEW",
    )
    assert wms_available(faulty, sku)["EWR1"] == stock["EWR1"] - 2
    assert orders_of(faulty, account, OPEN_STATUSES).count(order["id"]) == 1
    # The key answers the held order again; nothing new is made.
    again = submit(faulty, input, "compensate-release-1")
    assert (again["outcome"], again["order"]["id"]) == ("ON_HOLD", order["id"])
    assert wms_available(faulty, sku)["EWR1"] == stock["EWR1"] - 2


def test_an_order_the_erp_entered_after_the_timeout_is_cancelled(
    slow_world: OwnWorld, picker: Picker
) -> None:
    """The ERP takes longer than the subgraph waits, and enters the order after it gave up:
    the compensation finds the order by its external id and cancels it."""
    sku, account = picker.stocked(), picker.account()
    input = order_input(account, line(sku, 2))
    stock = wms_available(slow_world, sku)
    open_orders = orders_of(slow_world, account, OPEN_STATUSES)
    orders = orders_of(slow_world, account)
    latency = int(SLOW_WORLD_TIMEOUT * 1000 * 1.5)
    slow_world.faults("erp", latency_ms=latency, routes=[CREATE])
    try:
        error = failed_submission(slow_world, input, "compensate-timeout-1")
    finally:
        slow_world.faults("erp")

    assert "erp timed out" in error["message"]
    assert "the order the erp entered was cancelled" in error["message"]
    [entered] = sorted(set(orders_of(slow_world, account)) - set(orders))
    response = httpx.get(f"{slow_world.systems['erp']}/salesOrders/{entered}", timeout=10)
    assert response.json()["custbody_status"] == "CANCELLED"
    assert orders_of(slow_world, account, OPEN_STATUSES) == open_orders
    assert wms_available(slow_world, sku) == stock
    assert_retry_succeeds_once(
        slow_world, input, "compensate-timeout-1", account, sku, stock["EWR1"]
    )
