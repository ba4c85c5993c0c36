"""GraphQL over WebSocket (graphql-transport-ws) on ``/graphql``: one socket, many operations.

Each operation runs in a task of its own that awaits its own sends, so a client that stops
reading blocks only its own operations (uvicorn's ``send`` waits while the socket's write
buffer is full); nothing is shared between sockets but the engine. Stopping an operation
(client ``complete``, socket closed) cancels its task, whose ``finally`` closes the engine's
response stream and with it the upstream subscription.

Close codes, as graphql-ws sends them::

    4400  <reason>                              a message the protocol does not define
    4401  Unauthorized                          ``subscribe`` before ``connection_ack``
    4403  Forbidden                             a ``connection_init`` token that does not
                                                verify, or the socket's token expired
    4406  Subprotocol not acceptable            the client did not offer graphql-transport-ws
    4408  Connection initialisation timeout     no ``connection_init`` in time
    4409  Subscriber for <id> already exists    an id still running
    4429  Too many initialisation requests      a second ``connection_init``
    1009  Message is too large                  over ``ws_max_message_bytes``
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator
from typing import Any

from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketDisconnected

from gateway.auth import ANONYMOUS, Unauthenticated
from gateway.documents import DocumentResolver
from gateway.engine import Gateway, RequestOutcome, StreamOutcome
from gateway.server._auth import Authenticator, init_authorization
from gateway.server._browsers import Browsers
from gateway.server._gauges import StreamGauges
from gateway.server._metrics import GatewayMetrics, requested_name
from gateway.server._rate_limit import RateLimiter
from gateway.server._requests import ResponseEncoder
from gateway.server._settings import GatewaySettings
from gateway.server._ws_messages import (
    PROTOCOL,
    ClientMessage,
    InvalidMessage,
    PongMessage,
    ServerMessage,
    encode,
    encode_next,
    parse_client_message,
)
from gateway.wire import GraphQLError, GraphQLRequest, GraphQLResponse
from telemetry.tracing import SpanKind, span

__all__ = ["GraphQLWebSocket"]

log = logging.getLogger("gateway.server.ws")

# A close frame's reason must fit in 123 bytes of UTF-8.
_MAX_REASON_BYTES = 123
# How long closing a socket waits for its operations to release their upstream streams.
_STOP_TIMEOUT = 5.0

_INTERNAL: GraphQLError = {"message": "Internal server error.", "extensions": {"code": "INTERNAL"}}

OPERATION_SPAN = "graphql-transport-ws subscribe"
"""The span of one ``subscribe`` message's start (resolved, parsed, validated, planned); of a
query's or mutation's whole run. A subscription's events get spans in their producers' traces
(``gateway.executor``), not under it: the socket and the subscription live for hours."""


class _Closed(Exception):
    """The socket is closed (by the client, or by us with a close code): stop reading."""


def _errors(refused: RequestOutcome) -> list[GraphQLError]:
    return refused.response.get("errors") or [_INTERNAL]


def _reason(text: str) -> str:
    return text.encode()[:_MAX_REASON_BYTES].decode(errors="ignore")


class GraphQLWebSocket:
    """The WebSocket ASGI app: ``WebSocketRoute("/graphql", GraphQLWebSocket(...))``."""

    def __init__(
        self,
        gateway: Gateway,
        settings: GatewaySettings,
        gauges: StreamGauges,
        documents: DocumentResolver,
        *,
        browsers: Browsers,
        rate_limiter: RateLimiter,
        authenticator: Authenticator | None = None,
        metrics: GatewayMetrics | None = None,
    ) -> None:
        self.gateway = gateway
        self.settings = settings
        self.gauges = gauges
        self.documents = documents
        self.metrics = metrics
        self.browsers = browsers
        self.rate_limiter = rate_limiter
        self.authenticator = authenticator or Authenticator(settings.auth)
        self.encode = ResponseEncoder(settings.requests.max_response_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        # A page of a foreign origin is refused its upgrade: nothing is accepted, nothing runs.
        if not await self.browsers.admit_websocket(websocket):
            return
        if PROTOCOL not in websocket.scope.get("subprotocols", ()):
            # As graphql-ws does: accept, then say why, so the client sees a reason.
            with contextlib.suppress(WebSocketDisconnect, WebSocketDisconnected, OSError):
                await websocket.accept()
                await websocket.close(4406, "Subprotocol not acceptable")
            return
        await websocket.accept(subprotocol=PROTOCOL)
        self.gauges.websocket_connections += 1
        try:
            await _Connection(
                websocket,
                self.gateway,
                self.settings,
                self.gauges,
                self.documents,
                self.rate_limiter,
                self.encode,
                self.authenticator,
                self.metrics,
            ).serve()
        finally:
            self.gauges.websocket_connections -= 1


class _Connection:
    """One socket's state: whether it was acknowledged, and its running operations by id."""

    def __init__(
        self,
        websocket: WebSocket,
        gateway: Gateway,
        settings: GatewaySettings,
        gauges: StreamGauges,
        documents: DocumentResolver,
        rate_limiter: RateLimiter,
        encode: ResponseEncoder,
        authenticator: Authenticator,
        metrics: GatewayMetrics | None = None,
    ) -> None:
        self.websocket = websocket
        self.metrics = metrics
        self.gateway = gateway
        self.settings = settings
        self.gauges = gauges
        self.documents = documents
        self.rate_limiter = rate_limiter
        self.encode = encode
        self.authenticator = authenticator
        # Who the socket is from, set at ``connection_init``; every operation runs as it.
        self.identity = ANONYMOUS
        self._expiry: asyncio.TimerHandle | None = None
        self.acknowledged = False
        self.operations: dict[str, asyncio.Task[None]] = {}
        self.closed = False
        self._closing: asyncio.Future[None] | None = None

    async def serve(self) -> None:
        deadline = time.monotonic() + self.settings.ws_connection_init_timeout
        try:
            while True:
                text = await self._receive(None if self.acknowledged else deadline)
                if text is None:
                    return
                await self._handle(text)
        except (_Closed, WebSocketDisconnect, WebSocketDisconnected, OSError):
            pass  # closed by us, or the client left while we answered it
        finally:
            if self._expiry is not None:
                self._expiry.cancel()
            await self._stop_all()

    async def _receive(self, deadline: float | None) -> str | None:
        """The next text message; ``None`` once the socket is gone or closed for a timeout."""
        try:
            if deadline is None:
                message = await self.websocket.receive()
            else:
                message = await asyncio.wait_for(
                    self.websocket.receive(), max(0.0, deadline - time.monotonic())
                )
        except TimeoutError:
            await self._close(4408, "Connection initialisation timeout")
            return None
        except WebSocketDisconnected:
            return None
        if message["type"] == "websocket.disconnect":
            return None
        text = message.get("text")
        if text is None:
            await self._close(4400, "Messages must be text frames")
            return None
        if len(text.encode()) > self.settings.ws_max_message_bytes:
            await self._close(1009, "Message is too large")
            return None
        return str(text)

    async def _handle(self, text: str) -> None:
        try:
            message: ClientMessage = parse_client_message(text)
        except InvalidMessage as error:
            await self._close(4400, str(error))
            raise _Closed from None
        if message["type"] == "connection_init":
            if self.acknowledged:
                await self._close(4429, "Too many initialisation requests")
                raise _Closed
            await self._authenticate(message.get("payload"))
            self.acknowledged = True
            await self._send({"type": "connection_ack"})
        elif message["type"] == "ping":
            pong: PongMessage = {"type": "pong"}
            if "payload" in message:
                pong["payload"] = message["payload"]
            await self._send(pong)
        elif message["type"] == "subscribe":
            await self._subscribe(message["id"], message["payload"])
        elif message["type"] == "complete":
            task = self.operations.pop(message["id"], None)
            if task is not None:
                task.cancel()
        # A ``pong`` needs no answer.

    async def _authenticate(self, payload: dict[str, Any] | None) -> None:
        """The socket's identity from the ``connection_init`` payload; 4403 for a token
        that does not verify. A token that will expire closes the socket with 4403 then
        (after the same clock-skew leeway HTTP grants), so a socket never outlives it."""
        try:
            identity = await self.authenticator.identify(
                init_authorization(payload), self.websocket.scope
            )
        except Unauthenticated:
            await self._close(4403, "Forbidden")
            raise _Closed from None
        self.identity = identity
        verifier = self.authenticator.verifier
        if identity.expires_at is not None and verifier is not None:
            left = identity.expires_at + verifier.settings.leeway - time.time()
            loop = asyncio.get_running_loop()
            self._expiry = loop.call_later(max(0.0, left), self._expired)

    def _expired(self) -> None:
        self._expiry = None
        log.info("closing a WebSocket whose token expired")
        # Kept referenced until it is done (a bare task may be collected mid-close).
        self._closing = asyncio.ensure_future(self._close(4403, "Forbidden"))

    async def _subscribe(self, id_: str, request: GraphQLRequest) -> None:
        if not self.acknowledged:
            await self._close(4401, "Unauthorized")
            raise _Closed
        if id_ in self.operations:
            await self._close(4409, f"Subscriber for {id_} already exists")
            raise _Closed
        limit = self.settings.ws_max_operations
        if len(self.operations) >= limit:
            error: GraphQLError = {
                "message": (
                    f"Too many operations on this connection (at most {limit} at once); "
                    "complete one first."
                ),
                "extensions": {"code": "BAD_REQUEST"},
            }
            await self._send({"id": id_, "type": "error", "payload": [error]})
            return
        task = asyncio.create_task(self._run(id_, request), name=f"graphql-ws operation {id_}")
        self.operations[id_] = task

    async def _run(self, id_: str, request: GraphQLRequest) -> None:
        """One operation: ``next`` per result then ``complete``, or ``error`` if refused."""
        self.gauges.active_subscriptions += 1
        try:
            with span(OPERATION_SPAN, kind=SpanKind.SERVER):
                outcome = await self._start(id_, request)
                # The request (its query text may be large) is not needed while it streams.
                del request
                if outcome is not None and outcome.operation_type != "subscription":
                    assert outcome.responses is not None
                    await self._stream(id_, outcome.responses)
                    return
            if outcome is not None:
                assert outcome.responses is not None
                await self._stream(id_, outcome.responses)
        except (WebSocketDisconnect, WebSocketDisconnected, OSError):
            pass  # the client is gone; the socket's reader stops the rest
        finally:
            self.gauges.active_subscriptions -= 1
            if self.operations.get(id_) is asyncio.current_task():
                del self.operations[id_]

    async def _start(self, id_: str, request: GraphQLRequest) -> StreamOutcome | None:
        """The operation's responses; ``None`` once it was refused (the client was told)."""
        started = time.perf_counter()
        try:
            # Over its limit, this operation alone is refused; the socket stays open.
            limited = await self.rate_limiter.check_subscribe(self.websocket.scope, request)
            if limited is not None:
                await self._send({"id": id_, "type": "error", "payload": limited})
                return None
            # The text of a persisted query or trusted document, as for HTTP (_app.py).
            resolved = await self.documents.resolve(request)
            if isinstance(resolved, RequestOutcome):
                await self._send({"id": id_, "type": "error", "payload": _errors(resolved)})
                return None
            outcome = await self.gateway.stream(resolved, identity=self.identity)
            if self.metrics is not None:
                outcome = self.metrics.stream(requested_name(request), outcome, started)
        except Exception:
            log.exception("operation %s failed inside the gateway", id_)
            await self._send({"id": id_, "type": "error", "payload": [_INTERNAL]})
            return None
        if outcome.refused is not None:
            await self._send({"id": id_, "type": "error", "payload": _errors(outcome.refused)})
            return None
        assert outcome.responses is not None
        return outcome

    async def _stream(self, id_: str, responses: AsyncGenerator[GraphQLResponse, None]) -> None:
        try:
            # Not ``async for``: its variable would keep the last event alive while idle.
            while await self._forward(id_, responses):
                pass
        except (WebSocketDisconnect, WebSocketDisconnected, OSError):
            raise
        except Exception:
            log.exception("operation %s failed while streaming", id_)
            await self._send({"id": id_, "type": "error", "payload": [_INTERNAL]})
            return
        finally:
            await responses.aclose()
        await self._send({"id": id_, "type": "complete"})

    async def _forward(self, id_: str, responses: AsyncGenerator[GraphQLResponse, None]) -> bool:
        """Send the next response as ``next``; False once there are no more."""
        try:
            response = await anext(responses)
        except StopAsyncIteration:
            return False
        # Encoded by the size-holding encoder: a response over the limit is an error.
        await self.websocket.send_text(encode_next(id_, self.encode(response)))
        return True

    async def _send(self, message: ServerMessage) -> None:
        await self.websocket.send_text(encode(message))

    async def _close(self, code: int, reason: str) -> None:
        """Stop every operation, then close with ``code`` (once; later calls do nothing)."""
        if self.closed:
            return
        self.closed = True
        for task in self.operations.values():
            task.cancel()
        with contextlib.suppress(WebSocketDisconnect, WebSocketDisconnected, OSError):
            await self.websocket.close(code, _reason(reason))

    async def _stop_all(self) -> None:
        """Cancel the operations still running and wait (bounded) for their streams to close."""
        tasks = list(self.operations.values())
        self.operations.clear()
        for task in tasks:
            task.cancel()
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=_STOP_TIMEOUT)
            if late:
                log.warning("%d operations did not stop within %ss", len(late), _STOP_TIMEOUT)
