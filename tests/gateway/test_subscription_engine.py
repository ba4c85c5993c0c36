"""Subscriptions through the engine: opened on the owning subgraph, finished by entity fetches.

A real two-subgraph federation on loopback (``subscription_federation``): ``events`` streams
milestones over graphql-transport-ws, ``ledger`` resolves each milestone's ``order.total``.
The tests drive the events, then read what ``Gateway.stream`` yields, as a client would.
"""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from gateway import Gateway, StreamOutcome
from gateway.composition import SubgraphSource, compose
from gateway.executor import SubgraphTransport, TransportSettings
from gateway.supergraph import parse_supergraph
from gateway.wire import GraphQLResponse
from subgraphs.common.sdl import subgraph_sdl
from tests.gateway.subscription_federation import (
    EVENTS_SDL,
    LEDGER_SCHEMA,
    Federation,
    running_federation,
    supergraph_sdl,
)
from tests.support.ports import reserve_port
from tests.support.servers import serve
from tests.support.waiting import wait_until_async

MILESTONES = """
subscription Milestones($o: ID!) {
  milestones(orderId: $o) { seq type order { id total } }
}
"""

SOON_ENOUGH = 5.0

# Nothing to fetch from the ledger: for subgraphs that only speak graphql-transport-ws.
SEQ_ONLY = "subscription($o: ID!) { milestones(orderId: $o) { seq } }"


@pytest.fixture(scope="module")
def federation() -> Iterator[Federation]:
    with running_federation() as fed:
        yield fed


@pytest.fixture
async def gateway(federation: Federation) -> AsyncIterator[Gateway]:
    gateway = Gateway(federation.supergraph)
    yield gateway
    await gateway.aclose()


async def until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    async def check() -> bool:
        return condition()

    await wait_until_async(check, timeout=timeout, what=what)


class Subscriber:
    """A client of ``Gateway.stream``: asks for the next response, takes it with a deadline."""

    def __init__(self, responses: AsyncGenerator[GraphQLResponse, None]) -> None:
        self.responses = responses
        self.pending: asyncio.Future[GraphQLResponse | None] | None = None

    def ask(self) -> None:
        """Ask for the next response (the first ask opens the subscription)."""
        if self.pending is None:
            self.pending = asyncio.ensure_future(self._next())

    async def _next(self) -> GraphQLResponse | None:
        try:
            return await anext(self.responses)
        except StopAsyncIteration:
            return None

    async def take(self, timeout: float = 10.0) -> GraphQLResponse | None:
        """The next response; ``None`` when the stream has ended."""
        self.ask()
        pending, self.pending = self.pending, None
        assert pending is not None
        return await asyncio.wait_for(pending, timeout)

    async def stop(self) -> None:
        if self.pending is not None:
            self.pending.cancel()
            await asyncio.gather(self.pending, return_exceptions=True)
            self.pending = None
        await self.responses.aclose()


async def subscribe(gateway: Gateway, order_id: str, query: str = MILESTONES) -> Subscriber:
    outcome = await gateway.stream({"query": query, "variables": {"o": order_id}})
    assert outcome.refused is None and outcome.responses is not None
    subscriber = Subscriber(outcome.responses)
    subscriber.ask()
    return subscriber


def milestone(seq: int, order_id: str) -> GraphQLResponse:
    total = 100 * int(order_id.rsplit("-", 1)[-1])
    return {
        "data": {
            "milestones": {"seq": seq, "type": "PICKED", "order": {"id": order_id, "total": total}}
        }
    }


def codes(response: GraphQLResponse | None) -> list[tuple[Any, Any]]:
    assert response is not None
    errors = response.get("errors") or []
    extensions = [e.get("extensions") or {} for e in errors]
    return [(x.get("code"), x.get("serviceName")) for x in extensions]


async def test_events_arrive_in_order_with_fields_from_both_subgraphs(
    gateway: Gateway, federation: Federation
) -> None:
    subscriber = await subscribe(gateway, "SO-7")
    await until(lambda: federation.feed.active("SO-7") == 1, "the subscription upstream")
    for seq in range(1, 6):
        federation.feed.publish("SO-7", seq)
    assert [await subscriber.take() for _ in range(5)] == [
        milestone(s, "SO-7") for s in range(1, 6)
    ]
    federation.feed.end("SO-7")
    assert await subscriber.take() is None


