"""``max_executions_in_flight``: at most N queries and mutations execute at once, the others
wait their turn in arrival order, in a line of at most ``max_executions_queued`` (the ones
beyond it refused at once), over real HTTP on loopback.

The ``stock`` subgraph (``tests.support.gated``) holds every answer at a gate and logs when
each of its resolvers started and finished, so the tests see the order in which executions
reached it, not a timing. Its log is the subgraph's own: what the gateway sent it, and when.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from gateway._execution_slots import ExecutionSlots, Turn
from gateway.engine import Gateway
from gateway.executor import SubgraphTransport, TransportSettings
from gateway.supergraph import parse_supergraph
from tests.support.gated import LEVEL, LEVELS, RESTOCK, Stock, running_stock, served_gateway
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
    queued: int = 0,
    share_queries: bool = False,
    timeout: float = 30.0,
) -> Gateway:
    return Gateway(
        parse_supergraph(stock.supergraph),
        transport=SubgraphTransport(TransportSettings(share_fetches=False)),
        share_queries=share_queries,
        request_timeout=timeout,
        max_executions_in_flight=cap,
        max_executions_queued=queued,
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
REFUSED = "crossdock_gateway_executions_refused_total"
OVERLOADED_MESSAGE = (
    "The gateway is overloaded: 1 operations are running (max_executions_in_flight) and 1 "
    "waiting for their turn (max_executions_queued). Nothing of it ran; retry in 1 s."
)
OVERLOADED_ERROR = {
    "message": OVERLOADED_MESSAGE,
    "extensions": {"code": "GATEWAY_OVERLOADED", "retryAfter": 1},
}


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
        taken.append(await slots.acquire(None) is Turn.GRANTED)
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
    assert await slots.acquire(None) is Turn.GRANTED
    unlucky = asyncio.ensure_future(slots.acquire(None))
    next_in_line = asyncio.ensure_future(slots.acquire(None))
    await asyncio.sleep(0)
    assert slots.queued == 2
    # Granted, then cancelled before it could resume: the slot must reach the next one.
    slots.release()
    unlucky.cancel()
    with pytest.raises(asyncio.CancelledError):
        await unlucky
    assert await asyncio.wait_for(next_in_line, PATIENCE) is Turn.GRANTED
    assert (slots.running, slots.queued) == (1, 0)
    slots.release()
    assert (slots.running, slots.queued) == (0, 0)


@contextmanager
def full_line(
    stock: Stock, clients: ThreadPoolExecutor, **options: Any
) -> Iterator[tuple[str, Future[httpx.Response], Future[httpx.Response]]]:
    """A gateway of one slot and a line of one, both taken: ``A`` running (held at the gate),
    ``B`` waiting its turn. Yields its URL and their two answers to come."""
    with served_gateway(gateway(stock, 1, queued=1, **options)) as url:
        running = clients.submit(post, url, "A")
        stock.held(1)
        waiting = clients.submit(post, url, "B")
        wait_for_metric(url, QUEUED, 1)
        yield url, running, waiting


def test_a_request_beyond_a_full_line_is_refused_at_once_and_nothing_of_it_runs(
    stock: Stock, clients: ThreadPoolExecutor
) -> None:
    with full_line(stock, clients) as (url, running, waiting):
        assert metric(url, REFUSED) == 0
        # Answered while the gate is shut: it waited for nothing.
        refused = post(url, "C")
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "1"
        assert refused.json() == {"data": None, "errors": [OVERLOADED_ERROR]}
        # A mutation too, and it did not run: the level it would raise is as it was.
        mutation = httpx.post(url + "/graphql", json={"query": RESTOCK}, timeout=PATIENCE)
        assert mutation.status_code == 503
        assert mutation.json()["errors"][0]["extensions"]["code"] == "GATEWAY_OVERLOADED"
        assert metric(url, REFUSED) == 2
        # The subgraph saw the running request only; the line is as it was.
        assert stock.log == [("start", "A")]
        assert stock.received() == 1
        assert (metric(url, IN_FLIGHT), metric(url, QUEUED)) == (1, 1)
        stock.gate.open()
        assert answered(running) == {"data": {"level": 7}}
        assert answered(waiting) == {"data": {"level": 3}}
        # The line drained: the same requests run now.
        assert post(url, "C").json() == {"data": {"level": 5}}
        assert httpx.post(url + "/graphql", json={"query": RESTOCK}, timeout=PATIENCE).json() == {
            "data": {"restock": LEVELS["A"] + 1}
        }
        assert stock.log == [
            *[("start", "A"), ("end", "A"), ("start", "B"), ("end", "B")],
            *[("start", "C"), ("end", "C"), ("start", "A"), ("end", "A")],
        ]
        assert metric(url, REFUSED) == 2
        assert (metric(url, IN_FLIGHT), metric(url, QUEUED)) == (0, 0)


def test_over_streaming_transports_and_a_websocket_a_full_line_refuses_the_same(
    stock: Stock, clients: ThreadPoolExecutor
) -> None:
    with full_line(stock, clients) as (url, running, waiting):
        # Server-sent events and multipart: refused as plain HTTP refuses it, before any part.
        for accept in ("text/event-stream", 'multipart/mixed;deferSpec="20220824"'):
            refused = httpx.post(
                url + "/graphql",
                json={"query": LEVEL, "variables": {"sku": "C"}},
                headers={"accept": accept},
                timeout=PATIENCE,
            )
            assert refused.status_code == 503, accept
            assert refused.headers["retry-after"] == "1"
            assert refused.json() == {"data": None, "errors": [OVERLOADED_ERROR]}
        # graphql-transport-ws: the operation's ``error`` message; the socket stays open.
        ws_url = url.replace("http://", "ws://") + "/graphql"
        protocol = [Subprotocol("graphql-transport-ws")]
        with connect(ws_url, subprotocols=protocol, proxy=None, open_timeout=PATIENCE) as ws:

            def receive() -> dict[str, Any]:
                message: dict[str, Any] = json.loads(ws.recv(timeout=PATIENCE))
                return message

            ws.send(json.dumps({"type": "connection_init"}))
            assert receive() == {"type": "connection_ack"}
            subscribe = {"query": LEVEL, "variables": {"sku": "C"}}
            ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))
            assert receive() == {"id": "1", "type": "error", "payload": [OVERLOADED_ERROR]}
            ws.send(json.dumps({"type": "ping"}))
            assert receive() == {"type": "pong"}
        assert metric(url, REFUSED) == 3
        assert stock.log == [("start", "A")]
        stock.gate.open()
        assert answered(running) == {"data": {"level": 7}}
        assert answered(waiting) == {"data": {"level": 3}}


def test_a_query_that_joins_a_running_execution_is_not_refused(
    stock: Stock, clients: ThreadPoolExecutor
) -> None:
    with full_line(stock, clients, share_queries=True) as (url, running, waiting):
        # Identical to the running one: it takes no slot, so a full line does not stop it.
        same = clients.submit(post, url, "A")
        wait_for_metric(url, "crossdock_gateway_queries_shared_total", 1)
        assert post(url, "C").status_code == 503
        stock.gate.open()
        assert answered(same) == answered(running) == {"data": {"level": 7}}
        assert answered(waiting) == {"data": {"level": 3}}
        assert metric(url, REFUSED) == 1


def test_a_line_of_length_zero_is_not_bounded(stock: Stock, clients: ThreadPoolExecutor) -> None:
    with served_gateway(gateway(stock, 1, queued=0)) as url:
        first = clients.submit(post, url, "A")
        stock.held(1)
        later = [clients.submit(post, url, sku) for sku in "BC"]
        wait_for_metric(url, QUEUED, 2)
        stock.gate.open()
        assert [answered(f)["data"]["level"] for f in (first, *later)] == [7, 3, 5]
        assert metric(url, REFUSED) == 0


async def test_acquire_says_which_of_the_three_came() -> None:
    slots = ExecutionSlots(1, max_queued=1)
    assert await slots.acquire(None) is Turn.GRANTED
    loop = asyncio.get_running_loop()
    waiting = asyncio.ensure_future(slots.acquire(None))
    await asyncio.sleep(0)
    assert (slots.running, slots.queued, slots.line_full) == (1, 1, True)
    # The line is full: refused at once, whatever its deadline, and nothing changed.
    assert await slots.acquire(loop.time() + 60) is Turn.LINE_FULL
    assert (slots.running, slots.queued) == (1, 1)
    slots.release()
    assert await asyncio.wait_for(waiting, PATIENCE) is Turn.GRANTED
    # A place in line again: one that waits past its deadline times out, holding nothing.
    assert await slots.acquire(loop.time() + 0.01) is Turn.TIMED_OUT
    assert (slots.running, slots.queued, slots.line_full) == (1, 0, False)
    slots.release()
    assert (slots.running, slots.queued) == (0, 0)
