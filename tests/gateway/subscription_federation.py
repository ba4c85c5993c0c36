"""A two-subgraph federation with a subscription, driven by the test, on real loopback servers.

``events`` owns ``Subscription.milestones(orderId)``: each subscriber's generator waits on its
own asyncio queue, filled by :meth:`Feed.publish` from the test's thread (the servers run in
threads of their own). ``Milestone.order`` is an ``Order`` entity whose ``total`` only the
``ledger`` subgraph resolves, so every event needs an entity fetch. An order id starting
``unknown-`` (:data:`UNKNOWN`) is refused when it subscribes, with ``BAD_USER_INPUT``.
Each server is wrapped in a :class:`Door` that counts WebSocket connections, can close them
from the server side, can answer every HTTP request with a 503, hold it (until its client
hangs up, or for a while) or answer it with a body that never ends, so tests observe what the
subgraphs saw.

Reusable by the gateway's server tests: ``with running_federation() as fed: ...``.
"""

from __future__ import annotations

import asyncio
import json
import math
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import strawberry
import strawberry.federation
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.auth import AuthSettings
from gateway.composition import SubgraphSource, compose
from gateway.supergraph import Supergraph, parse_supergraph
from subgraphs.common.app import SubgraphGraphQL
from subgraphs.common.identity import Identification
from subgraphs.common.sdl import subgraph_sdl
from tests.support.servers import serve

__all__ = ["UNKNOWN", "Door", "Federation", "Feed", "running_federation"]


class _End:
    """Put on a subscriber's queue: its generator returns (the subgraph completes)."""


class _Fail:
    """Put on a subscriber's queue: its generator raises (the subgraph sends ``error``)."""


@dataclass
class Feed:
    """The events subgraph's subscribers by order id, fed from any thread.

    Each subscriber's queue belongs to the loop of the server thread it runs in (several
    federations may run in one test session): items reach it through that loop.
    """

    queues: dict[str, dict[asyncio.Queue[Any], asyncio.AbstractEventLoop]] = field(
        default_factory=dict
    )
    opened: int = 0
    closed: int = 0
    # Every milestone published, as (order id, seq): what a mutation changed.
    published: list[tuple[str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def active(self, order_id: str | None = None) -> int:
        """Generators running now (for one order, or in all)."""
        with self.lock:
            if order_id is not None:
                return len(self.queues.get(order_id, ()))
            return sum(len(q) for q in self.queues.values())

    def publish(self, order_id: str, seq: int, type_: str = "PICKED") -> None:
        """Send one milestone to every current subscriber of ``order_id``."""
        order = OrderRef(id=strawberry.ID(order_id))
        with self.lock:
            self.published.append((order_id, seq))
        self._put(order_id, Milestone(seq=seq, type=type_, order=order))

    def end(self, order_id: str) -> None:
        """Complete every subscription of ``order_id`` from the subgraph's side."""
        self._put(order_id, _End())

    def fail(self, order_id: str) -> None:
        """Make every subscription of ``order_id`` raise in the subgraph."""
        self._put(order_id, _Fail())

    def _put(self, order_id: str, item: Any) -> None:
        with self.lock:
            subscribers = list(self.queues.get(order_id, {}).items())
        for queue, loop in subscribers:
            loop.call_soon_threadsafe(queue.put_nowait, item)

    def register(self, order_id: str) -> asyncio.Queue[Any]:
        queue: asyncio.Queue[Any] = asyncio.Queue()
        with self.lock:
            self.queues.setdefault(order_id, {})[queue] = asyncio.get_running_loop()
            self.opened += 1
        return queue

    def unregister(self, order_id: str, queue: asyncio.Queue[Any]) -> None:
        with self.lock:
            self.queues.get(order_id, {}).pop(queue, None)
            self.closed += 1


FEED = Feed()


@strawberry.federation.type(keys=["id"], name="Order")
class OrderRef:
    id: strawberry.ID


@strawberry.type
class Milestone:
    seq: int
    type: str
    order: OrderRef


@strawberry.type(name="Query")
class EventsQuery:
    @strawberry.field
    def last_seq(self) -> int:
        return 0

    @strawberry.field
    def latest(self, order_id: strawberry.ID) -> Milestone:
        """A query through both subgraphs: this one's milestone, then the ledger's total."""
        return Milestone(seq=0, type="NONE", order=OrderRef(id=order_id))


@strawberry.type(name="Mutation")
class EventsMutation:
    @strawberry.mutation
    def publish(self, order_id: strawberry.ID, seq: int) -> Milestone:
        """Publish one milestone (so a mutation has a visible effect on subscribers)."""
        FEED.publish(str(order_id), seq)
        return Milestone(seq=seq, type="PICKED", order=OrderRef(id=order_id))


UNKNOWN = "unknown-"
"""Order ids the events subgraph refuses at subscribe time, as ``BAD_USER_INPUT``."""


async def _milestones(order_id: str) -> AsyncGenerator[Milestone, None]:
    """The milestones of one subscriber of ``order_id``, from its own queue."""
    queue = FEED.register(order_id)
    try:
        while True:
            item = await queue.get()
            if isinstance(item, _End):
                return
            if isinstance(item, _Fail):
                raise RuntimeError("milestone source failed")
            yield item
    finally:
        FEED.unregister(order_id, queue)


@strawberry.type(name="Subscription")
class EventsSubscription:
    @strawberry.subscription
    async def milestones(self, order_id: strawberry.ID) -> AsyncIterator[Milestone]:
        # An unknown order is refused when it subscribes, before any event (as the wms
        # subgraph refuses a bad argument): the error of the subscription's result.
        if str(order_id).startswith(UNKNOWN):
            message = f"no order has id {order_id!r}"
            raise GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})
        return _milestones(str(order_id))


