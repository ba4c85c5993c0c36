"""graphql-transport-ws to subgraphs: one multiplexed WebSocket per subgraph URL and token.

A gateway holding thousands of client subscriptions must not hold thousands of sockets to a
subgraph, nor a task for each of them: every subscription to one subgraph URL for one client
token shares one connection (distinct ids), anonymous ones the tokenless connection. The
token goes in ``connection_init``'s payload (``{"Authorization": "Bearer …"}``), which is
where a graphql-transport-ws server reads who a connection is from; since that is once per
connection, connections are never shared across tokens. Each is opened on first use
(``connection_init``, then ``connection_ack`` within a deadline) and opened again on the
next subscribe after it drops. Per connection, one task reads and one writes; per
subscription there is only an :class:`Upstream`: a small bounded buffer its consumer takes
events from.

Identical subscriptions (same request: operation text, variables, extensions) on one
connection, so for one token, share ONE subscription on the subgraph while it has delivered
no event yet: the subgraph sends each event once and the reader hands the same payload to
every member's own buffer (treat it as read-only). A member that joins later would miss what
the first ones got (a resume's backlog, say), so from its first event on a subscription takes
no new members; the next identical subscribe starts a fresh one. A member leaving (or ended
as too slow) leaves the others subscribed; the last one gone completes it on the subgraph.

The reader waits for no consumer but for a moment. A subscription whose buffer is full when
an event arrives is ended: its consumer gets the events already buffered, then a
``SUBSCRIPTION_TOO_SLOW`` error, and the subgraph is sent ``complete`` for it. The others go
on. Only the client's own slowness counts: events that arrive while the consumer is not
waiting on its client (the gateway fetching entities for earlier events, or not yet
scheduled) may pile up to ``burst_buffer``; the consumer then takes them together. And a
consumer whose buffer fills while it waits on its client is given ``slow_grace`` seconds to
ask again before it is ended: a burst read off the socket in one go comes in faster than any
client could be given a turn, and a client that reads must not be ended for that. The reader
reads nothing more meanwhile (the subgraph's socket pushes back), which only the
subscriptions of one token share. When the
connection drops, every subscription on it ends with a ``SUBGRAPH_ERROR`` (clients resume
from their own cursor); nothing is resubscribed behind their back.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException
from websockets.typing import Subprotocol

from gateway.executor._errors import gateway_error, subgraph_error
from gateway.wire import GraphQLError, GraphQLRequest

__all__ = [
    "GRAPHQL_TRANSPORT_WS",
    "Ended",
    "SubscriptionClient",
    "SubscriptionFailed",
    "SubscriptionSettings",
    "Upstream",
]

GRAPHQL_TRANSPORT_WS = Subprotocol("graphql-transport-ws")


class SubscriptionFailed(Exception):
    """A subscription could not be opened on a subgraph (unreachable, refused, no ack)."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"Subscription to '{service}' failed: {reason}")
        self.service = service
        self.reason = reason


@dataclass(frozen=True)
class SubscriptionSettings:
    """Timeouts and limits of the subscription connections to subgraphs."""

    connect_timeout: float = 5.0
    # From ``connection_init`` to the subgraph's ``connection_ack``.
    ack_timeout: float = 5.0
    # Events an Upstream holds for a consumer that has not taken them; one more ends it.
    buffer: int = 32
    # The same for events arriving while the consumer is not waiting on its client (busy
    # fetching entities for events it took, or not yet scheduled): a burst (a resume
    # replaying a backlog) must not end a client that reads as fast as it can.
    burst_buffer: int = 1024
    # How long a consumer whose buffer is full while it waits on its client may take to ask
    # again before it is ended as too slow (the reader pauses for it meanwhile).
    slow_grace: float = 0.25
    # WebSocket pings on an otherwise quiet connection; a pong later than this drops it.
    ping_interval: float | None = 20.0
    ping_timeout: float | None = 20.0
    close_timeout: float = 2.0
    # A connection left without subscriptions this long is closed (None: kept open).
    idle_timeout: float | None = 60.0
    # A message over this many bytes drops the connection.
    max_message_bytes: int = 64 << 20


