"""With auth on, ``operations`` and ``ordersAtRiskChanged`` are staff's only: a customer's
token (``orders:read`` for its account) is refused with FORBIDDEN, a staff token gets figures;
hostile arguments are a BAD_USER_INPUT, never a traceback."""

from __future__ import annotations

import httpx

from tests.subgraphs.identity import Roles, ask

OPERATIONS = "{ operations { windowStart cycleTimes { stage count } ordersAtRisk { orderId } } }"


def test_a_customer_is_refused_the_operations(wms_guarded: httpx.Client, roles: Roles) -> None:
    body = ask(wms_guarded, roles.customer(), OPERATIONS)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"


def test_staff_get_the_operations(wms_guarded: httpx.Client, roles: Roles) -> None:
    body = ask(wms_guarded, roles.staff(), OPERATIONS)
    assert "errors" not in body, body
    stages = [row["stage"] for row in body["data"]["operations"]["cycleTimes"]]
    assert stages[0] == "SUBMITTED_TO_RELEASED" and "RETURN_RECEIVED_TO_CREDITED" in stages


def test_out_of_range_arguments_are_bad_user_input(wms_guarded: httpx.Client, roles: Roles) -> None:
    for document in (
        "{ operations(windowHours: 0) { windowStart } }",
        "{ operations(windowHours: 100000) { windowStart } }",
        "{ operations { ordersAtRisk(first: -1) { orderId } } }",
        "{ operations { cycleTimeSeries(bucketMinutes: 0) { start } } }",
        "{ operations(windowHours: 720) { falloutSeries(bucketMinutes: 1) { start } } }",
    ):
        body = ask(wms_guarded, roles.staff(), document)
        codes = [error["extensions"]["code"] for error in body["errors"]]
        assert codes == ["BAD_USER_INPUT"], (document, body)


def test_the_seeded_books_and_shelves_agree(wms_guarded: httpx.Client, roles: Roles) -> None:
    """The ERP opens its books on the WMS's seeded positions: nothing differs until goods move."""
    document = "{ operations { inventoryDiscrepancies { sku difference } } }"
    body = ask(wms_guarded, roles.staff(), document)
    assert body == {"data": {"operations": {"inventoryDiscrepancies": []}}}