async def test_subscriptions_share_one_upstream_connection(
    gateway: Gateway, federation: Federation
) -> None:
    before = federation.events.websockets_total
    subscribers = [await subscribe(gateway, f"SO-{11 + i % 2}") for i in range(200)]
    await until(
        lambda: gateway.transport.subscriptions.subscribers() == 200, "200 subscribers upstream"
    )
    # Identical ones share (tests/gateway/test_subscription_sharing.py): one per order.
    await until(
        lambda: federation.feed.active("SO-11") + federation.feed.active("SO-12") == 2,
        "one subscription per order upstream",
    )
    federation.feed.publish("SO-11", 1)
    federation.feed.publish("SO-12", 1)
    got = await asyncio.gather(*(s.take() for s in subscribers))
    assert got == [milestone(1, f"SO-{11 + i % 2}") for i in range(200)]
    assert federation.events.websockets_total - before == 1
    assert gateway.transport.subscriptions.connections() == 1
    for subscriber in subscribers:
        await subscriber.stop()
    await until(lambda: federation.feed.active("SO-11") == 0, "the subscriptions completed")


async def test_aclose_completes_the_upstream_subscription(
    gateway: Gateway, federation: Federation
) -> None:
    closed = federation.feed.closed
    subscriber = await subscribe(gateway, "SO-21")
    await until(lambda: federation.feed.active("SO-21") == 1, "the subscription upstream")
    federation.feed.publish("SO-21", 1)
    assert await subscriber.take() == milestone(1, "SO-21")
    # Suspended after its first response, as a client that stops reading leaves it.
    await subscriber.responses.aclose()
    await until(lambda: federation.feed.active("SO-21") == 0, "the subgraph's generator closed")
    assert federation.feed.closed == closed + 1


async def test_an_idle_connection_is_closed_and_opened_again_on_demand(
    federation: Federation,
) -> None:
    transport = _transport(subscription_idle_timeout=0.2)
    gateway = Gateway(federation.supergraph, transport=transport)
    try:
        open_before = federation.events.websockets_open
        subscriber = await subscribe(gateway, "SO-23")
        await until(lambda: federation.feed.active("SO-23") == 1, "the subscription upstream")
        assert federation.events.websockets_open == open_before + 1
        await subscriber.stop()
        await until(
            lambda: federation.events.websockets_open == open_before, "the idle connection closed"
        )
        assert transport.subscriptions.connections() == 0
        again = await subscribe(gateway, "SO-23")
        await until(lambda: federation.feed.active("SO-23") == 1, "a new connection")
        federation.feed.publish("SO-23", 1)
        assert await again.take() == milestone(1, "SO-23")
        await again.stop()
    finally:
        await gateway.aclose()


async def test_cancelling_the_reader_completes_the_upstream_subscription(
    gateway: Gateway, federation: Federation
) -> None:
    subscriber = await subscribe(gateway, "SO-22")
    await until(lambda: federation.feed.active("SO-22") == 1, "the subscription upstream")
    # A task waits on the next event when the client goes away: it is cancelled, then closed.
    await subscriber.stop()
    await until(lambda: federation.feed.active("SO-22") == 0, "the subgraph's generator closed")


async def test_a_slow_subscription_ends_while_another_goes_on(federation: Federation) -> None:
    buffer = 4
    gateway = Gateway(federation.supergraph, transport=_transport(subscription_buffer=buffer))
    try:
        fast = await subscribe(gateway, "SO-31")
        slow = await subscribe(gateway, "SO-31")
        client = gateway.transport.subscriptions
        await until(lambda: client.subscribers() == 2, "both subscriptions upstream")
        # They share one subscription of the subgraph; each has its own buffer.
        await until(lambda: federation.feed.active("SO-31") == 1, "their shared one upstream")
        # The slow client takes its first event, then reads nothing while the fast one
        # reads each event as it comes.
        federation.feed.publish("SO-31", 1)
        assert await fast.take() == milestone(1, "SO-31")
        assert await slow.take() == milestone(1, "SO-31")
        # The slow one's buffer holds events 2 to buffer + 1; event buffer + 2 overflows it.
        for seq in range(2, buffer + 3):
            federation.feed.publish("SO-31", seq)
            assert await fast.take() == milestone(seq, "SO-31")
        # The slow subscription is dropped; the fast one goes on, on the same subscription.
        await until(lambda: client.subscribers() == 1, "the slow one dropped")
        assert federation.feed.active("SO-31") == 1
        federation.feed.publish("SO-31", buffer + 3)
        assert await fast.take() == milestone(buffer + 3, "SO-31")
        # The slow client gets what was buffered for it, then the error, then the end.
        buffered = [await slow.take() for _ in range(buffer)]
        assert buffered == [milestone(s, "SO-31") for s in range(2, buffer + 2)]
        too_slow = await slow.take()
        assert codes(too_slow) == [("SUBSCRIPTION_TOO_SLOW", None)]
        assert too_slow is not None and "data" not in too_slow
        assert await slow.take() is None
        await fast.stop()
    finally:
        await gateway.aclose()


