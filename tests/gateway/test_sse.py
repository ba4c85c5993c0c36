"""Subscriptions for HTTP-only clients: GraphQL over server-sent events (graphql-sse, distinct
connections mode), against a real gateway over a tiny federation with a subscription."""

from __future__ import annotations

import asyncio
import gc
import json
import socket
import threading
import time
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from crossdock.runner import GRACEFUL_SHUTDOWN_SECONDS, _Server
from gateway.engine import Gateway
from gateway.executor import SubgraphTransport, TransportSettings
from gateway.server import GatewaySettings, create_app
from tests.gateway.subscription_federation import UNKNOWN, Federation, running_federation
from tests.support.graphql import PREFLIGHTED
from tests.support.servers import serve
from tests.support.waiting import wait_until, wait_until_async

SETTINGS = GatewaySettings(reload_interval=0, sse_keepalive_interval=0.2)
MILESTONES = "subscription M($o: ID!) { milestones(orderId: $o) { seq type order { id total } } }"
EVENT_STREAM = {"accept": "text/event-stream"}
# A GET needs a header that proves a CSRF preflight, as fetch-based SSE clients can send.
GET_EVENT_STREAM = {**EVENT_STREAM, **PREFLIGHTED}
SOON = 5.0


@pytest.fixture(scope="module")
def federation() -> Iterator[Federation]:
    with running_federation() as fed:
        yield fed


@pytest.fixture
def gateway_url(federation: Federation) -> Iterator[str]:
    # One subgraph subscription per client: these tests count them to know a client is
    # subscribed (identical ones would share one: tests/gateway/test_subscription_sharing.py).
    transport = SubgraphTransport(TransportSettings(share_subscriptions=False))
    with serve(create_app(Gateway(federation.supergraph, transport=transport), SETTINGS)) as url:
        yield url


@pytest.fixture
def client(gateway_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway_url, timeout=SOON) as client:
        yield client


def subscribed(federation: Federation, order_id: str, count: int = 1) -> None:
    wait_until(
        lambda: federation.feed.active(order_id) == count,
        timeout=SOON,
        what=f"{count} subscribers of {order_id}",
    )


