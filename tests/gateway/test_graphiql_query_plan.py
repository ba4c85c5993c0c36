"""GraphiQL shows the query plan: the gateway's page, run in Node as a browser runs it
(``defer_client/graphiql_defer.cjs``: the page and its vendored scripts, fetched from the
gateway), hands GraphiQL a "Query plan" pane and a fetcher that asks for the plan; an
operation run with that fetcher comes back with the plan, which the page keeps for its pane.
Where plans are not exposed, the page has neither."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.engine import Gateway
from gateway.server import GatewaySettings, create_app
from gateway.supergraph import parse_supergraph
from tests.gateway.defer_federation import DeferFederation, running_defer_federation
from tests.support.servers import serve
from tests.support.transports import PATIENCE

PAGE = Path(__file__).parent / "defer_client" / "graphiql_defer.cjs"
QUERY = 'query Shipped { order(id: "o-1") { number shipments { trackingNumber } } }'
DEFERRED = 'query Later { order(id: "o-1") { number ... @defer { shipments { trackingNumber } } } }'


@pytest.fixture(scope="module")
def federation() -> Iterator[DeferFederation]:
    with running_defer_federation() as fed:
        fed.gate.open()
        yield fed


@pytest.fixture(scope="module")
def gateway(federation: DeferFederation) -> Iterator[Gateway]:
    yield Gateway(parse_supergraph(federation.supergraph))


def run_page(url: str, query: str) -> list[Any]:
    """What the page's fetcher yields to GraphiQL, one value a line, then the done line."""
    result = subprocess.run(
        ["node", str(PAGE), url, query],
        capture_output=True,
        text=True,
        timeout=PATIENCE * 2,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_the_page_has_a_query_plan_pane_fed_by_its_fetcher(gateway: Gateway) -> None:
    with serve(create_app(gateway, GatewaySettings(reload_interval=0))) as url:
        page = httpx.get(f"{url}/graphql", headers={"accept": "text/html"})
        assert "Apollo-Expose-Query-Plan" in page.text and '"Query plan"' in page.text
        *yielded, done = run_page(url, QUERY)
        *parts, deferred_done = run_page(url, DEFERRED)
    [response] = yielded
    assert response["data"]["order"]["number"] == "SO-1"
    text = response["extensions"]["apolloQueryPlan"]["text"]
    assert 'Fetch(service: "orders")' in text and 'Fetch(service: "shipping")' in text
    assert done == {"done": True, "plugins": ["Query plan"], "queryPlan": text}
    # Multipart (@defer): the plan comes with the first part, and the pane shows it.
    [first] = parts[0]
    assert first["hasNext"] is True
    plan = first["extensions"]["apolloQueryPlan"]["text"]
    assert "Defer {" in plan and "Deferred(id: 0" in plan
    assert deferred_done["queryPlan"] == plan


def test_without_exposed_plans_the_page_neither_asks_nor_shows(gateway: Gateway) -> None:
    settings = GatewaySettings(reload_interval=0, expose_query_plans=False)
    with serve(create_app(gateway, settings)) as url:
        page = httpx.get(f"{url}/graphql", headers={"accept": "text/html"})
        assert "Apollo-Expose-Query-Plan" not in page.text and "Query plan" not in page.text
        *yielded, done = run_page(url, QUERY)
    [response] = yielded
    assert "extensions" not in response
    assert done == {"done": True}