def _transport(**settings: Any) -> SubgraphTransport:
    return SubgraphTransport(TransportSettings(**settings))


async def test_subgraph_down_at_subscribe(federation: Federation) -> None:
    urls = {**federation.urls, "events": f"http://127.0.0.1:{reserve_port()}/graphql"}
    gateway = Gateway(parse_supergraph(supergraph_sdl(urls)))
    try:
        subscriber = await subscribe(gateway, "SO-41")
        response = await subscriber.take()
        assert codes(response) == [("SUBGRAPH_ERROR", "events")]
        assert response is not None and "events" in response["errors"][0]["message"]
        assert await subscriber.take() is None
    finally:
        await gateway.aclose()


class BareSubgraph:
    """A bare graphql-transport-ws endpoint: pings before its ack, records what it is sent.

    Subscriptions cost it nothing (no task, no resolver), so what a test measures while many
    are open is the gateway's side.
    """

    def __init__(self) -> None:
        self.subscribed: set[str] = set()
        self.completed: set[str] = set()
        self.pongs = 0
        self.app = Starlette(routes=[WebSocketRoute("/graphql", self.endpoint)])
        self.connection: tuple[asyncio.AbstractEventLoop, WebSocket] | None = None

    def publish(self, seq: int) -> None:
        """Send one event to every subscription (from the test's thread)."""
        assert self.connection is not None
        loop, websocket = self.connection
        payload = {"data": {"milestones": {"seq": seq}}}

        async def send() -> None:
            for id_ in sorted(self.subscribed - self.completed):
                await websocket.send_json({"id": id_, "type": "next", "payload": payload})

        asyncio.run_coroutine_threadsafe(send(), loop)

    async def endpoint(self, websocket: WebSocket) -> None:
        await websocket.accept(subprotocol="graphql-transport-ws")
        self.connection = (asyncio.get_running_loop(), websocket)
        assert (await websocket.receive_json())["type"] == "connection_init"
        await websocket.send_json({"type": "ping"})
        await websocket.send_json({"type": "connection_ack"})
        try:
            while True:
                message = await websocket.receive_json()
                if message["type"] == "subscribe":
                    self.subscribed.add(message["id"])
                    # Answered with a ping: the gateway must pong on a busy connection too.
                    await websocket.send_json({"type": "ping"})
                elif message["type"] == "complete":
                    self.completed.add(message["id"])
                elif message["type"] == "pong":
                    self.pongs += 1
        except WebSocketDisconnect:
            pass


async def test_pings_are_answered() -> None:
    bare = BareSubgraph()
    with serve(bare.app) as url:
        gateway = Gateway(
            parse_supergraph(
                supergraph_sdl({"events": f"{url}/graphql"} | {"ledger": f"{url}/graphql"})
            )
        )
        try:
            subscriber = await subscribe(
                gateway, "SO-91", "subscription($o: ID!) { milestones(orderId: $o) { seq } }"
            )
            await until(lambda: bare.pongs == 2, "a pong before the ack and one after")
            await subscriber.stop()
            await until(lambda: bare.completed == bare.subscribed == {"1"}, "complete sent")
        finally:
            await gateway.aclose()


# What the gateway may hold per idle subscription: its Upstream, the async generator
# suspended in it (with the request's variables) and the future it waits on. Measured
# about 1 KB on CPython 3.11 (the task that iterates it is the server's, not counted).
_MAX_BYTES_PER_IDLE_SUBSCRIPTION = 2048


