"""``/metrics`` of the reference systems: every request timed by its route's template, faults
injected included; scraping is neither counted nor faulted."""

from __future__ import annotations

import httpx

from systems.world_records import World
from tests.support.graphql import fault_setter
from tests.support.metrics import scrape

HTTP = "http_server_request_duration_seconds_count"


def test_each_request_is_timed_by_its_route(
    erp: httpx.Client, erp_system_url: str, world: World
) -> None:
    route = {"http_request_method": "GET", "http_route": "/customers/{internal_id}"}
    before = scrape(erp_system_url)
    customer = world.accounts[0]
    assert erp.get(f"/customers/{customer.erp_id}").status_code == 200
    assert erp.get("/customers/no-such-customer").status_code == 404
    after = scrape(erp_system_url)
    ok = after.value(HTTP, **route, http_response_status_code="200")
    assert ok == before.value(HTTP, **route, http_response_status_code="200") + 1
    missing = after.value(HTTP, **route, http_response_status_code="404")
    assert missing == before.value(HTTP, **route, http_response_status_code="404") + 1
    # The route's template, not the path asked for: one series for every customer.
    assert not any(customer.erp_id in r for r in after.label_values(HTTP, "http_route"))


def test_an_injected_failure_is_timed_under_its_route(
    erp: httpx.Client, erp_system_url: str
) -> None:
    route = {
        "http_request_method": "GET",
        "http_route": "/items",
        "http_response_status_code": "503",
    }
    before = scrape(erp_system_url).value(HTTP, **route)
    with fault_setter(erp) as set_faults:
        set_faults(error_rate=1.0)
        assert erp.get("/items").status_code == 503
        # /metrics answers whatever the faults say, and is not counted as a call.
        calls = erp.get("/_admin/stats").json()["total"]
        scraped = scrape(erp_system_url)
        assert erp.get("/_admin/stats").json()["total"] == calls
    assert scraped.value(HTTP, **route) == before + 1
