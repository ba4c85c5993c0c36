"""The gateway's WebSocket (graphql-transport-ws) as a client sees it, over real subscriptions.

A real gateway serves a tiny federation (``subscription_federation``) on loopback; clients are
``websockets`` clients speaking the protocol by hand, so every message and close code is the
one on the wire.
"""

from __future__ import annotations

import asyncio
import gc
import json
import socket
import tracemalloc
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from gateway.engine import Gateway
from gateway.executor import SubgraphTransport, TransportSettings
from gateway.server import GatewaySettings, create_app
from tests.gateway.subscription_federation import UNKNOWN, Federation, running_federation
from tests.support.servers import serve
from tests.support.waiting import wait_until_async

PROTOCOL = Subprotocol("graphql-transport-ws")
SETTINGS = GatewaySettings(
    reload_interval=0,
    ws_connection_init_timeout=0.5,
    ws_max_message_bytes=20_000,
    ws_max_operations=20,
)
MILESTONES = "subscription M($o: ID!) { milestones(orderId: $o) { seq type order { id total } } }"
# How long a test waits for something the gateway must do now.
SOON = 5.0

GatewayFactory = Callable[[GatewaySettings], Any]


@pytest.fixture(scope="module")
def federation() -> Iterator[Federation]:
    with running_federation() as fed:
        yield fed


def _unshared_transport() -> SubgraphTransport:
    return SubgraphTransport(TransportSettings(share_subscriptions=False))


@contextmanager
def gateway_server(federation: Federation, settings: GatewaySettings = SETTINGS) -> Iterator[str]:
    """A gateway over ``federation`` on loopback; yields its ``ws://`` URL of ``/graphql``."""
    # One subgraph subscription per client: these tests count them to know a client is
    # subscribed (identical ones would share one: tests/gateway/test_subscription_sharing.py).
    gateway = Gateway(federation.supergraph, transport=_unshared_transport())
    with serve(create_app(gateway, settings)) as url:
        yield url.replace("http://", "ws://") + "/graphql"


@pytest.fixture
def ws_url(federation: Federation) -> Iterator[str]:
    with gateway_server(federation) as url:
        yield url


def http_url(ws_url: str) -> str:
    return ws_url.replace("ws://", "http://").removesuffix("/graphql")


@asynccontextmanager
async def connected(
    url: str, *, init: bool = True, **options: Any
) -> AsyncIterator[ClientConnection]:
    """A client socket offering graphql-transport-ws, acknowledged unless ``init=False``."""
    options.setdefault("subprotocols", [PROTOCOL])
    async with connect(url, proxy=None, **options) as ws:
        if init:
            await send(ws, {"type": "connection_init"})
            assert await receive(ws) == {"type": "connection_ack"}
        yield ws


async def send(ws: ClientConnection, message: dict[str, Any]) -> None:
    await ws.send(json.dumps(message))


async def receive(ws: ClientConnection, timeout: float = SOON) -> dict[str, Any]:
    message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    assert isinstance(message, dict)
    return message


async def closed_with(ws: ClientConnection) -> tuple[int, str]:
    """The code and reason the server closed ``ws`` with (nothing else may arrive first)."""
    with pytest.raises(ConnectionClosed) as closed:
        extra = await asyncio.wait_for(ws.recv(), SOON)
        raise AssertionError(f"expected a close, got {extra!r}")
    assert closed.value.rcvd is not None, "the server did not send a close frame"
    return closed.value.rcvd.code, closed.value.rcvd.reason


def subscribe(id_: str, query: str, **variables: Any) -> dict[str, Any]:
    return {"id": id_, "type": "subscribe", "payload": {"query": query, "variables": variables}}


async def subscribed(federation: Federation, order_id: str, count: int = 1) -> None:
    """Wait until the events subgraph has ``count`` generators running for ``order_id``."""

    async def enough() -> bool:
        return federation.feed.active(order_id) == count

    await wait_until_async(enough, timeout=SOON, what=f"{count} subscribers of {order_id}")


async def nothing_more(ws: ClientConnection) -> None:
    """Prove no message is queued for the client: a ping's pong is the very next message."""
    await send(ws, {"type": "ping", "payload": {"probe": True}})
    assert await receive(ws) == {"type": "pong", "payload": {"probe": True}}


