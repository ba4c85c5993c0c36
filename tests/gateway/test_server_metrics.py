"""``/metrics``: the engine's counters, showing that a known document is not parsed or planned."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from gateway.documents import DocumentStats
from gateway.engine import GatewayStats
from gateway.server import GatewaySettings, create_gateway_app
from gateway.server._metrics import COUNTERS
from tests.gateway.conformance.cases import entities
from tests.gateway.conftest import Running, supergraph_with_urls
from tests.support.servers import serve


@pytest.fixture
def gateway_url(run_subgraphs: Callable[..., Running], tmp_path: Path) -> Iterator[str]:
    _, urls = run_subgraphs("entities", entities.build)
    path = tmp_path / "supergraph.graphql"
    path.write_text(supergraph_with_urls(entities.CASE.supergraph_path.read_text(), urls))
    with serve(create_gateway_app(path, GatewaySettings(reload_interval=0))) as url:
        yield url


def metrics(url: str) -> dict[str, float]:
    response = httpx.get(f"{url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for line in response.text.splitlines():
        # Demand control's labelled costs are read by tests/gateway/test_demand_server.py.
        # The histograms and error counts are read by tests/gateway/test_server_histograms.py.
        # The wait in line for an execution slot: tests/gateway/test_execution_slots.py.
        if line.startswith("crossdock_gateway_") and not line.startswith(
            ("crossdock_gateway_cost_", "crossdock_gateway_execution_wait_")
        ):
            name, value = line.split(" ")
            samples[name.removeprefix("crossdock_gateway_").removesuffix("_total")] = float(value)
    return samples


def test_every_counter_is_exported() -> None:
    assert list(COUNTERS) == [f.name for f in dataclasses.fields(GatewayStats)]


def test_repeats_of_a_query_over_http_parse_and_plan_once(gateway_url: str) -> None:
    with httpx.Client(base_url=gateway_url) as client:
        for _ in range(20):
            response = client.post("/graphql", json={"query": "{ orgs { name members { name } } }"})
            assert "errors" not in response.json()
        client.post("/graphql", json={"query": "{ orgs { nope } }"})
    assert metrics(gateway_url) == {
        "requests": 21,
        "parses": 2,
        "validations": 2,
        "document_cache_hits": 19,
        "plans_built": 1,
        "plan_cache_hits": 19,
        # One after another, nothing was in flight to share (tests/gateway/test_dedup.py).
        "queries_shared": 0,
        "subgraph_fetches_shared": 0,
        # Gauges of what streams now (WebSockets, subscriptions): nothing over plain HTTP.
        "websocket_connections": 0,
        "active_subscriptions": 0,
        # Executions running and waiting for a slot now (max_executions_in_flight).
        "executions_in_flight": 0,
        "executions_queued": 0,
        # Refused at a full line for a slot (max_executions_queued): none.
        "executions_refused": 0,
        # Persisted queries and trusted documents (tests/gateway/documents): none sent.
        **{f.name: 0 for f in dataclasses.fields(DocumentStats)},
    }