@dataclass(frozen=True, slots=True)
class Ended:
    """How an upstream subscription ended: no errors when the subgraph completed it."""

    errors: tuple[GraphQLError, ...] = ()


_COMPLETED = Ended()


class Upstream:
    """One subscription on a subgraph connection: its events in order, then how it ended.

    Only the connection's reader puts events in, only the one consumer takes them out; the
    consumer must :meth:`close` it when it stops early (that completes it on the subgraph).
    """

    __slots__ = (
        "_connection",
        "_ended",
        "_events",
        "_excused",
        "_holding",
        "_released",
        "_waiter",
        "id",
        "shared",
    )

    def __init__(self, connection: _Connection, id: str) -> None:
        self.id = id
        # Whether other consumers receive the same payloads (then none may change them).
        self.shared = False
        self._connection: _Connection | None = connection
        self._events: list[dict[str, Any]] = []
        self._ended: Ended | None = None
        self._waiter: asyncio.Future[None] | None = None
        # Set by the consumer while it waits for its client to ask for the next response:
        # only events arriving then are held against the client. Those arriving while the
        # gateway works (entity fetches, scheduling) are excused; how many of them still wait.
        self._holding = False
        self._released: asyncio.Future[None] | None = None
        self._excused = 0

    @property
    def holding(self) -> bool:
        return self._holding

    @holding.setter
    def holding(self, value: bool) -> None:
        self._holding = value
        if not value:
            self._release()

    def released(self) -> asyncio.Future[None]:
        """Resolved once the consumer is not waiting on its client (or has stopped)."""
        released = self._released
        if released is None or released.done():
            released = self._released = asyncio.get_running_loop().create_future()
        if not self._holding or self._connection is None:
            released.set_result(None)
        return released

    def _release(self) -> None:
        released, self._released = self._released, None
        if released is not None and not released.done():
            released.set_result(None)

    def take_many(self, most: int) -> list[dict[str, Any]] | Ended | None:
        """Up to ``most`` buffered events in order, else as :meth:`take`."""
        if self._events:
            taken = self._events[:most]
            del self._events[:most]
            self._excused = min(self._excused, len(self._events))
            return taken
        return self._ended

    def take(self) -> dict[str, Any] | Ended | None:
        """The next event's payload, how the subscription ended (then always that), or
        ``None`` while there is nothing yet: then await :meth:`arrival`."""
        if self._events:
            event = self._events.pop(0)
            self._excused = min(self._excused, len(self._events))
            return event
        return self._ended

    def arrival(self) -> asyncio.Future[None]:
        """Resolved when :meth:`take` may have something new (a plain future, not a
        coroutine: an idle subscription holds no frame of its own here)."""
        waiter = self._waiter
        if waiter is None or waiter.done():
            waiter = self._waiter = asyncio.get_running_loop().create_future()
        return waiter

    def close(self) -> None:
        """Stop: complete the subscription on the subgraph unless it already ended."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.leave(self)
        self._events.clear()
        self._excused = 0
        if self._ended is None:
            self._ended = _COMPLETED
        self._wake()
        self._release()

    # Called by the connection.
    def push(
        self, payload: dict[str, Any], limit: int, burst_limit: int, *, excused: bool = False
    ) -> bool:
        """Buffer one event; False (nothing buffered) when ``limit`` events already wait for
        the client, not counting those that arrived while the consumer was not
        :attr:`holding` or are ``excused`` (at most ``burst_limit`` may wait then)."""
        if excused or not self.holding:
            if len(self._events) >= burst_limit:
                return False
            self._excused += 1
        elif len(self._events) - self._excused >= limit:
            return False
        self._events.append(payload)
        self._wake()
        return True

    def end(self, ended: Ended) -> None:
        """The subscription is over on the subgraph's side; buffered events stay to be taken."""
        self._connection = None
        if self._ended is None:
            self._ended = ended
        self._wake()
        self._release()

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