def milestone(seq: int, order_id: str, type_: str = "PICKED") -> dict[str, Any]:
    total = 100 * int(order_id.rsplit("-", 1)[-1])
    return {
        "data": {
            "milestones": {"seq": seq, "type": type_, "order": {"id": order_id, "total": total}}
        }
    }


# --- the handshake and the connection --------------------------------------------------------


@pytest.mark.parametrize("offered", [None, ["graphql-ws"]], ids=["none", "legacy-only"])
async def test_a_client_without_our_subprotocol_is_closed_4406(
    ws_url: str, offered: list[str] | None
) -> None:
    subprotocols = None if offered is None else [Subprotocol(p) for p in offered]
    async with connected(ws_url, init=False, subprotocols=subprotocols) as ws:
        assert ws.subprotocol is None
        assert await closed_with(ws) == (4406, "Subprotocol not acceptable")


async def test_the_subprotocol_is_negotiated(ws_url: str) -> None:
    offered = [Subprotocol("graphql-ws"), PROTOCOL]
    async with connected(ws_url, subprotocols=offered) as ws:
        assert ws.subprotocol == PROTOCOL


async def test_no_connection_init_in_time_closes_4408(ws_url: str) -> None:
    started = asyncio.get_running_loop().time()
    async with connected(ws_url, init=False) as ws:
        assert await closed_with(ws) == (4408, "Connection initialisation timeout")
        waited = asyncio.get_running_loop().time() - started
        assert SETTINGS.ws_connection_init_timeout * 0.9 < waited < SOON


async def test_a_second_connection_init_closes_4429(ws_url: str) -> None:
    async with connected(ws_url) as ws:
        await send(ws, {"type": "connection_init"})
        assert await closed_with(ws) == (4429, "Too many initialisation requests")


async def test_subscribe_before_the_ack_closes_4401(ws_url: str, federation: Federation) -> None:
    async with connected(ws_url, init=False) as ws:
        await send(ws, subscribe("1", MILESTONES, o="o-1"))
        assert await closed_with(ws) == (4401, "Unauthorized")
    assert federation.feed.active("o-1") == 0


async def test_the_init_payload_is_accepted_and_acknowledged(ws_url: str) -> None:
    async with connected(ws_url, init=False) as ws:
        await send(ws, {"type": "connection_init", "payload": {"token": "t"}})
        assert await receive(ws) == {"type": "connection_ack"}


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        ("not json", "Message is not valid JSON"),
        ("[1, 2]", "Message must be a JSON object"),
        ('{"id": "1"}', 'Message is missing the string "type" property'),
        ('{"type": 5}', 'Message is missing the string "type" property'),
        ('{"type": "start"}', 'Unknown message type "start"'),
        ('{"type": "next", "id": "1", "payload": {}}', 'Unexpected message of type "next"'),
        ('{"type": "subscribe", "id": "1"}', '"payload" property to be an object'),
        ('{"type": "subscribe", "payload": {"query": "{ lastSeq }"}}', 'non-empty string "id"'),
        ('{"type": "subscribe", "id": "", "payload": {"query": "{ x }"}}', 'non-empty string "id"'),
        ('{"type": "subscribe", "id": 7, "payload": {"query": "{ x }"}}', 'non-empty string "id"'),
        ('{"type": "subscribe", "id": "1", "payload": {"query": 5}}', '"query" to be a string'),
        # Without a query, only a trusted document's id will do (docs/persisted-queries.md).
        ('{"type": "subscribe", "id": "1", "payload": {}}', '"query" to be a string'),
        (
            '{"type": "subscribe", "id": "1", "payload": {"documentId": "x", "query": 5}}',
            '"query" to be a string',
        ),
        (
            '{"type": "subscribe", "id": "1", "payload": {"query": "{ x }", "variables": [1]}}',
            '"variables" to be an object or null',
        ),
        (
            '{"type": "subscribe", "id": "1", "payload": {"query": "{ x }", "operationName": 1}}',
            '"operationName" to be a string or null',
        ),
        ('{"type": "complete"}', 'non-empty string "id"'),
        ('{"type": "ping", "payload": "hi"}', '"payload" property to be an object'),
        ('{"type": "connection_init", "payload": [1]}', '"payload" property to be an object'),
    ],
)
async def test_an_invalid_message_closes_4400_with_a_reason(
    ws_url: str, frame: str, reason: str
) -> None:
    init = "connection_init" not in frame
    async with connected(ws_url, init=init) as ws:
        await ws.send(frame)
        code, said = await closed_with(ws)
        assert code == 4400
        assert reason in said


