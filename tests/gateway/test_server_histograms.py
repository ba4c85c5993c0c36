"""``/metrics`` of the gateway after real queries: requests, operations and subgraph fetches
timed, errors counted by code, operation names capped (docs/metrics.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from gateway.server import GatewaySettings, create_gateway_app
from tests.gateway.conformance.cases import entities
from tests.gateway.conftest import Running, supergraph_with_urls
from tests.support.metrics import scrape
from tests.support.servers import serve

QUERY = "query Members { orgs { name members { name } } }"


@pytest.fixture
def supergraph(run_subgraphs: Callable[..., Running], tmp_path: Path) -> Path:
    _, urls = run_subgraphs("entities", entities.build)
    path = tmp_path / "supergraph.graphql"
    path.write_text(supergraph_with_urls(entities.CASE.supergraph_path.read_text(), urls))
    return path


@pytest.fixture
def gateway_url(supergraph: Path) -> Iterator[str]:
    with serve(create_gateway_app(supergraph, GatewaySettings(reload_interval=0))) as url:
        yield url


def test_requests_operations_and_fetches_are_timed(gateway_url: str) -> None:
    with httpx.Client(base_url=gateway_url) as client:
        for _ in range(3):
            assert "errors" not in client.post("/graphql", json={"query": QUERY}).json()
        got = client.get(
            "/graphql",
            params={"query": "{ orgs { name } }"},
            headers={"apollo-require-preflight": "true"},
        )
        assert got.status_code == 200, got.text
    samples = scrape(gateway_url)
    assert samples.types["http_server_request_duration_seconds"] == "histogram"
    http = "http_server_request_duration_seconds_count"
    post = {"http_request_method": "POST", "http_route": "/graphql"}
    assert samples.value(http, **post, http_response_status_code="200") == 3
    assert samples.value(http, http_request_method="GET", http_route="/graphql") == 1
    operations = "graphql_server_operation_duration_seconds_count"
    assert samples.value(operations, graphql_operation_name="Members") == 3
    assert samples.value(operations, graphql_operation_type="query") == 4
    # Members: orgs, then users' names of its members: two fetches each time.
    fetches = "subgraph_fetch_duration_seconds_count"
    assert samples.value(fetches, subgraph="orgs") == 4
    assert samples.value(fetches, subgraph="users") == 3
    assert samples.value("subgraph_fetch_duration_seconds_sum", subgraph="orgs") > 0
    # The scrape before this one is timed too, under its own route.
    again = scrape(gateway_url)
    assert again.value(http, http_route="/metrics") == 1


def test_errors_are_counted_by_code(gateway_url: str) -> None:
    with httpx.Client(base_url=gateway_url) as client:
        client.post("/graphql", json={"query": "{ orgs { nope } }"})
        client.post("/graphql", json={"query": "{ orgs { nope } }"})
        client.post("/graphql", json={"query": "{ orgs {"})
    samples = scrape(gateway_url)
    assert samples.types["graphql_errors"] == "counter"
    assert samples.value("graphql_errors_total", code="GRAPHQL_VALIDATION_FAILED") == 2
    assert samples.value("graphql_errors_total", code="GRAPHQL_PARSE_FAILED") == 1
    # Refused before they ran: of no operation type the gateway could tell.
    operations = "graphql_server_operation_duration_seconds_count"
    assert samples.value(operations, graphql_operation_type="unknown") == 3


def test_operation_names_are_capped(gateway_url: str) -> None:
    """200 names a client made up take the first 100 series; the others count as "other"."""
    with httpx.Client(base_url=gateway_url) as client:
        for n in range(200):
            query = f"query Made{n} {{ orgs {{ name }} }}"
            assert "errors" not in client.post("/graphql", json={"query": query}).json()
    samples = scrape(gateway_url)
    operations = "graphql_server_operation_duration_seconds_count"
    names = samples.label_values(operations, "graphql_operation_name")
    assert len(names) == 101
    assert "other" in names
    assert {f"Made{n}" for n in range(100)} <= names
    assert samples.value(operations, graphql_operation_name="other") == 100
    assert samples.value(operations) == 200


def test_a_smaller_cap_and_histograms_off(supergraph: Path) -> None:
    capped = GatewaySettings(reload_interval=0, metrics_operation_names=2)
    with serve(create_gateway_app(supergraph, capped)) as url:
        for n in range(5):
            httpx.post(f"{url}/graphql", json={"query": f"query Q{n} {{ orgs {{ name }} }}"})
        names = scrape(url).label_values(
            "graphql_server_operation_duration_seconds_count", "graphql_operation_name"
        )
        assert names == {"Q0", "Q1", "other"}
    off = GatewaySettings(reload_interval=0, metrics_histograms=False)
    with serve(create_gateway_app(supergraph, off)) as url:
        httpx.post(f"{url}/graphql", json={"query": QUERY})
        samples = scrape(url)
        assert samples.value("crossdock_gateway_requests_total") == 1
        assert samples.value("http_server_request_duration_seconds_count") == 0
        assert samples.value("graphql_server_operation_duration_seconds_count") == 0
        assert samples.value("subgraph_fetch_duration_seconds_count") == 0


def test_two_gateways_in_one_process_keep_their_own_numbers(supergraph: Path) -> None:
    settings = GatewaySettings(reload_interval=0)
    with (
        serve(create_gateway_app(supergraph, settings)) as one,
        serve(create_gateway_app(supergraph, settings)) as two,
    ):
        httpx.post(f"{one}/graphql", json={"query": QUERY})
        operations = "graphql_server_operation_duration_seconds_count"
        assert scrape(one).value(operations) == 1
        assert scrape(two).value(operations) == 0