async def test_memory_per_idle_subscription_stays_small() -> None:
    # Tracing slows the servers' thread too: 500 show the figure 2,000 give, 4 times faster.
    count = 500
    bare = BareSubgraph()
    query = SEQ_ONLY
    with serve(bare.app) as url:
        urls = {"events": f"{url}/graphql", "ledger": f"{url}/graphql"}
        gateway = Gateway(parse_supergraph(supergraph_sdl(urls)))
        # The connection, plan and document caches are made by the first subscription.
        first = await subscribe(gateway, "SO-92", query)
        await until(lambda: len(bare.subscribed) == 1, "the first subscription")
        gc.collect()
        tracemalloc.start(12)
        try:
            before = tracemalloc.take_snapshot()
            # Distinct orders: identical subscriptions would share one upstream.
            subscribers = [await subscribe(gateway, f"SO-92-{i}", query) for i in range(count)]
            await until(lambda: len(bare.subscribed) == count + 1, "all subscribed", 60)
            # Idle after an event, as a subscriber waiting for the next milestone is.
            bare.publish(1)
            got = await asyncio.gather(*(s.take(60) for s in [first, *subscribers]))
            assert got == [{"data": {"milestones": {"seq": 1}}}] * (count + 1)
            for subscriber in subscribers:
                subscriber.ask()
            await asyncio.sleep(0)  # let each ask reach its wait
            gc.collect()
            after = tracemalloc.take_snapshot()
        finally:
            tracemalloc.stop()
        try:
            gateway_code = [tracemalloc.Filter(True, f"{_GATEWAY}/*", all_frames=True)]
            diff = after.filter_traces(gateway_code).compare_to(
                before.filter_traces(gateway_code), "filename"
            )
            per_subscription = sum(d.size_diff for d in diff) / count
            assert per_subscription < _MAX_BYTES_PER_IDLE_SUBSCRIPTION, per_subscription
            assert gateway.transport.subscriptions.connections() == 1
        finally:
            for subscriber in [first, *subscribers]:
                await subscriber.stop()
            await until(lambda: len(bare.completed) == count + 1, "all completed", 60)
            await gateway.aclose()


_GATEWAY = str(Path(__file__).resolve().parents[2] / "gateway")


async def test_a_subgraph_without_websockets(federation: Federation) -> None:
    """The events URL answers HTTP, but no WebSocket there: refused at the handshake."""
    ledger = federation.urls["ledger"]
    urls = {**federation.urls, "events": ledger.replace("/graphql", "/nowhere")}
    gateway = Gateway(parse_supergraph(supergraph_sdl(urls)))
    try:
        subscriber = await subscribe(gateway, "SO-43")
        response = await subscriber.take()
        assert codes(response) == [("SUBGRAPH_ERROR", "events")]
        assert response is not None and "HTTP 403" in response["errors"][0]["message"]
        assert await subscriber.take() is None
    finally:
        await gateway.aclose()


async def test_a_subgraph_that_does_not_acknowledge_in_time() -> None:
    """A subgraph that accepts the WebSocket but never sends ``connection_ack``."""
    inits: list[Any] = []

    async def silent(websocket: WebSocket) -> None:
        await websocket.accept(subprotocol="graphql-transport-ws")
        try:
            while True:
                inits.append(await websocket.receive_json())
        except WebSocketDisconnect:
            pass

    app = Starlette(routes=[WebSocketRoute("/graphql", silent)])
    with serve(app) as url:
        urls = {"events": f"{url}/graphql", "ledger": f"{url}/graphql"}
        gateway = Gateway(
            parse_supergraph(supergraph_sdl(urls)),
            transport=_transport(subscription_ack_timeout=0.3),
        )
        try:
            subscriber = await subscribe(gateway, "SO-42")
            response = await subscriber.take()
            assert codes(response) == [("SUBGRAPH_ERROR", "events")]
            assert response is not None and "connection_ack" in response["errors"][0]["message"]
            assert await subscriber.take() is None
            assert inits == [{"type": "connection_init", "payload": {}}]
        finally:
            await gateway.aclose()