@strawberry.federation.type(keys=["id"], name="Order")
class LedgerOrder:
    id: strawberry.ID

    @strawberry.field
    def total(self) -> int | None:
        """100 times the number the order id ends with (nullable, as fields of another
        subgraph than their entity's are in the graph: one subgraph down nulls only them)."""
        return 100 * int(str(self.id).rsplit("-", 1)[-1])

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> LedgerOrder:
        return cls(id=id)


@strawberry.type(name="Query")
class LedgerQuery:
    @strawberry.field
    def order(self, id: strawberry.ID) -> LedgerOrder:
        return LedgerOrder(id=id)


EVENTS_SCHEMA = strawberry.federation.Schema(
    query=EventsQuery,
    mutation=EventsMutation,
    subscription=EventsSubscription,
    types=[OrderRef],
)
EVENTS_SDL = subgraph_sdl(EVENTS_SCHEMA)
LEDGER_SCHEMA = strawberry.federation.Schema(query=LedgerQuery, types=[LedgerOrder])


class Door:
    """An ASGI wrapper: counts WebSocket connections, closes them; fails, holds or floods HTTP
    on demand, and records the headers of every HTTP request and which were abandoned."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.websockets_total = 0
        self.websockets_open = 0
        self.http_down = False
        # Seconds an HTTP request waits (body read) before the app sees it; ``math.inf``:
        # until its client hangs up.
        self.http_delay = 0.0
        # Answer HTTP with 200 and a chunked body that never ends (until the client leaves).
        self.http_flood = False
        # The headers of each HTTP request, and how many clients hung up while one was held
        # or flooded (the subgraph's view of an abandoned request).
        self.http_seen: list[dict[str, str]] = []
        self.http_abandoned = 0
        # The payload of every WebSocket's ``connection_init`` (who the gateway said it was).
        self.ws_inits: list[Any] = []
        self._sends: dict[int, tuple[asyncio.AbstractEventLoop, Send]] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Back to passing every request on, with nothing recorded."""
        with self._lock:
            self.http_down = self.http_flood = False
            self.http_delay = 0.0
            self.http_seen = []
            self.http_abandoned = 0
            self.ws_inits = []

    def seen(self) -> int:
        """HTTP requests received so far."""
        with self._lock:
            return len(self.http_seen)

    def abandoned(self) -> int:
        """HTTP requests whose client hung up while the door held or flooded them."""
        with self._lock:
            return self.http_abandoned

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/graphql":
            with self._lock:
                self.http_seen.append({k.decode(): v.decode() for k, v in scope["headers"]})
        if scope["type"] == "http" and self.http_down:
            await send({"type": "http.response.start", "status": 503, "headers": []})
            await send({"type": "http.response.body", "body": b"down"})
            return
        if scope["type"] == "http" and self.http_flood:
            await self._flood(receive, send)
            return
        if scope["type"] == "http" and self.http_delay:
            held = await self._hold(receive, self.http_delay)
            if held is not None:
                await self.app(scope, held, send)
            return
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        key = id(scope)
        with self._lock:
            self.websockets_total += 1
            self.websockets_open += 1
            self._sends[key] = (asyncio.get_running_loop(), send)
        try:
            await self.app(scope, self._recording_init(receive), send)
        finally:
            with self._lock:
                self.websockets_open -= 1
                del self._sends[key]

    def _recording_init(self, receive: Receive) -> Receive:
        async def recording() -> Message:
            message = await receive()
            text = message.get("text") if message["type"] == "websocket.receive" else None
            if text and '"connection_init"' in text:
                parsed = json.loads(text)
                if isinstance(parsed, dict) and parsed.get("type") == "connection_init":
                    with self._lock:
                        self.ws_inits.append(parsed.get("payload"))
            return message

        return recording

    async def _hold(self, receive: Receive, delay: float) -> Receive | None:
        """Read the body, then wait ``delay`` seconds: a ``receive`` that replays the body,
        or ``None`` if the client hung up meanwhile (counted as abandoned)."""
        body: list[Message] = []
        while not body or body[-1].get("more_body", False):
            message = await receive()
            if message["type"] == "http.disconnect":
                self._abandon()
                return None
            body.append(message)
        try:
            await asyncio.wait_for(_disconnected(receive), None if math.isinf(delay) else delay)
        except TimeoutError:

            async def replay() -> Message:
                return body.pop(0) if body else await receive()

            return replay
        self._abandon()
        return None

    async def _flood(self, receive: Receive, send: Send) -> None:
        """200 with a chunked body of spaces that never ends: until the client hangs up."""
        gone = asyncio.ensure_future(_disconnected(receive))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        chunk = b" " * 65536
        try:
            while not gone.done():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await asyncio.sleep(0)
        except OSError:
            pass
        finally:
            gone.cancel()
        self._abandon()

    def _abandon(self) -> None:
        with self._lock:
            self.http_abandoned += 1

    def kill_websockets(self) -> None:
        """Close every open WebSocket from the server's side (code 1011), as a crash would."""
        with self._lock:
            sends = list(self._sends.values())
        message = {"type": "websocket.close", "code": 1011, "reason": "killed by the test"}

        async def close(send: Send) -> None:
            await send(message)

        for loop, send in sends:
            asyncio.run_coroutine_threadsafe(close(send), loop)


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