def _ws_url(url: str) -> str | None:
    """The WebSocket URL of a subgraph's HTTP URL: same host, port and path."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme)
    if scheme is None or not parts.hostname:
        return None
    return urlunsplit((scheme, parts.netloc, parts.path or "/", parts.query, ""))


class _ProtocolViolation(Exception):
    """The subgraph sent something graphql-transport-ws does not allow."""


def _message(raw: str | bytes) -> dict[str, Any]:
    try:
        message = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise _ProtocolViolation("a message that is not JSON") from error
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise _ProtocolViolation("a message without a type")
    return message


_INIT = orjson.dumps({"type": "connection_init", "payload": {}})
_PONG = orjson.dumps({"type": "pong"})


class _Connection:
    """One graphql-transport-ws connection to one subgraph URL, shared by its subscriptions."""

    def __init__(
        self, client: SubscriptionClient, service: str, url: str, token: str | None = None
    ) -> None:
        self.service = service
        self.url = url
        self.token = token
        self.settings = client.settings
        self.loop = asyncio.get_running_loop()
        self.closed = False
        # Subscription id -> its members (several when identical subscriptions share it).
        self.subscriptions: dict[str, list[Upstream]] = {}
        # Request body -> the id of a subscription of it that new members may join (it has
        # delivered no event yet), and back.
        self._joinable: dict[bytes, str] = {}
        self._joinable_body: dict[str, bytes] = {}
        self._client = client
        self._idle_timer: asyncio.TimerHandle | None = None
        self._ids = itertools.count(1)
        self._outbox: asyncio.Queue[bytes] = asyncio.Queue()
        self._ws: ClientConnection | None = None
        self._tasks: list[asyncio.Task[None]] = []
        # Events a member could not take while it waited on its client, in arrival order:
        # the reader gives it ``slow_grace`` to ask again before it reads on (``_give_time``).
        self._stalled: list[tuple[Upstream, dict[str, Any]]] = []
        # Why the connection is being closed by the gateway (so subscribers are told that).
        self._closing: str | None = None
        self._opening = asyncio.ensure_future(self._open())
        # Every subscriber awaiting it may be cancelled: never leave its failure unretrieved.
        self._opening.add_done_callback(lambda task: task.cancelled() or task.exception())

    async def ready(self) -> None:
        """Wait until the subgraph acknowledged the connection; raise if it never does."""
        try:
            await asyncio.shield(self._opening)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if self._opening.cancelled() and (task is None or not task.cancelling()):
                # The gateway closed the connection while it opened; the caller goes on.
                raise SubscriptionFailed(self.service, self._closing or "closed") from None
            raise

    async def _open(self) -> None:
        try:
            try:
                self._ws = await self._connect()
                await self._initialise(self._ws)
            except SubscriptionFailed:
                raise
            except Exception as error:
                reason = f"the connection failed ({type(error).__name__})"
                raise SubscriptionFailed(self.service, reason) from error
        except BaseException:
            self.closed = True
            self._client.forget(self)
            if self._ws is not None:
                self._ws.transport.abort()
            raise
        self._tasks = [
            asyncio.ensure_future(self._read(self._ws)),
            asyncio.ensure_future(self._write(self._ws)),
        ]
        # Every subscriber may have been cancelled while it opened: close it when idle then.
        self._arm_idle_timer()

    async def _connect(self) -> ClientConnection:
        s = self.settings
        ws_url = _ws_url(self.url)
        if ws_url is None:
            raise SubscriptionFailed(self.service, "invalid subgraph URL")
        try:
            ws = await connect(
                ws_url,
                subprotocols=[GRAPHQL_TRANSPORT_WS],
                # The connection carries many small JSON messages on a fast network: deflate
                # would cost CPU and memory per message for little gain. No proxies, like the
                # HTTP client.
                compression=None,
                proxy=None,
                open_timeout=s.connect_timeout,
                ping_interval=s.ping_interval,
                ping_timeout=s.ping_timeout,
                close_timeout=s.close_timeout,
                max_size=s.max_message_bytes,
            )
        except TimeoutError as error:
            raise SubscriptionFailed(
                self.service, f"no WebSocket connection in {s.connect_timeout:g}s"
            ) from error
        except InvalidStatus as error:
            status = error.response.status_code
            raise SubscriptionFailed(
                self.service, f"the subgraph refused the WebSocket (HTTP {status})"
            ) from error
        except (OSError, WebSocketException) as error:
            raise SubscriptionFailed(
                self.service, f"could not open a WebSocket ({type(error).__name__})"
            ) from error
        if ws.subprotocol != GRAPHQL_TRANSPORT_WS:
            ws.transport.abort()
            raise SubscriptionFailed(
                self.service, "the subgraph does not speak graphql-transport-ws"
            )
        return ws

    async def _initialise(self, ws: ClientConnection) -> None:
        s = self.settings
        try:
            async with asyncio.timeout(s.ack_timeout):
                await ws.send(_init(self.token), text=True)
                while True:
                    message = _message(await ws.recv())
                    if message["type"] == "connection_ack":
                        return
                    if message["type"] == "ping":
                        await ws.send(_PONG, text=True)
                    elif message["type"] != "pong":
                        raise _ProtocolViolation(f"{message['type']!r} before connection_ack")
        except TimeoutError as error:
            raise SubscriptionFailed(
                self.service, f"no connection_ack in {s.ack_timeout:g}s"
            ) from error
        except ConnectionClosed as error:
            raise SubscriptionFailed(
                self.service, f"the subgraph closed the connection ({_close_code(error)})"
            ) from error
        except _ProtocolViolation as error:
            raise SubscriptionFailed(self.service, f"the subgraph sent {error}") from error

    def subscribe(self, request: GraphQLRequest, *, share: bool = True) -> Upstream:
        """A new member of a subscription of ``request``: of one that has delivered nothing
        yet if there is one and ``share``, else of a new one."""
        if self.closed:
            raise SubscriptionFailed(self.service, "the connection to the subgraph was lost")
        body = orjson.dumps(request)
        joined = self._joinable.get(body) if share else None
        if joined is not None:
            upstream = Upstream(self, joined)
            members = self.subscriptions[joined]
            members.append(upstream)
            for member in members:
                member.shared = True
            self._client.joined += 1
            return upstream
        upstream = Upstream(self, str(next(self._ids)))
        self.subscriptions[upstream.id] = [upstream]
        if share:
            self._joinable[body] = upstream.id
            self._joinable_body[upstream.id] = body
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        self._send({"id": upstream.id, "type": "subscribe", "payload": request})
        return upstream

    async def _give_time(self, upstream: Upstream, payload: dict[str, Any]) -> None:
        """``payload`` to ``upstream`` once its consumer asks its client again, or the
        subscription ended as too slow when it does not within ``slow_grace``."""
        s = self.settings
        released = upstream.released()
        await asyncio.wait((released,), timeout=s.slow_grace)
        asked = released.done()
        if upstream not in self.subscriptions.get(upstream.id, ()):
            return  # it left, or ended, meanwhile
        # It asked in time: its client reads, and the event is excused (it may be waiting on
        # its client again already, with the rest of a batch).
        if not upstream.push(payload, s.buffer, s.burst_buffer, excused=asked):
            self._end_too_slow(upstream)

    def _end_too_slow(self, upstream: Upstream) -> None:
        self.leave(upstream)
        limit = self.settings.buffer if upstream.holding else self.settings.burst_buffer
        upstream.end(Ended((_too_slow(limit),)))

    def leave(self, upstream: Upstream) -> None:
        """``upstream`` no longer wants events; the last member gone completes the
        subscription on the subgraph (no-op once it ended)."""
        members = self.subscriptions.get(upstream.id)
        if members is None:
            return
        with contextlib.suppress(ValueError):
            members.remove(upstream)
        if not members and self._remove(upstream.id) is not None:
            self._send({"id": upstream.id, "type": "complete"})

    def _closed_to_members(self, id: str) -> None:
        """The subscription ``id`` delivered an event: nobody may join it any more."""
        body = self._joinable_body.pop(id, None)
        if body is not None and self._joinable.get(body) == id:
            del self._joinable[body]

    def _remove(self, id: str) -> list[Upstream] | None:
        """Forget a subscription; the last one gone starts the idle timer."""
        members = self.subscriptions.pop(id, None)
        self._closed_to_members(id)
        if members is not None:
            self._arm_idle_timer()
        return members

    def _arm_idle_timer(self) -> None:
        """Start the idle timer if no subscription is left (and it is not running)."""
        idle = self.settings.idle_timeout
        if (
            not self.subscriptions
            and idle is not None
            and self._idle_timer is None
            and not self.closed
        ):
            self._idle_timer = self.loop.call_later(idle, self._close_if_idle)

    def _close_if_idle(self) -> None:
        self._idle_timer = None
        if not self.subscriptions and not self.closed:
            # Closed before its close handshake: no new subscription may come to it.
            self.closed = True
            self._client.forget(self)
            self._client.in_background(self.aclose("the connection was idle"))

    def _send(self, message: dict[str, Any]) -> None:
        if not self.closed:
            self._outbox.put_nowait(orjson.dumps(message))

    async def _write(self, ws: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                await ws.send(await self._outbox.get(), text=True)

    async def _read(self, ws: ClientConnection) -> None:
        reason = "the connection to the subgraph was lost"
        try:
            async for raw in ws:
                self._dispatch(_message(raw))
                while self._stalled:
                    await self._give_time(*self._stalled.pop(0))
        except ConnectionClosed as error:
            reason = f"the connection to the subgraph was lost ({_close_code(error)})"
        except _ProtocolViolation as error:
            reason = f"the subgraph sent {error}"
            await ws.close(4400, "invalid message")
        except Exception as error:
            reason = f"the connection to the subgraph failed ({type(error).__name__})"
            ws.transport.abort()
        finally:
            self._teardown(self._closing or reason)

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "ping":
            self._outbox.put_nowait(_PONG)
            return
        if kind in ("pong", "connection_ack"):
            return
        id = message.get("id")
        if not isinstance(id, str):
            raise _ProtocolViolation(f"a {kind!r} message without an id")
        if kind == "next":
            payload = message.get("payload")
            if not isinstance(payload, dict):
                raise _ProtocolViolation("a next message without a payload object")
            members = self.subscriptions.get(id)
            if members is None:
                return
            self._closed_to_members(id)
            s = self.settings
            for upstream in [m for m in members if not m.push(payload, s.buffer, s.burst_buffer)]:
                if upstream.holding and s.slow_grace > 0:
                    # Full while it waits on its client: a moment for it to ask again.
                    self._stalled.append((upstream, payload))
                    continue
                # Its consumer fell behind: end it, and only it.
                self._end_too_slow(upstream)
        elif kind == "error":
            members = self._remove(id)
            if members:
                payload = message.get("payload")
                errors = payload if isinstance(payload, list) else [payload]
                out = [subgraph_error(e, self.service, lambda path: path) for e in errors]
                found = tuple(e for e in out if e is not None)
                ended = Ended(found or (self._failure("the subgraph sent an error"),))
                for upstream in members:
                    upstream.end(ended)
        elif kind == "complete":
            for upstream in self._remove(id) or ():
                upstream.end(_COMPLETED)
        else:
            raise _ProtocolViolation(f"an unexpected {kind!r} message")

    def _failure(self, reason: str) -> GraphQLError:
        return gateway_error(
            f"Subscription to '{self.service}' ended: {reason}.", "SUBGRAPH_ERROR", self.service
        )

    def _teardown(self, reason: str) -> None:
        self.closed = True
        self._client.forget(self)
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
        subscriptions, self.subscriptions = self.subscriptions, {}
        self._joinable.clear()
        self._joinable_body.clear()
        if subscriptions:
            ended = Ended((self._failure(reason),))
            for members in subscriptions.values():
                for upstream in members:
                    upstream.end(ended)

    async def aclose(self, reason: str) -> None:
        """Close the connection; its subscriptions end with ``reason``."""
        self._closing = reason
        if not self._opening.done():
            self._opening.cancel()
        await asyncio.wait([self._opening])
        ws = self._ws
        if ws is not None:
            await ws.close()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._teardown(reason)


def _init(token: str | None) -> bytes:
    """The ``connection_init`` of a connection for ``token`` (none: an empty payload)."""
    if token is None:
        return _INIT
    return orjson.dumps(
        {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
    )


def _close_code(error: ConnectionClosed) -> str:
    frame = error.rcvd or error.sent
    return f"close code {frame.code}" if frame is not None else "no close frame"


def _too_slow(buffer: int) -> GraphQLError:
    return gateway_error(
        f"Subscription ended: events arrived faster than they were read "
        f"(more than {buffer} waiting). Subscribe again from the last event received.",
        "SUBSCRIPTION_TOO_SLOW",
    )


class SubscriptionClient:
    """The gateway's subscriptions to subgraphs: one connection per subgraph URL, on demand."""

    def __init__(self, settings: SubscriptionSettings | None = None) -> None:
        self.settings = settings or SubscriptionSettings()
        self._connections: dict[tuple[str, str | None], _Connection] = {}
        # Subscribes that joined an identical subscription instead of opening one, since start.
        self.joined = 0
        # Closings of idle connections, kept referenced until they finish.
        self._background: set[asyncio.Task[None]] = set()

    async def subscribe(
        self,
        service: str,
        url: str,
        request: GraphQLRequest,
        *,
        token: str | None = None,
        share: bool = True,
    ) -> Upstream:
        """Start ``request`` on the subgraph, on the connection of ``token`` (the client's
        verified bearer token; None: the anonymous one); raise :class:`SubscriptionFailed`
        if it cannot. With ``share``, an identical subscription on that connection that has
        delivered no event yet is joined instead of opening one (see the module's doc)."""
        loop = asyncio.get_running_loop()
        key = (url, token)
        connection = self._connections.get(key)
        if connection is None or connection.closed or connection.loop is not loop:
            # A connection of another event loop (a test or CLI may run several in turn) is
            # unusable here: left to that loop, which closed it or will.
            connection = _Connection(self, service, url, token)
            self._connections[key] = connection
        await connection.ready()
        return connection.subscribe(request, share=share)

    def connections(self) -> int:
        """Connections open or opening (for tests and metrics)."""
        return len(self._connections)

    def subscribers(self) -> int:
        """Consumers of the subscriptions running now, counting each sharer (for tests and
        metrics): those upstream are fewer when identical ones share."""
        return sum(
            len(members) for c in self._connections.values() for members in c.subscriptions.values()
        )

    def forget(self, connection: _Connection) -> None:
        """Stop handing out ``connection`` (it closed or is closing)."""
        key = (connection.url, connection.token)
        if self._connections.get(key) is connection:
            del self._connections[key]

    def in_background(self, closing: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(closing)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def aclose(self) -> None:
        """Close every connection; their subscriptions end with a shutdown error."""
        loop = asyncio.get_running_loop()
        connections = [c for c in self._connections.values() if c.loop is loop]
        self._connections = {}
        for connection in connections:
            await connection.aclose("the gateway is shutting down")
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
