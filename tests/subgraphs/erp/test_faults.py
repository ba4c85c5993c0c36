"""A failing ERP: located SUBGRAPH_ERRORs, 429s retried after Retry-After, timeouts bounded."""

from __future__ import annotations

import socket
import time

import httpx

from crossdock.settings import Settings
from systems.world_records import World
from tests.support.graphql import SetFaults, data, error_codes, query, system_requests
from tests.support.subgraphs import own_subgraph

PRODUCT_AND_ORDER = """
query($sku: String!, $id: ID!) {
  product(sku: $sku) { sku name }
  order(id: $id) { id number }
}
"""


def test_unavailable_erp_fails_only_the_fields_it_serves(
    settings: Settings, erp_faults: SetFaults, world: World
) -> None:
    product, order = world.products[3], world.orders[3]
    variables = {"sku": product.sku, "id": order.id}
    with own_subgraph("erp", settings) as graph:
        # Products are reference data: once read, they are served from the cache.
        data(graph, PRODUCT_AND_ORDER, variables)
        erp_faults(error_rate=1.0)
        body = query(graph, PRODUCT_AND_ORDER, variables)
    assert body["data"] == {"product": {"sku": product.sku, "name": product.name}, "order": None}
    assert error_codes(body) == [("SUBGRAPH_ERROR", ["order"])]
    assert "erp is unavailable" in body["errors"][0]["message"]
    assert "503" in body["errors"][0]["message"]


def test_unavailable_erp_in_entities_is_located(
    erp_graph: httpx.Client, erp_faults: SetFaults, world: World
) -> None:
    order = world.orders[5]
    document = """
    query($reps: [_Any!]!) {
      _entities(representations: $reps) { ... on Order { id } ... on Account { creditHold } }
    }
    """
    erp_faults(error_rate=1.0)
    reps = [{"__typename": "Order", "id": order.id}]
    body = query(erp_graph, document, {"reps": reps})
    assert body["data"] == {"_entities": [None]}
    assert error_codes(body) == [("SUBGRAPH_ERROR", ["_entities", 0])]


def test_rate_limited_erp_is_retried_after_retry_after(
    settings: Settings, erp_faults: SetFaults, erp_admin: httpx.Client, world: World
) -> None:
    order = world.orders[9]
    document = "query($id: ID!) { order(id: $id) { id lines { product { name } } } }"
    with own_subgraph(
        "erp", settings, system_max_retries=2, system_max_retry_after_seconds=2.0
    ) as graph:
        erp_faults(rate_limit_per_second=1)
        before = system_requests(erp_admin)
        started = time.monotonic()
        result = data(graph, document, {"id": order.id})
        elapsed = time.monotonic() - started
    assert result["order"]["id"] == order.id
    # Two calls (the order, then its items), the second one throttled once and retried.
    assert system_requests(erp_admin) - before == 3
    assert 0.9 <= elapsed < 5


def test_retries_are_bounded_and_fail_only_the_throttled_field(
    settings: Settings, erp_faults: SetFaults, world: World
) -> None:
    account = world.accounts[12]
    document = """
    query($reps: [_Any!]!) {
      _entities(representations: $reps) { ... on Account { id paymentTerms priceList { id } } }
    }
    """
    reps = [{"__typename": "Account", "id": account.id}]
    with own_subgraph("erp", settings, system_max_retries=0) as graph:
        # One call a second: the customer loads, its price list is throttled and not retried.
        erp_faults(rate_limit_per_second=1)
        body = query(graph, document, {"reps": reps})
    assert body["data"] == {
        "_entities": [{"id": account.id, "paymentTerms": account.payment_terms, "priceList": None}]
    }
    assert error_codes(body) == [("SUBGRAPH_ERROR", ["_entities", 0, "priceList"])]
    assert "429" in body["errors"][0]["message"]


def test_slow_erp_fails_within_the_timeout(
    settings: Settings, erp_faults: SetFaults, world: World
) -> None:
    order = world.orders[11]
    with own_subgraph("erp", settings, system_timeout_seconds=0.3) as graph:
        erp_faults(latency_ms=3000)
        started = time.monotonic()
        body = query(graph, "query($id: ID!) { order(id: $id) { id } }", {"id": order.id})
        elapsed = time.monotonic() - started
    assert elapsed < 0.3 + 1.0
    assert body["data"] == {"order": None}
    assert error_codes(body) == [("SUBGRAPH_ERROR", ["order"])]
    assert "timed out" in body["errors"][0]["message"]


def test_rate_limited_erp_fails_within_the_timeout(
    settings: Settings, erp_faults: SetFaults, erp_admin: httpx.Client, world: World
) -> None:
    # Retry-After: 10 capped at 0.4s, ten retries allowed: 4s and more of waiting, were it not
    # for the one deadline (1.5s) of the whole call.
    timeout = 1.5
    order = world.orders[13]
    with own_subgraph(
        "erp",
        settings,
        system_timeout_seconds=timeout,
        system_max_retries=10,
        system_max_retry_after_seconds=0.4,
    ) as graph:
        erp_faults(rate_limit_per_second=0.1)
        erp_admin.get("/items", params={"limit": 1})  # the one token the bucket starts with
        before = system_requests(erp_admin)
        started = time.monotonic()
        body = query(graph, "query($id: ID!) { order(id: $id) { id } }", {"id": order.id})
        elapsed = time.monotonic() - started
    assert elapsed < timeout + 0.5
    assert body["data"] == {"order": None}
    assert error_codes(body) == [("SUBGRAPH_ERROR", ["order"])]
    assert "rate limiting (429)" in body["errors"][0]["message"]
    assert 2 <= system_requests(erp_admin) - before <= 4  # retried, but not ten times


def test_erp_at_a_bad_url_is_a_subgraph_error(settings: Settings, world: World) -> None:
    order = world.orders[13]
    # A port bound by nothing that listens: every connection to it is refused.
    closed = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    closed.bind(("127.0.0.1", 0))
    nobody = f"http://127.0.0.1:{closed.getsockname()[1]}"
    cases = [
        (nobody, "erp is unavailable: erp could not be reached"),
        ("http://127.0.0.1:99999", "erp is unavailable: erp is configured with an invalid URL"),
        ("http://256.1.1.1:80", "erp is unavailable: erp is configured with an invalid URL"),
    ]
    with closed:
        for url, message in cases:
            _answers_unavailable(settings, order.id, url, message)


def _answers_unavailable(settings: Settings, order_id: str, url: str, message: str) -> None:
    with own_subgraph("erp", settings, erp_url=url) as graph:
        body = query(graph, "query($id: ID!) { order(id: $id) { id } }", {"id": order_id})
    assert body["data"] == {"order": None}, url
    assert error_codes(body) == [("SUBGRAPH_ERROR", ["order"])], url
    assert body["errors"][0]["message"] == message