@dataclass
class Federation:
    """The running federation: the feed, each subgraph's door and URL, and the supergraph."""

    feed: Feed
    events: Door
    ledger: Door
    urls: dict[str, str]
    supergraph: Supergraph


def supergraph_sdl(urls: dict[str, str]) -> str:
    return compose(
        [
            SubgraphSource("events", urls["events"], EVENTS_SDL),
            SubgraphSource("ledger", urls["ledger"], subgraph_sdl(LEDGER_SCHEMA)),
        ]
    )


def _app(schema: strawberry.federation.Schema) -> Starlette:
    # Any subgraph, not one of ours: it takes the token the gateway forwards and verifies
    # nothing (ours refuse a token they cannot verify).
    view = SubgraphGraphQL(
        schema,
        lambda actor: object(),
        identification=Identification(AuthSettings(), refuse_tokens_when_off=False),
    )
    # The gateway multiplexes all its subscriptions to a subgraph on one connection: strawberry
    # would refuse the 101st by default.
    view.max_subscriptions_per_connection = None
    return Starlette(
        routes=[
            Route("/graphql", view, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", view),
        ]
    )


@contextmanager
def running_federation() -> Iterator[Federation]:
    """Both subgraphs on loopback, composed; stopped on exit."""
    events = Door(_app(EVENTS_SCHEMA))
    ledger = Door(_app(LEDGER_SCHEMA))
    with ExitStack() as stack:
        urls = {
            "events": stack.enter_context(serve(events)) + "/graphql",
            "ledger": stack.enter_context(serve(ledger)) + "/graphql",
        }
        supergraph = parse_supergraph(supergraph_sdl(urls))
        yield Federation(FEED, events, ledger, urls, supergraph)
