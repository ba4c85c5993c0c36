"""A failing CRM: located SUBGRAPH_ERRORs, 429s retried after Retry-After, timeouts bounded."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from crossdock.settings import Settings
from subgraphs.crm.app import create_app
from systems.world_records import World
from tests.subgraphs.crm.graphql import SetFaults, crm_requests, error_codes, query
from tests.support.servers import serve

ORDER_CASES = """
query($id: ID!) {
  _entities(representations: [{__typename: "Order", id: $id}]) { ... on Order { id cases { id } } }
}
"""


@contextmanager
def subgraph_with(settings: Settings, **changes: Any) -> Iterator[httpx.Client]:
    """A CRM subgraph of its own (own client, cache and retry settings) over the shared CRM."""
    with (
        serve(create_app(settings.model_copy(update=changes))) as url,
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        yield client


def an_order_with_cases(world: World) -> str:
    return next(c.order_id for c in world.cases if c.order_id is not None)


def test_unavailable_crm_fails_only_the_fields_it_serves(
    subgraph: httpx.Client, crm_faults: SetFaults, world: World
) -> None:
    account = world.accounts[20]
    document = """
    query($id: ID!) {
      cached: account(id: $id) { id name }
      withContacts: account(id: $id) { id contacts { id } }
    }
    """
    # Accounts are reference data: once read, they are served from the cache.
    warm = query(subgraph, document, {"id": account.id})
    assert "errors" not in warm
    crm_faults(error_rate=1.0)
    body = query(subgraph, document, {"id": account.id})
    assert body["data"] == {
        "cached": {"id": account.id, "name": account.name},
        "withContacts": None,
    }
    assert error_codes(body) == [("SUBGRAPH_ERROR", ["withContacts", "contacts"])]
    assert "crm is unavailable" in body["errors"][0]["message"]
    assert "503" in body["errors"][0]["message"]


def test_unavailable_crm_in_entities_is_located(
    subgraph: httpx.Client, crm_faults: SetFaults, world: World
) -> None:
    crm_faults(error_rate=1.0)
    body = query(subgraph, ORDER_CASES, {"id": an_order_with_cases(world)})
    assert body["data"] == {"_entities": [None]}
    assert error_codes(body) == [("SUBGRAPH_ERROR", ["_entities", 0, "cases"])]


def test_unavailable_crm_fails_the_accounts_list(
    subgraph: httpx.Client, crm_faults: SetFaults
) -> None:
    crm_faults(error_rate=1.0)
    body = query(subgraph, "{ accounts(first: 2) { totalCount } }")
    assert body["data"] is None
    assert error_codes(body) == [("SUBGRAPH_ERROR", ["accounts"])]


def test_rate_limited_calls_are_retried_after_retry_after(
    subgraph: httpx.Client, crm_admin: httpx.Client, crm_faults: SetFaults, world: World
) -> None:
    order_id = an_order_with_cases(world)
    crm_faults(rate_limit_per_second=1.0)
    # Take the one token the bucket starts with, so the subgraph's call is throttled.
    crm_admin.get("/accounts", params={"limit": 1})
    before = crm_requests(crm_admin)
    started = time.monotonic()
    body = query(subgraph, ORDER_CASES, {"id": order_id})
    elapsed = time.monotonic() - started
    assert "errors" not in body
    expected = {c.id for c in world.cases if c.order_id == order_id}
    assert {c["id"] for c in body["data"]["_entities"][0]["cases"]} == expected
    assert crm_requests(crm_admin) - before >= 2  # the 429, then the answer
    assert 0.5 <= elapsed < 5


def test_rate_limit_retries_are_bounded(
    settings: Settings, crm_admin: httpx.Client, crm_faults: SetFaults, world: World
) -> None:
    with subgraph_with(
        settings, system_max_retries=1, system_max_retry_after_seconds=0.1
    ) as client:
        crm_faults(rate_limit_per_second=0.01)  # Retry-After: 100, capped at 0.1s
        crm_admin.get("/accounts", params={"limit": 1})
        before = crm_requests(crm_admin)
        started = time.monotonic()
        body = query(client, ORDER_CASES, {"id": an_order_with_cases(world)})
        elapsed = time.monotonic() - started
    assert error_codes(body) == [("SUBGRAPH_ERROR", ["_entities", 0, "cases"])]
    assert "429" in body["errors"][0]["message"]
    assert crm_requests(crm_admin) - before == 2  # the first try and one retry
    assert elapsed < 3


def test_a_slow_crm_fails_within_the_timeout(
    settings: Settings, crm_faults: SetFaults, world: World
) -> None:
    timeout = 0.3
    with subgraph_with(settings, system_timeout_seconds=timeout) as client:
        crm_faults(latency_ms=3000)
        started = time.monotonic()
        body = query(client, ORDER_CASES, {"id": an_order_with_cases(world)})
        elapsed = time.monotonic() - started
    assert error_codes(body) == [("SUBGRAPH_ERROR", ["_entities", 0, "cases"])]
    assert "timed out" in body["errors"][0]["message"]
    assert elapsed < timeout + 1.0
