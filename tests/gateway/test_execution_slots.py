"""``max_executions_in_flight``: at most N queries and mutations execute at once, the others
wait their turn in arrival order, over real HTTP on loopback.

The ``stock`` subgraph (``tests.support.gated``) holds every answer at a gate and logs when
each of its resolvers started and finished, so the tests see the order in which executions
reached it, not a timing. Its log is the subgraph's own: what the gateway sent it, and when.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway._execution_slots import ExecutionSlots
from gateway.engine import Gateway
from gateway.executor import SubgraphTransport, TransportSettings
from gateway.supergraph import parse_supergraph
from tests.support.gated import LEVEL, Stock, running_stock, served_gateway
from tests.support.transports import PATIENCE, hang_up
from tests.support.waiting import wait_until


@pytest.fixture(scope="module")
def stock() -> Iterator[Stock]:
    with running_stock() as stock:
        yield stock


@pytest.fixture(autouse=True)
def shut_gate(stock: Stock) -> Iterator[None]:
    with stock.shut():
        yield


@pytest.fixture
def clients() -> Iterator[ThreadPoolExecutor]:
    """Clients that post at the same time, each from a thread of its own."""
    with ThreadPoolExecutor(4) as pool:
        yield pool


def gateway(
    stock: Stock,
    cap: int,
    *,
    share_queries: bool = False,
    timeout: float = 30.0,
) -> Gateway:
    return Gateway(
        parse_supergraph(stock.supergraph),
        transport=SubgraphTransport(TransportSettings(share_fetches=False)),
        share_queries=share_queries,
        request_timeout=timeout,
        max_executions_in_flight=cap,
    )


def post(url: str, sku: str) -> httpx.Response:
    body = {"query": LEVEL, "variables": {"sku": sku}}
    return httpx.post(url + "/graphql", json=body, timeout=PATIENCE)


def metric(url: str, name: str) -> float:
    text = httpx.get(url + "/metrics", timeout=PATIENCE).text
    line = next(line for line in text.splitlines() if line.startswith(f"{name} "))
    return float(line.split(" ")[1])


def wait_for_metric(url: str, name: str, value: float) -> None:
    wait_until(lambda: metric(url, name) == value, timeout=PATIENCE, what=f"{name} == {value}")


def answered(future: Future[httpx.Response]) -> dict[str, Any]:
    response = future.result(timeout=PATIENCE)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


QUEUED = "crossdock_gateway_executions_queued"
IN_FLIGHT = "crossdock_gateway_executions_in_flight"
WAITS = "crossdock_gateway_execution_wait_duration_seconds_count"


def test_with_one_slot_the_second_request_runs_after_the_first(
    stock: Stock, clients: ThreadPoolExecutor
) -> None:
    with served_gateway(gateway(stock, 1)) as url:
        first = clients.submit(post, url, "A")
        stock.held(1)
        second = clients.submit(post, url, "B")
        wait_for_metric(url, QUEUED, 1)
        assert metric(url, IN_FLIGHT) == 1
        # The second waits in the gateway: the subgraph has seen only the first.
        assert stock.log == [("start", "A")]
        stock.gate.open()
        assert answered(first) == {"data": {"level": 7}}
        assert answered(second) == {"data": {"level": 3}}
        # The subgraph's own order: B started only once A had finished.
        assert stock.log == [("start", "A"), ("end", "A"), ("start", "B"), ("end", "B")]
        assert metric(url, QUEUED) == 0
        assert metric(url, IN_FLIGHT) == 0
        assert metric(url, WAITS) == 1


def test_a_shared_execution_takes_one_slot_and_its_callers_none(
    stock: Stock, clients: ThreadPoolExecutor
) -> None:
    with served_gateway(gateway(stock, 2, share_queries=True)) as url:
        same = [clients.submit(post, url, "A") for _ in range(3)]
        stock.held(1)
        wait_for_metric(url, "crossdock_gateway_queries_shared_total", 2)
        assert metric(url, IN_FLIGHT) == 1
        # The second slot is free: another query runs beside the shared one at once.
        other = clients.submit(post, url, "B")
        stock.held(2)
        assert metric(url, QUEUED) == 0
        stock.gate.open()
        assert [answered(f) for f in same] == [{"data": {"level": 7}}] * 3
        assert answered(other) == {"data": {"level": 3}}
    assert sorted(stock.log) == [("end", "A"), ("end", "B"), ("start", "A"), ("start", "B")]


def test_without_a_cap_every_request_runs_at_once(
    stock: Stock, clients: ThreadPoolExecutor
) -> None:
    with served_gateway(gateway(stock, 0)) as url:
        runs = [clients.submit(post, url, sku) for sku in "ABC"]
        stock.held(3)
        assert metric(url, QUEUED) == 0
        assert metric(url, IN_FLIGHT) == 0  # not counted without a cap
        stock.gate.open()
        assert [answered(f)["data"]["level"] for f in runs] == [7, 3, 5]


def test_a_request_whose_deadline_passes_in_line_runs_nothing(stock: Stock) -> None:
    engine = gateway(stock, 1, timeout=1.0)
    slots = engine.executions
    assert slots is not None
    # An execution that keeps the only slot as long as the test wants: taken and given back
    # on the server's own event loop, through routes of the test's.
    taken: list[bool] = []

    async def take(request: Request) -> Response:
        taken.append(await slots.acquire(None))
        return Response()

    async def give_back(request: Request) -> Response:
        slots.release()
        return Response()

    routes = [Route("/take", take, methods=["POST"]), Route("/give-back", give_back)]
    with served_gateway(engine, routes=routes) as url:
        httpx.post(url + "/take", timeout=PATIENCE).raise_for_status()
        assert taken == [True]
        refused = post(url, "A")
        assert refused.status_code == 200
        [error] = refused.json()["errors"]
        assert refused.json()["data"] is None
        assert error["extensions"] == {"code": "GATEWAY_TIMEOUT"}
        assert error["message"] == (
            "The request waited for its turn past its deadline of 1s: the gateway was "
            "running 1 operations at once (max_executions_in_flight). Nothing of it ran."
        )
        assert stock.log == []  # nothing of it reached the subgraph
        assert metric(url, QUEUED) == 0
        assert metric(url, WAITS) == 1
        httpx.get(url + "/give-back", timeout=PATIENCE).raise_for_status()
        stock.gate.open()
        assert post(url, "B").json() == {"data": {"level": 3}}


def test_a_client_that_hangs_up_in_line_leaves_it_and_frees_nothing(
    stock: Stock, clients: ThreadPoolExecutor
) -> None:
    with served_gateway(gateway(stock, 1)) as url:
        first = clients.submit(post, url, "A")
        stock.held(1)
        with hang_up("post", url, LEVEL, {"sku": "B"}) as leave:
            wait_for_metric(url, QUEUED, 1)
            leave()
            wait_for_metric(url, QUEUED, 0)
        # The slot it never had is still the first request's: nothing else started.
        assert metric(url, IN_FLIGHT) == 1
        assert stock.log == [("start", "A")]
        third = clients.submit(post, url, "C")
        wait_for_metric(url, QUEUED, 1)
        stock.gate.open()
        assert answered(first) == {"data": {"level": 7}}
        # The one slot goes on serving: the request after the hang-up runs.
        assert answered(third) == {"data": {"level": 5}}
        assert stock.log == [("start", "A"), ("end", "A"), ("start", "C"), ("end", "C")]
        assert metric(url, IN_FLIGHT) == 0


async def test_a_waiter_cancelled_as_its_slot_is_granted_passes_it_on() -> None:
    slots = ExecutionSlots(1)
    assert await slots.acquire(None)
    unlucky = asyncio.ensure_future(slots.acquire(None))
    next_in_line = asyncio.ensure_future(slots.acquire(None))
    await asyncio.sleep(0)
    assert slots.queued == 2
    # Granted, then cancelled before it could resume: the slot must reach the next one.
    slots.release()
    unlucky.cancel()
    with pytest.raises(asyncio.CancelledError):
        await unlucky
    assert await asyncio.wait_for(next_in_line, PATIENCE)
    assert (slots.running, slots.queued) == (1, 0)
    slots.release()
    assert (slots.running, slots.queued) == (0, 0)