async def test_connection_killed_mid_stream_ends_with_an_error(
    gateway: Gateway, federation: Federation
) -> None:
    subscribers = [await subscribe(gateway, "SO-51") for _ in range(3)]
    await until(lambda: gateway.transport.subscriptions.subscribers() == 3, "all subscribed")
    await until(lambda: federation.feed.active("SO-51") == 1, "their shared one upstream")
    federation.feed.publish("SO-51", 1)
    for subscriber in subscribers:
        assert await subscriber.take() == milestone(1, "SO-51")
    federation.events.kill_websockets()
    for subscriber in subscribers:
        response = await subscriber.take()
        assert codes(response) == [("SUBGRAPH_ERROR", "events")]
        assert await subscriber.take() is None
    # The next subscription opens a new connection.
    before = federation.events.websockets_total
    again = await subscribe(gateway, "SO-52")
    await until(lambda: federation.feed.active("SO-52") == 1, "a new subscription upstream")
    federation.feed.publish("SO-52", 1)
    assert await again.take() == milestone(1, "SO-52")
    assert federation.events.websockets_total == before + 1
    await again.stop()


async def test_a_failed_entity_fetch_nulls_one_event_only(
    gateway: Gateway, federation: Federation
) -> None:
    subscriber = await subscribe(gateway, "SO-61")
    await until(lambda: federation.feed.active("SO-61") == 1, "the subscription upstream")
    federation.ledger.http_down = True
    try:
        federation.feed.publish("SO-61", 1)
        failed = await subscriber.take()
    finally:
        federation.ledger.http_down = False
    assert failed is not None
    assert failed.get("data") == {
        "milestones": {"seq": 1, "type": "PICKED", "order": {"id": "SO-61", "total": None}}
    }
    assert codes(failed) == [("SUBGRAPH_ERROR", "ledger")]
    assert failed["errors"][0].get("path") == ["milestones", "order"]
    federation.feed.publish("SO-61", 2)
    assert await subscriber.take() == milestone(2, "SO-61")
    await subscriber.stop()


async def test_the_source_failing_ends_with_its_error(
    gateway: Gateway, federation: Federation
) -> None:
    subscriber = await subscribe(gateway, "SO-62")
    await until(lambda: federation.feed.active("SO-62") == 1, "the subscription upstream")
    federation.feed.fail("SO-62")
    response = await subscriber.take()
    assert response is not None and response.get("data") is None
    assert codes(response) == [("SUBGRAPH_ERROR", "events")]
    assert response["errors"][0]["message"] == "milestone source failed"
    assert await subscriber.take() is None


async def test_an_upstream_error_message_ends_the_stream(federation: Federation) -> None:
    """The subgraph refuses the subscription (``error``): its errors, named, then the end."""
    # A supergraph that believes ``milestones`` takes a ``since`` argument the subgraph lacks.
    sdl = EVENTS_SDL.replace("milestones(orderId: ID!)", "milestones(orderId: ID!, since: Int)")
    assert sdl != EVENTS_SDL
    supergraph = compose(
        [
            SubgraphSource("events", federation.urls["events"], sdl),
            SubgraphSource("ledger", federation.urls["ledger"], subgraph_sdl(LEDGER_SCHEMA)),
        ]
    )
    gateway = Gateway(parse_supergraph(supergraph))
    try:
        query = "subscription($o: ID!) { milestones(orderId: $o, since: 3) { seq } }"
        subscriber = await subscribe(gateway, "SO-63", query)
        response = await subscriber.take()
        assert response is not None and "data" not in response
        assert codes(response) == [("SUBGRAPH_ERROR", "events")]
        assert "since" in response["errors"][0]["message"]
        assert await subscriber.take() is None
    finally:
        await gateway.aclose()


async def test_queries_and_mutations_stream_their_one_response(
    gateway: Gateway, federation: Federation
) -> None:
    query = await gateway.stream({"query": '{ order(id: "SO-3") { id total } }'})
    assert query.refused is None and query.responses is not None
    assert [r async for r in query.responses] == [{"data": {"order": {"id": "SO-3", "total": 300}}}]

    listener = await subscribe(gateway, "SO-71")
    await until(lambda: federation.feed.active("SO-71") == 1, "the subscription upstream")
    mutation = await gateway.stream(
        {"query": 'mutation { publish(orderId: "SO-71", seq: 9) { seq order { total } } }'}
    )
    assert mutation.responses is not None
    assert [r async for r in mutation.responses] == [
        {"data": {"publish": {"seq": 9, "order": {"total": 7100}}}}
    ]
    assert await listener.take() == milestone(9, "SO-71")
    await listener.stop()


