"""Demand control through every transport, as clients see it: a real gateway on loopback over
real subgraphs, reached over HTTP POST, HTTP GET, server-sent events and graphql-transport-ws.

The same operation is refused alike on all four before anything reaches a subgraph, runs
alike in measure mode, and its cost shows in ``/metrics``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from gateway.demand import DemandSettings
from gateway.server import GatewaySettings, create_gateway_app
from tests.gateway.conformance.cases import entities
from tests.gateway.conftest import Running, supergraph_with_urls
from tests.gateway.subgraph_kit import Subgraph
from tests.support.graphql import PREFLIGHTED
from tests.support.servers import serve

# Three levels of lists: 10 users * (1 + 10 badges * (2 + 10 * 2)) estimated (3 users and
# 2 badges each really: an actual cost of 39).
DEEP = "{ users { badges { holder { badges { holder { id } } } } } }"
DEEP_COST = 2210
SHALLOW = "{ users { id name } }"  # 10 users
MAX = 1000
REFUSAL = {
    "errors": [
        {
            "message": f"query estimated cost {DEEP_COST} exceeded configured maximum {MAX}",
            "extensions": {
                "cost.estimated": float(DEEP_COST),
                "cost.max": float(MAX),
                "code": "COST_ESTIMATED_TOO_EXPENSIVE",
            },
        }
    ]
}
SOON = 5.0
PROTOCOL = Subprotocol("graphql-transport-ws")


@pytest.fixture
def running(
    run_subgraphs: Callable[..., Running], tmp_path: Path
) -> Iterator[tuple[Path, dict[str, Subgraph]]]:
    subgraphs, urls = run_subgraphs("entities", entities.build)
    path = tmp_path / "supergraph.graphql"
    path.write_text(supergraph_with_urls(entities.CASE.supergraph_path.read_text(), urls))
    yield path, subgraphs


@contextmanager
def gateway(path: Path, **demand: Any) -> Iterator[str]:
    demand.setdefault("max", MAX)
    settings = GatewaySettings(reload_interval=0, demand=DemandSettings(**demand))
    with serve(create_gateway_app(path, settings)) as url:
        yield url


# -- the four transports, each giving the response the client ends up with ------------------

Transport = Callable[[str, str], Awaitable[dict[str, Any]]]


async def post(url: str, query: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=SOON) as client:
        response = await client.post(f"{url}/graphql", json={"query": query})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def get(url: str, query: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=SOON) as client:
        response = await client.get(f"{url}/graphql", params={"query": query}, headers=PREFLIGHTED)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def events_of(text: str) -> list[tuple[str, Any]]:
    """The ``(event, data)`` pairs of a whole ``text/event-stream`` body."""
    events = []
    for block in text.strip().split("\n\n"):
        fields = {}
        for line in block.splitlines():
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
        if "event" in fields:
            data = fields.get("data", "")
            events.append((fields["event"], json.loads(data) if data else None))
    return events


async def sse(url: str, query: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=SOON) as client:
        response = await client.post(
            f"{url}/graphql", json={"query": query}, headers={"accept": "text/event-stream"}
        )
    assert response.status_code == 200
    events = events_of(response.text)
    # One result, then the stream completes (a refusal too: the protocol's way for errors).
    assert [event for event, _ in events] == ["next", "complete"]
    body: dict[str, Any] = events[0][1]
    return body


@asynccontextmanager
async def socket(url: str) -> AsyncIterator[ClientConnection]:
    async with connect(
        url.replace("http://", "ws://") + "/graphql", subprotocols=[PROTOCOL], proxy=None
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), SOON)) == {"type": "connection_ack"}
        yield ws


async def receive(ws: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), SOON))
    return message


async def websocket(url: str, query: str) -> dict[str, Any]:
    async with socket(url) as ws:
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        message = await receive(ws)
        if message["type"] == "error":
            # A refused operation gets graphql-transport-ws's error message: its errors.
            assert message["id"] == "1"
            return {"errors": message["payload"]}
        assert message["type"] == "next" and message["id"] == "1"
        assert await receive(ws) == {"id": "1", "type": "complete"}
        body: dict[str, Any] = message["payload"]
        return body


TRANSPORTS = [
    pytest.param(post, id="post"),
    pytest.param(get, id="get"),
    pytest.param(sse, id="sse"),
    pytest.param(websocket, id="websocket"),
]


# -- the same behaviour on every transport ----------------------------------------------------


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_an_operation_over_the_maximum_is_refused_before_any_fetch(
    running: tuple[Path, dict[str, Subgraph]], transport: Transport
) -> None:
    path, subgraphs = running
    with gateway(path) as url:
        assert await transport(url, DEEP) == REFUSAL
        assert all(s.requests == [] for s in subgraphs.values())
        answered = await transport(url, SHALLOW)
    assert "errors" not in answered
    assert [u["name"] for u in answered["data"]["users"]] == ["Ada", "Bob", "Cy"]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_measure_mode_runs_it(
    running: tuple[Path, dict[str, Subgraph]], transport: Transport
) -> None:
    path, _ = running
    with gateway(path, mode="measure") as url:
        answered = await transport(url, DEEP)
    assert "errors" not in answered
    assert [len(u["badges"]) for u in answered["data"]["users"]] == [2, 2, 2]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_an_answer_over_the_actual_maximum_is_withheld(
    running: tuple[Path, dict[str, Subgraph]], transport: Transport
) -> None:
    path, _ = running
    with gateway(path, max=10_000, actual_max=20) as url:
        withheld = await transport(url, DEEP)
        admitted = await transport(url, SHALLOW)  # 3 users: under 20
    assert withheld == {
        "errors": [
            {
                "message": "Query actual cost 39 exceeded configured maximum 20",
                "extensions": {
                    "cost.actual": 39.0,
                    "cost.max": 20.0,
                    "code": "COST_ACTUAL_TOO_EXPENSIVE",
                },
            }
        ]
    }
    assert "errors" not in admitted


async def test_status_codes_follow_graphql_over_http(
    running: tuple[Path, dict[str, Subgraph]],
) -> None:
    path, _ = running
    with gateway(path) as url:
        async with httpx.AsyncClient(base_url=url, timeout=SOON) as client:
            modern = await client.post(
                "/graphql",
                json={"query": DEEP},
                headers={"accept": "application/graphql-response+json"},
            )
    # A request error (no data): 400 for clients that accept the GraphQL response type.
    assert modern.status_code == 400
    assert modern.json() == REFUSAL


async def test_costs_and_refusals_are_in_the_metrics(
    running: tuple[Path, dict[str, Subgraph]],
) -> None:
    path, _ = running
    with gateway(path) as url:
        await post(url, DEEP)
        await post(url, SHALLOW)
        async with httpx.AsyncClient(timeout=SOON) as client:
            text = (await client.get(f"{url}/metrics")).text
    # Served by prometheus-client (telemetry.metrics), which writes every number as a float.
    lines = text.splitlines()
    assert "# TYPE crossdock_gateway_cost_estimated histogram" in lines
    assert "crossdock_gateway_cost_estimated_count 2.0" in lines
    assert f"crossdock_gateway_cost_estimated_sum {float(DEEP_COST + 10)}" in lines
    # The refused one never ran: one actual cost, the three users it returned.
    assert "crossdock_gateway_cost_actual_count 1.0" in lines
    assert "crossdock_gateway_cost_actual_sum 3.0" in lines
    assert 'crossdock_gateway_cost_results_total{result="COST_OK"} 1.0' in lines
    assert 'crossdock_gateway_cost_refused_total{code="COST_ESTIMATED_TOO_EXPENSIVE"} 1.0' in lines
    # Refused before it was planned: only the admitted one was.
    assert "crossdock_gateway_plans_built_total 1.0" in lines