async def test_a_binary_frame_closes_4400(ws_url: str) -> None:
    async with connected(ws_url) as ws:
        await ws.send(b'{"type": "ping"}')
        assert await closed_with(ws) == (4400, "Messages must be text frames")


async def test_a_message_over_the_size_limit_closes_1009(ws_url: str) -> None:
    async with connected(ws_url) as ws:
        query = "{ lastSeq }" + " " * SETTINGS.ws_max_message_bytes
        await send(ws, subscribe("1", query))
        assert await closed_with(ws) == (1009, "Message is too large")


async def test_ping_is_answered_with_pong_and_pong_is_ignored(ws_url: str) -> None:
    async with connected(ws_url, init=False) as ws:
        # Pings are fine before the connection is acknowledged.
        await send(ws, {"type": "ping"})
        assert await receive(ws) == {"type": "pong"}
        await send(ws, {"type": "connection_init"})
        assert await receive(ws) == {"type": "connection_ack"}
        await send(ws, {"type": "pong", "payload": {"unasked": 1}})
        await send(ws, {"type": "ping", "payload": {"n": 2, "nested": {"ok": True}}})
        assert await receive(ws) == {"type": "pong", "payload": {"n": 2, "nested": {"ok": True}}}


# --- operations ------------------------------------------------------------------------------


async def test_subscribe_gets_each_event_then_complete(ws_url: str, federation: Federation) -> None:
    async with connected(ws_url) as ws:
        await send(ws, subscribe("s1", MILESTONES, o="o-3"))
        await subscribed(federation, "o-3")
        federation.feed.publish("o-3", 1)
        assert await receive(ws) == {"id": "s1", "type": "next", "payload": milestone(1, "o-3")}
        federation.feed.publish("o-3", 2, "PACKED")
        assert await receive(ws) == {
            "id": "s1",
            "type": "next",
            "payload": milestone(2, "o-3", "PACKED"),
        }
        federation.feed.end("o-3")
        assert await receive(ws) == {"id": "s1", "type": "complete"}
        await subscribed(federation, "o-3", 0)
        await nothing_more(ws)


async def test_a_failing_source_ends_with_an_errors_next_then_complete(
    ws_url: str, federation: Federation
) -> None:
    async with connected(ws_url) as ws:
        await send(ws, subscribe("f", MILESTONES, o="o-12"))
        await subscribed(federation, "o-12")
        federation.feed.fail("o-12")
        message = await receive(ws)
        assert message["id"] == "f" and message["type"] == "next"
        errors = message["payload"]["errors"]
        assert [e["extensions"]["code"] for e in errors] == ["SUBGRAPH_ERROR"]
        assert await receive(ws) == {"id": "f", "type": "complete"}
        await nothing_more(ws)


async def test_a_subscription_refused_at_subscribe_time_is_next_then_complete_as_its_subgraphs(
    ws_url: str, federation: Federation
) -> None:
    # As the graphql-ws reference server: an error of the subscription's result (its resolver
    # refused the argument) is ``next`` with the errors, then ``complete``; a document that
    # does not validate is ``error``. The subgraph and the gateway send the same.
    direct = federation.urls["events"].replace("http://", "ws://")
    own = "subscription M($o: ID!) { milestones(orderId: $o) { seq type } }"
    invalid = "subscription { milestones(orderId: 1) { nope } }"
    for url, query in [(direct, own), (ws_url, MILESTONES)]:
        async with connected(url) as ws:
            await send(ws, subscribe("u", query, o=f"{UNKNOWN}7"))
            refused = [await receive(ws), await receive(ws)]
            await send(ws, subscribe("v", invalid))
            message = await receive(ws)
            assert message["type"] == "error", message
            [invalid_error] = message["payload"]
            assert invalid_error["message"].startswith("Cannot query field 'nope'")
            assert "path" not in invalid_error
            # Nothing more is queued (Strawberry's pong carries no payload).
            await send(ws, {"type": "ping"})
            assert (await receive(ws))["type"] == "pong"
        [first, last] = refused
        assert first["id"] == "u" and first["type"] == "next", first
        [error] = first["payload"]["errors"]
        assert error["message"] == "no order has id 'unknown-7'"
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["path"] == ["milestones"]
        assert first["payload"].get("data") is None
        assert last == {"id": "u", "type": "complete"}
    assert federation.feed.active(f"{UNKNOWN}7") == 0


