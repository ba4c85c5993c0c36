"""A failing CRM: located SUBGRAPH_ERRORs, 429s retried after Retry-After, timeouts bounded."""

from __future__ import annotations

import time

import httpx

from crossdock.settings import Settings
from systems.world_records import World
from tests.support.graphql import SetFaults, error_codes, query, system_requests
from tests.support.subgraphs import own_subgraph

ORDER_CASES = """
query($id: ID!) {
  _entities(representations: [{__typename: "Order", id: $id}]) { ... on Order { id cases { id } } }
}
"""


def an_order_with_cases(world: World) -> str:
    return next(c.order_id for c in world.cases if c.order_id is not None)


def test_unavailable_crm_fails_only_the_fields_it_serves(
    crm_graph: httpx.Client, crm_faults: SetFaults, world: World
) -> None:
    account = world.accounts[20]
    document = """
    query($id: ID!) {
      cached: account(id: $id) { id name }
      withContacts: account(id: $id) { id contacts { id } }
    }
    """
    # Accounts are reference data: once read, they are served from the cache.
    warm = query(crm_graph, document, {"id": account.id})
    assert "errors" not in warm
    crm_faults(error_rate=1.0)
    body = query(crm_graph, document, {"id": account.id})
    assert body["data"] == {
        "cached": {"id": account.id, "name": account.name},
        "withContacts": None,
    }
    assert error_codes(body) == [("SUBGRAPH_ERROR", ["withContacts", "contacts"])]
    assert "crm is unavailable" in body["errors"][0]["message"]
    assert "503" in body["errors"][0]["message"]


def test_unavailable_crm_in_entities_is_located(
    crm_graph: httpx.Client, crm_faults: SetFaults, world: World
) -> None:
    crm_faults(error_rate=1.0)
    order_id = an_order_with_cases(world)
    body = query(crm_graph, ORDER_CASES, {"id": order_id})
    # Order.cases is nullable (the CRM contributes it to the ERP's Order): only it is lost.
    assert body["data"] == {"_entities": [{"id": order_id, "cases": None}]}
    assert error_codes(body) == [("SUBGRAPH_ERROR", ["_entities", 0, "cases"])]


def test_unavailable_crm_fails_the_accounts_list(
    crm_graph: httpx.Client, crm_faults: SetFaults
) -> None:
    crm_faults(error_rate=1.0)
    body = query(crm_graph, "{ accounts(first: 2) { totalCount } }")
    assert body["data"] == {"accounts": None}
    assert error_codes(body) == [("SUBGRAPH_ERROR", ["accounts"])]


def test_rate_limited_calls_are_retried_after_retry_after(
    crm_graph: httpx.Client, crm_admin: httpx.Client, crm_faults: SetFaults, world: World
) -> None:
    order_id = an_order_with_cases(world)
    crm_faults(rate_limit_per_second=1.0)
    # Take the one token the bucket starts with, so the subgraph's call is throttled.
    crm_admin.get("/accounts", params={"limit": 1})
    before = system_requests(crm_admin)
    started = time.monotonic()
    body = query(crm_graph, ORDER_CASES, {"id": order_id})
    elapsed = time.monotonic() - started
    assert "errors" not in body
    expected = {c.id for c in world.cases if c.order_id == order_id}
    assert {c["id"] for c in body["data"]["_entities"][0]["cases"]} == expected
    assert system_requests(crm_admin) - before >= 2  # the 429, then the answer
    assert 0.5 <= elapsed < 5


def test_rate_limit_retries_are_bounded(
    settings: Settings, crm_admin: httpx.Client, crm_faults: SetFaults, world: World
) -> None:
    with own_subgraph(
        "crm", settings, system_max_retries=1, system_max_retry_after_seconds=0.1
    ) as client:
        crm_faults(rate_limit_per_second=0.01)  # Retry-After: 100, capped at 0.1s
        crm_admin.get("/accounts", params={"limit": 1})
        before = system_requests(crm_admin)
        started = time.monotonic()
        body = query(client, ORDER_CASES, {"id": an_order_with_cases(world)})
        elapsed = time.monotonic() - started
    assert error_codes(body) == [("SUBGRAPH_ERROR", ["_entities", 0, "cases"])]
    assert "429" in body["errors"][0]["message"]
    assert system_requests(crm_admin) - before == 2  # the first try and one retry
    assert elapsed < 3


def test_a_slow_crm_fails_within_the_timeout(
    settings: Settings, crm_faults: SetFaults, world: World
) -> None:
    timeout = 0.3
    with own_subgraph("crm", settings, system_timeout_seconds=timeout) as client:
        crm_faults(latency_ms=3000)
        started = time.monotonic()
        body = query(client, ORDER_CASES, {"id": an_order_with_cases(world)})
        elapsed = time.monotonic() - started
    assert error_codes(body) == [("SUBGRAPH_ERROR", ["_entities", 0, "cases"])]
    assert "timed out" in body["errors"][0]["message"]
    assert elapsed < timeout + 1.0