class Events:
    """Reads a ``text/event-stream`` body event by event (comments kept, as ``:``)."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.iter_lines()

    def next(self) -> tuple[str, Any]:
        """The next ``(event, data)``; a comment block comes back as ``(":", None)``."""
        fields: dict[str, str] = {}
        comment = False
        for line in self.lines:
            if line == "":
                if fields or comment:
                    break
                continue
            if line.startswith(":"):
                comment = True
                continue
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
        else:
            raise AssertionError("the stream ended")
        if not fields:
            return ":", None
        data = fields.get("data", "")
        return fields["event"], json.loads(data) if data else None

    def rest(self) -> list[str]:
        """Every line left before the stream ends."""
        return list(self.lines)

    def next_event(self) -> tuple[str, Any]:
        """The next event that is not a keep-alive comment."""
        while True:
            event = self.next()
            if event[0] != ":":
                return event


def milestone(seq: int, order_id: str) -> dict[str, Any]:
    total = 100 * int(order_id.rsplit("-", 1)[-1])
    return {
        "data": {
            "milestones": {"seq": seq, "type": "PICKED", "order": {"id": order_id, "total": total}}
        }
    }


def test_a_subscription_streams_next_events_then_complete(
    client: httpx.Client, federation: Federation
) -> None:
    body = {"query": MILESTONES, "variables": {"o": "o-3"}}
    with client.stream("POST", "/graphql", json=body, headers=EVENT_STREAM) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        events = Events(response)
        subscribed(federation, "o-3")
        federation.feed.publish("o-3", 1)
        assert events.next_event() == ("next", milestone(1, "o-3"))
        federation.feed.publish("o-3", 2)
        assert events.next_event() == ("next", milestone(2, "o-3"))
        federation.feed.end("o-3")
        assert events.next_event() == ("complete", None)
        assert events.rest() == []
    subscribed(federation, "o-3", 0)


def test_a_failing_source_ends_the_stream_with_its_errors(
    client: httpx.Client, federation: Federation
) -> None:
    body = {"query": MILESTONES, "variables": {"o": "o-12"}}
    with client.stream("POST", "/graphql", json=body, headers=EVENT_STREAM) as response:
        events = Events(response)
        subscribed(federation, "o-12")
        federation.feed.fail("o-12")
        event, data = events.next_event()
        assert event == "next"
        assert [e["extensions"]["code"] for e in data["errors"]] == ["SUBGRAPH_ERROR"]
        assert events.next_event() == ("complete", None)
        assert events.rest() == []


def test_a_subscription_refused_at_subscribe_time_is_one_next_with_its_errors(
    client: httpx.Client, federation: Federation
) -> None:
    # The subgraph's resolver refuses the order (``next`` then ``complete`` upstream): the
    # client sees the same, a result with the errors and no data, then the end.
    body = {"query": MILESTONES, "variables": {"o": f"{UNKNOWN}9"}}
    with client.stream("POST", "/graphql", json=body, headers=EVENT_STREAM) as response:
        events = Events(response)
        event, data = events.next_event()
        assert event == "next"
        assert data["data"] is None
        [error] = data["errors"]
        assert (error["message"], error["path"]) == ("no order has id 'unknown-9'", ["milestones"])
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert events.next_event() == ("complete", None)
        assert events.rest() == []


def test_get_streams_a_subscription(client: httpx.Client, federation: Federation) -> None:
    params = {"query": MILESTONES, "variables": json.dumps({"o": "o-4"})}
    with client.stream("GET", "/graphql", params=params, headers=GET_EVENT_STREAM) as response:
        assert response.status_code == 200
        events = Events(response)
        subscribed(federation, "o-4")
        federation.feed.publish("o-4", 7)
        assert events.next_event() == ("next", milestone(7, "o-4"))
        federation.feed.end("o-4")
        assert events.next_event() == ("complete", None)


def test_a_query_is_one_next_then_complete(client: httpx.Client) -> None:
    body = {"query": '{ order(id: "o-6") { id total } }'}
    with client.stream("POST", "/graphql", json=body, headers=EVENT_STREAM) as response:
        events = Events(response)
        assert events.next_event() == ("next", {"data": {"order": {"id": "o-6", "total": 600}}})
        assert events.next_event() == ("complete", None)


def test_keepalive_comments_flow_while_idle(client: httpx.Client, federation: Federation) -> None:
    body = {"query": MILESTONES, "variables": {"o": "o-8"}}
    with client.stream("POST", "/graphql", json=body, headers=EVENT_STREAM) as response:
        events = Events(response)
        # Nothing is published: only keep-alives come, every ``sse_keepalive_interval``.
        assert events.next() == (":", None)
        assert events.next() == (":", None)
        subscribed(federation, "o-8")
        federation.feed.publish("o-8", 1)
        assert events.next_event() == ("next", milestone(1, "o-8"))
    subscribed(federation, "o-8", 0)


def test_a_client_hanging_up_stops_the_upstream_subscription(
    gateway_url: str, federation: Federation
) -> None:
    body = {"query": MILESTONES, "variables": {"o": "o-9"}}
    with (
        httpx.Client(base_url=gateway_url, timeout=SOON) as client,
        client.stream("POST", "/graphql", json=body, headers=EVENT_STREAM) as response,
    ):
        assert response.status_code == 200
        subscribed(federation, "o-9")
        gauge = metrics(gateway_url)["active_subscriptions"]
        assert gauge == 1
    # The client is closed with its connection: the gateway notices and lets go upstream.
    subscribed(federation, "o-9", 0)
    wait_until(lambda: metrics(gateway_url)["active_subscriptions"] == 0, timeout=SOON)


def metrics(url: str) -> dict[str, float]:
    samples = {}
    for line in httpx.get(f"{url}/metrics").text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.split(" ")
            samples[name.removeprefix("crossdock_gateway_")] = float(value)
    return samples


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("subscription { nope }", "GRAPHQL_VALIDATION_FAILED"),
        ("subscription {", "GRAPHQL_PARSE_FAILED"),
        # @defer is for queries: a subscription has no "later" to send it in.
        (
            'subscription { ... @defer { milestones(orderId: "o-1") { seq } } }',
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            'subscription { milestones(orderId: "o-1") { seq ... @defer { type } } }',
            "GRAPHQL_VALIDATION_FAILED",
        ),
    ],
)
def test_an_invalid_operation_is_reported_on_the_stream(
    client: httpx.Client, query: str, code: str
) -> None:
    # graphql-sse: errors of validation travel as a ``next`` event (an EventSource would
    # show nothing of a 400's body).
    with client.stream("POST", "/graphql", json={"query": query}, headers=EVENT_STREAM) as response:
        assert response.status_code == 200
        events = Events(response)
        event, data = events.next_event()
        assert event == "next"
        assert data["errors"] and {e["extensions"]["code"] for e in data["errors"]} == {code}
        assert events.next_event() == ("complete", None)


@pytest.mark.parametrize(
    ("request_args", "status", "message"),
    [
        (
            {"content": b"{nope", "headers": {"content-type": "application/json"}},
            400,
            "not valid JSON",
        ),
        (
            {"content": b"query=x", "headers": {"content-type": "text/plain", **PREFLIGHTED}},
            415,
            "Content-Type",
        ),
        ({"json": {"query": MILESTONES, "variables": [1]}}, 400, "Variables must be"),
        ({"json": {"variables": {}}}, 400, "Must provide query string."),
    ],
    ids=["bad-json", "not-json", "bad-variables", "no-query"],
)
def test_a_request_that_is_not_graphql_is_refused_with_json(
    client: httpx.Client, request_args: dict[str, Any], status: int, message: str
) -> None:
    headers = {**EVENT_STREAM, **request_args.pop("headers", {})}
    response = client.post("/graphql", headers=headers, **request_args)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    assert message in response.json()["errors"][0]["message"]


def test_get_refuses_a_mutation_and_publishes_nothing(
    client: httpx.Client, federation: Federation
) -> None:
    body = {"query": MILESTONES, "variables": {"o": "o-10"}}
    with client.stream("POST", "/graphql", json=body, headers=EVENT_STREAM) as listening:
        events = Events(listening)
        subscribed(federation, "o-10")
        params = {"query": 'mutation { publish(orderId: "o-10", seq: 1) { seq } }'}
        response = client.get("/graphql", params=params, headers=GET_EVENT_STREAM)
        assert response.status_code == 405
        assert response.headers["allow"] == "POST"
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
        # Had the mutation run, its milestone 1 would come before this one.
        federation.feed.publish("o-10", 2)
        assert events.next_event() == ("next", milestone(2, "o-10"))


def test_post_runs_a_mutation_as_one_event(client: httpx.Client) -> None:
    body = {"query": 'mutation { publish(orderId: "o-11", seq: 5) { seq } }'}
    with client.stream("POST", "/graphql", json=body, headers=EVENT_STREAM) as response:
        events = Events(response)
        assert events.next_event() == ("next", {"data": {"publish": {"seq": 5}}})
        assert events.next_event() == ("complete", None)


def test_plain_json_clients_are_unchanged(client: httpx.Client) -> None:
    response = client.post("/graphql", json={"query": '{ order(id: "o-2") { total } }'})
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"data": {"order": {"total": 200}}}


_GATEWAY = str(Path(__file__).resolve().parents[2] / "gateway")


def _gateway_bytes() -> int:
    only = [tracemalloc.Filter(True, f"{_GATEWAY}/*", all_frames=True)]
    snapshot = tracemalloc.take_snapshot().filter_traces(only)
    return sum(stat.size for stat in snapshot.statistics("filename"))


async def _next_event(chunks: AsyncIterator[bytes]) -> bytes:
    """Bytes up to the end of the next ``next`` event (keep-alive comments skipped)."""
    seen = b""
    while not (b"event: next" in seen and seen.endswith(b"\n\n")):
        seen += await anext(chunks)
    return seen


async def test_an_idle_stream_does_not_keep_its_last_event(
    gateway_url: str, federation: Federation
) -> None:
    count, big = 10, 200_000
    limits = httpx.Limits(max_connections=count)
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30, limits=limits) as client:
        body = {"query": MILESTONES, "variables": {"o": "SM-81"}}
        opened = [
            client.stream("POST", "/graphql", json=body, headers=EVENT_STREAM) for _ in range(count)
        ]
        responses = [await stream.__aenter__() for stream in opened]
        try:
            chunks = [response.aiter_bytes() for response in responses]
            subscribed(federation, "SM-81", count)
            gc.collect()
            tracemalloc.start(25)
            try:
                before = _gateway_bytes()
                federation.feed.publish("SM-81", 1, "X" * big)
                await asyncio.gather(*(_next_event(c) for c in chunks))

                async def released() -> bool:
                    gc.collect()
                    return (_gateway_bytes() - before) / count < big / 4

                await wait_until_async(released, timeout=SOON, what="the last events released")
            finally:
                tracemalloc.stop()
        finally:
            for stream in opened:
                await stream.__aexit__(None, None, None)


def test_shutdown_ends_open_streams_at_once_with_complete(federation: Federation) -> None:
    # The server crossdock runs (uvicorn, with the runner's shutdown hook).
    transport = SubgraphTransport(TransportSettings(share_subscriptions=False))
    app = create_app(Gateway(federation.supergraph, transport=transport), SETTINGS)
    config = uvicorn.Config(
        app, log_level="warning", timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS
    )
    server = _Server(config)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, timeout=SOON, what="the gateway started")
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        body = {"query": MILESTONES, "variables": {"o": "SD-82"}}
        client = httpx.Client(base_url=url, timeout=GRACEFUL_SHUTDOWN_SECONDS * 3)
        with client, client.stream("POST", "/graphql", json=body, headers=EVENT_STREAM) as response:
            events = Events(response)
            subscribed(federation, "SD-82")
            started = time.monotonic()
            server.should_exit = True
            kind, data = events.next()
            while kind == ":":
                kind, data = events.next()
            assert kind == "next"
            assert [e["extensions"]["code"] for e in data["errors"]] == ["SHUTTING_DOWN"]
            assert events.next() == ("complete", None)
            assert time.monotonic() - started < GRACEFUL_SHUTDOWN_SECONDS / 2
        thread.join(GRACEFUL_SHUTDOWN_SECONDS * 3)
        assert not thread.is_alive()
        assert time.monotonic() - started < GRACEFUL_SHUTDOWN_SECONDS / 2
        wait_until(
            lambda: federation.feed.active("SD-82") == 0, timeout=SOON, what="upstream ended"
        )
    finally:
        server.should_exit = True
        thread.join(GRACEFUL_SHUTDOWN_SECONDS * 3)
        sock.close()