@pytest.mark.parametrize(
    ("request_", "status"),
    [
        ({"query": "subscription { milestones { seq } }"}, "invalid"),
        ({"query": "subscription { milestones(orderId: 1) { seq } "}, "invalid"),
        ({"query": "query($id: ID!) { order(id: $id) { total } }", "variables": {}}, "invalid"),
        ({"query": MILESTONES, "variables": []}, "bad_request"),
        ({"query": ""}, "bad_request"),
    ],
)
async def test_refusals_are_what_execute_answers(
    gateway: Gateway, request_: Any, status: str
) -> None:
    outcome = await gateway.stream(request_)
    assert outcome == StreamOutcome(refused=await gateway.execute(request_))
    assert outcome.refused is not None and outcome.refused.status == status


async def test_bad_subscription_variables_are_refused(gateway: Gateway) -> None:
    outcome = await gateway.stream({"query": MILESTONES, "variables": {"o": None}})
    assert outcome.responses is None and outcome.refused is not None
    assert outcome.refused.status == "invalid"
    assert codes(outcome.refused.response) == [("BAD_USER_INPUT", None)]


async def test_execute_sends_subscriptions_to_websockets_or_sse(gateway: Gateway) -> None:
    outcome = await gateway.execute({"query": MILESTONES, "variables": {"o": "SO-1"}})
    assert outcome.status == "bad_request"
    message = outcome.response["errors"][0]["message"]
    assert "graphql-transport-ws" in message and "text/event-stream" in message


async def test_gateway_aclose_ends_running_subscriptions(federation: Federation) -> None:
    gateway = Gateway(federation.supergraph)
    subscriber = await subscribe(gateway, "SO-81")
    await until(lambda: federation.feed.active("SO-81") == 1, "the subscription upstream")
    await gateway.aclose()
    response = await subscriber.take()
    assert codes(response) == [("SUBGRAPH_ERROR", "events")]
    assert response is not None and "shutting down" in response["errors"][0]["message"]
    assert await subscriber.take() is None
    await until(lambda: federation.feed.active("SO-81") == 0, "the subgraph's generator closed")


async def test_a_burst_reaches_a_client_that_keeps_reading_in_order(
    federation: Federation,
) -> None:
    # A resume replays a backlog at once: far more events than the buffer (32) arrive
    # while the gateway fetches each one's order total; the client is not the slow one.
    gateway = Gateway(federation.supergraph)
    try:
        subscriber = await subscribe(gateway, "SO-95")
        await until(lambda: federation.feed.active("SO-95") == 1, "subscribed")
        for seq in range(1, 501):
            federation.feed.publish("SO-95", seq)
        got = [await subscriber.take(30) for _ in range(500)]
        assert got == [milestone(seq, "SO-95") for seq in range(1, 501)]
        await subscriber.stop()
    finally:
        await gateway.aclose()


async def test_a_connection_whose_only_subscriber_left_while_it_opened_is_closed(
    federation: Federation,
) -> None:
    transport = SubgraphTransport(TransportSettings(subscription_idle_timeout=0.3))
    gateway = Gateway(federation.supergraph, transport=transport)
    try:
        before = federation.events.websockets_open
        outcome = await gateway.stream({"query": SEQ_ONLY, "variables": {"o": "SO-96"}})
        assert outcome.responses is not None
        opening = asyncio.ensure_future(anext(outcome.responses))
        # Cancel as soon as the connection exists: its WebSocket handshake is still under way.
        deadline = asyncio.get_running_loop().time() + SOON_ENOUGH
        while transport.subscriptions.connections() == 0:
            assert asyncio.get_running_loop().time() < deadline, "no connection was opened"
            await asyncio.sleep(0)
        opening.cancel()
        await asyncio.gather(opening, return_exceptions=True)
        await outcome.responses.aclose()
        await until(
            lambda: (
                federation.events.websockets_open == before
                and transport.subscriptions.connections() == 0
            ),
            "the idle connection closed",
        )
        assert federation.feed.active("SO-96") == 0
    finally:
        await gateway.aclose()


def test_subscription_settings_reach_the_transport() -> None:
    from gateway.server import GatewaySettings

    settings = GatewaySettings(
        subscription_buffer=7,
        subscription_ack_timeout=1.5,
        subscription_idle_timeout=None,
        subscription_ping_interval=3.0,
    )
    client = SubgraphTransport(settings.transport()).subscriptions.settings
    assert (client.buffer, client.ack_timeout, client.idle_timeout) == (7, 1.5, None)
    assert (client.ping_interval, client.ping_timeout) == (3.0, 3.0)