async def test_client_complete_stops_the_upstream_and_nothing_more_is_sent(
    ws_url: str, federation: Federation
) -> None:
    async with connected(ws_url) as ws:
        await send(ws, subscribe("s1", MILESTONES, o="o-4"))
        await subscribed(federation, "o-4")
        federation.feed.publish("o-4", 1)
        assert (await receive(ws))["payload"] == milestone(1, "o-4")
        await send(ws, {"id": "s1", "type": "complete"})
        await subscribed(federation, "o-4", 0)
        await nothing_more(ws)
        # The id is free again once its operation is over.
        await send(ws, subscribe("s1", MILESTONES, o="o-4"))
        await subscribed(federation, "o-4")
        federation.feed.publish("o-4", 2)
        assert await receive(ws) == {"id": "s1", "type": "next", "payload": milestone(2, "o-4")}
        # Completing an id that is not running is not an error.
        await send(ws, {"id": "unknown", "type": "complete"})
        await nothing_more(ws)


async def test_a_running_id_subscribed_again_closes_4409_and_stops_everything(
    ws_url: str, federation: Federation
) -> None:
    async with connected(ws_url) as ws:
        await send(ws, subscribe("dup", MILESTONES, o="o-5"))
        await subscribed(federation, "o-5")
        await send(ws, subscribe("dup", MILESTONES, o="o-5"))
        assert await closed_with(ws) == (4409, "Subscriber for dup already exists")
    await subscribed(federation, "o-5", 0)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("subscription { milestones(orderId: 1", "GRAPHQL_PARSE_FAILED"),
        ("subscription { nope }", "GRAPHQL_VALIDATION_FAILED"),
        ("subscription { milestones { seq } }", "GRAPHQL_VALIDATION_FAILED"),
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
async def test_an_invalid_operation_gets_an_error_message_and_no_complete(
    ws_url: str, query: str, code: str
) -> None:
    async with connected(ws_url) as ws:
        await send(ws, subscribe("bad", query))
        message = await receive(ws)
        assert message["id"] == "bad" and message["type"] == "error"
        assert isinstance(message["payload"], list) and message["payload"]
        assert {e["extensions"]["code"] for e in message["payload"]} == {code}
        await nothing_more(ws)


async def test_bad_variables_get_an_error_message(ws_url: str) -> None:
    async with connected(ws_url) as ws:
        await send(ws, subscribe("v", MILESTONES, o={"not": "an id"}))
        message = await receive(ws)
        assert message["type"] == "error" and message["id"] == "v"
        assert message["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_query_and_a_mutation_over_the_socket(ws_url: str, federation: Federation) -> None:
    async with connected(ws_url) as ws:
        await send(ws, subscribe("q", '{ order(id: "o-7") { id total } }'))
        assert await receive(ws) == {
            "id": "q",
            "type": "next",
            "payload": {"data": {"order": {"id": "o-7", "total": 700}}},
        }
        assert await receive(ws) == {"id": "q", "type": "complete"}
        await send(ws, subscribe("m", 'mutation { publish(orderId: "o-7", seq: 9) { seq } }'))
        assert await receive(ws) == {
            "id": "m",
            "type": "next",
            "payload": {"data": {"publish": {"seq": 9}}},
        }
        assert await receive(ws) == {"id": "m", "type": "complete"}


async def test_many_operations_share_one_socket(ws_url: str, federation: Federation) -> None:
    orders = [f"o-{n}" for n in range(10, 22)]
    async with connected(ws_url) as ws:
        for order in orders:
            await send(ws, subscribe(f"id-{order}", MILESTONES, o=order))
        for order in orders:
            await subscribed(federation, order)
        for seq, order in enumerate(orders, start=1):
            federation.feed.publish(order, seq)
        got = {}
        for _ in orders:
            message = await receive(ws)
            assert message["type"] == "next"
            got[message["id"]] = message["payload"]
        assert got == {
            f"id-{order}": milestone(seq, order) for seq, order in enumerate(orders, start=1)
        }
        for order in orders:
            federation.feed.end(order)
        completed = {(await receive(ws))["id"] for _ in orders}
        assert completed == {f"id-{order}" for order in orders}


async def test_operations_over_the_limit_get_an_error(federation: Federation) -> None:
    settings = SETTINGS.model_copy(update={"ws_max_operations": 2})
    with gateway_server(federation, settings) as url:
        async with connected(url) as ws:
            await send(ws, subscribe("a", MILESTONES, o="o-30"))
            await send(ws, subscribe("b", MILESTONES, o="o-30"))
            await subscribed(federation, "o-30", 2)
            await send(ws, subscribe("c", MILESTONES, o="o-30"))
            message = await receive(ws)
            assert message["id"] == "c" and message["type"] == "error"
            [error] = message["payload"]
            assert error["message"] == (
                "Too many operations on this connection (at most 2 at once); complete one first."
            )
            # The two running ones are untouched, and a freed slot can be used again.
            federation.feed.publish("o-30", 1)
            ids = {(await receive(ws))["id"] for _ in range(2)}
            assert ids == {"a", "b"}
            await send(ws, {"id": "a", "type": "complete"})
            await subscribed(federation, "o-30", 1)
            await send(ws, subscribe("c", MILESTONES, o="o-30"))
            await subscribed(federation, "o-30", 2)


async def test_closing_the_socket_stops_every_operation(
    ws_url: str, federation: Federation
) -> None:
    async with connected(ws_url) as ws:
        for n in range(3):
            await send(ws, subscribe(str(n), MILESTONES, o="o-40"))
        await subscribed(federation, "o-40", 3)
    await subscribed(federation, "o-40", 0)


def gauges(ws_url: str) -> dict[str, float]:
    response = httpx.get(f"{http_url(ws_url)}/metrics")
    samples = {}
    for line in response.text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.split(" ")
            samples[name.removeprefix("crossdock_gateway_")] = float(value)
    return {k: samples[k] for k in ("websocket_connections", "active_subscriptions")}


async def test_metrics_count_open_sockets_and_running_subscriptions(
    ws_url: str, federation: Federation
) -> None:
    assert await asyncio.to_thread(gauges, ws_url) == {
        "websocket_connections": 0,
        "active_subscriptions": 0,
    }
    async with connected(ws_url) as first, connected(ws_url):
        await send(first, subscribe("1", MILESTONES, o="o-50"))
        await send(first, subscribe("2", MILESTONES, o="o-50"))
        await subscribed(federation, "o-50", 2)
        assert await asyncio.to_thread(gauges, ws_url) == {
            "websocket_connections": 2,
            "active_subscriptions": 2,
        }

    async def back_to_zero() -> bool:
        return await asyncio.to_thread(gauges, ws_url) == {
            "websocket_connections": 0,
            "active_subscriptions": 0,
        }

    await wait_until_async(back_to_zero, timeout=SOON, what="gauges back to 0")


# --- a slow client ---------------------------------------------------------------------------


def _small_window_socket(ws_url: str) -> socket.socket:
    """A connected TCP socket with a tiny receive buffer, so a client that does not read
    fills it at once and the server's writes to it back up."""
    host, port = ws_url.removeprefix("ws://").split("/")[0].split(":")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    return sock


async def test_a_client_that_stops_reading_does_not_slow_the_others(
    ws_url: str, federation: Federation
) -> None:
    # Each event carries ~60 kB: 100 of them overflow every buffer between the gateway and a
    # client that does not read (the kernel's send buffer grows to 4 MB at most).
    big = "X" * 60_000
    events = 100
    query = "subscription M($o: ID!) { milestones(orderId: $o) { seq type } }"
    sock = _small_window_socket(ws_url)
    async with (
        # It would wait on its own unread data for the server's close frame: do not wait.
        connected(ws_url, sock=sock, max_queue=1, max_size=None, close_timeout=0.2) as slow,
        connected(ws_url, max_size=None) as fast,
    ):
        await send(slow, subscribe("slow", query, o="o-60"))
        await send(fast, subscribe("fast", query, o="o-60"))
        await subscribed(federation, "o-60", 2)
        for seq in range(events):
            federation.feed.publish("o-60", seq, big)
        started = asyncio.get_running_loop().time()
        for seq in range(events):
            message = await receive(fast, timeout=SOON)
            assert message["id"] == "fast"
            assert message["payload"]["data"]["milestones"] == {"seq": seq, "type": big}
        assert asyncio.get_running_loop().time() - started < SOON
        # The slow client is still connected and still gets its events, in order, when it
        # finally reads.
        first = await receive(slow, timeout=SOON)
        assert first["id"] == "slow"
        assert first["payload"]["data"]["milestones"]["seq"] == 0


def test_graphiql_runs_subscriptions_over_this_socket(ws_url: str) -> None:
    base = http_url(ws_url)
    page = httpx.get(f"{base}/graphql", headers={"accept": "text/html"}).text
    # The fetcher is given a ws(s):// URL of the page's own path...
    assert "subscriptionUrl:" in page
    assert 'window.location.protocol === "https:" ? "wss:" : "ws:"' in page
    # ...and the vendored GraphiQL bundle carries the graphql-ws client that speaks our protocol.
    bundle = httpx.get(f"{base}/graphiql/graphiql-3.9.0.min.js").text
    assert "GRAPHQL_TRANSPORT_WS_PROTOCOL" in bundle and '"graphql-transport-ws"' in bundle


_GATEWAY = str(Path(__file__).resolve().parents[2] / "gateway")


def _gateway_bytes(snapshot: tracemalloc.Snapshot) -> int:
    """Bytes held by allocations made under the gateway's own code."""
    only = [tracemalloc.Filter(True, f"{_GATEWAY}/*", all_frames=True)]
    return sum(stat.size for stat in snapshot.filter_traces(only).statistics("filename"))


async def test_an_idle_subscription_does_not_keep_its_last_event(federation: Federation) -> None:
    count, big = 10, 200_000
    with gateway_server(federation) as url:
        async with connected(url) as ws:
            for i in range(count):
                await send(ws, subscribe(str(i), MILESTONES, o="MEM-71"))
            await subscribed(federation, "MEM-71", count)
            gc.collect()
            tracemalloc.start(25)
            try:
                before = _gateway_bytes(tracemalloc.take_snapshot())
                federation.feed.publish("MEM-71", 1, "X" * big)
                for _ in range(count):
                    assert (await receive(ws, timeout=30))["type"] == "next"
                # Every operation is idle again once the pong to a later ping arrives.
                await nothing_more(ws)
                gc.collect()
                idle = _gateway_bytes(tracemalloc.take_snapshot())
            finally:
                tracemalloc.stop()
            assert (idle - before) / count < big / 4, "an idle subscription keeps its last event"


async def test_an_idle_subscription_does_not_keep_its_request(federation: Federation) -> None:
    # A large request the engine has no use for once the operation runs (padded extensions).
    count, pad = 5, 300_000
    settings = SETTINGS.model_copy(update={"ws_max_message_bytes": 1_000_000})
    with gateway_server(federation, settings) as url:
        async with connected(url, max_size=None) as ws:
            gc.collect()
            tracemalloc.start(25)
            try:
                before = _gateway_bytes(tracemalloc.take_snapshot())
                for i in range(count):
                    message = subscribe(str(i), MILESTONES, o="MEM-72")
                    message["payload"]["extensions"] = {"pad": "x" * pad}
                    await send(ws, message)
                await subscribed(federation, "MEM-72", count)
                await nothing_more(ws)
                gc.collect()
                running = _gateway_bytes(tracemalloc.take_snapshot())
            finally:
                tracemalloc.stop()
            assert (running - before) / count < pad / 4, "a running operation keeps its request"
