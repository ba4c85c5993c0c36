"""GraphQL over server-sent events (graphql-sse, "distinct connections mode") on ``/graphql``.

A POST (JSON body) or GET (``?query=``) with ``Accept: text/event-stream`` runs one operation
and answers ``text/event-stream``: an ``event: next`` per result, then ``event: complete``.
A request that is not GraphQL (bad body, mutation over GET, ...) is refused as GraphQL over
HTTP refuses it, with its status and a JSON body; an operation that does not parse or validate
gets its errors as one ``next`` event, since the protocol wants validation errors on the
stream (an ``EventSource`` shows nothing of a 400's body).

The stream ends when the operation completes or the client hangs up: uvicorn reports the
hang-up as ``http.disconnect`` on ``receive``, which a task watches, and ending the stream
closes the engine's response stream and with it the upstream subscription.

When the server begins to shut down (:meth:`EventStreams.shut_down`, called by the server
before it waits for open requests), every open stream ends at once with a last ``next``
carrying a ``SHUTTING_DOWN`` error, then ``complete``: without that the server would wait its
whole graceful timeout for streams that never end, then cut them without ``complete``.

A stream never outlives its token, as a WebSocket does not: when the token expires (its
``exp`` plus the leeway HTTP allows) the stream ends with a last ``next`` carrying an
``UNAUTHENTICATED`` error, then ``complete``, and the upstream subscription with it. Without
that, a subscriber whose token expired (or whose account binding was changed by its identity
provider) would read events for as long as it kept the response open.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Callable

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from gateway.auth import ANONYMOUS, Identity
from gateway.engine import Gateway, RequestOutcome
from gateway.planner import OperationError, select_operation
from gateway.server._gauges import StreamGauges
from gateway.server._hangup import disconnected
from gateway.server._http import error_body, respond
from gateway.server._metrics import GatewayMetrics
from gateway.wire import GraphQLRequest, GraphQLResponse

__all__ = ["EventStreams", "wants_event_stream"]

log = logging.getLogger("gateway.server.sse")

_EVENT_STREAM = "text/event-stream"
_KEEPALIVE = b":\n\n"
_COMPLETE = b"event: complete\ndata:\n\n"
_SHUTTING_DOWN = {
    "errors": [
        {
            "message": "The gateway is shutting down; subscribe again.",
            "extensions": {"code": "SHUTTING_DOWN"},
        }
    ]
}
_EXPIRED = {
    "errors": [
        {
            "message": "The token has expired; subscribe again with a fresh one.",
            "extensions": {"code": "UNAUTHENTICATED"},
        }
    ]
}
_HEADERS = {
    "cache-control": "no-cache",
    # Proxies (nginx) must pass each event on at once rather than buffer the stream.
    "x-accel-buffering": "no",
}


def wants_event_stream(request: Request) -> bool:
    return _EVENT_STREAM in request.headers.get("accept", "")


Encode = Callable[[GraphQLResponse], bytes]


def _next(response: GraphQLResponse, encode: Encode = orjson.dumps) -> bytes:
    # orjson never writes a raw newline, so one ``data:`` line carries the whole result.
    return b"event: next\ndata: " + encode(response) + b"\n\n"


async def _one(response: GraphQLResponse) -> AsyncGenerator[GraphQLResponse, None]:
    yield response


class _EventStream(Response):
    """Streams ``responses`` as events until they end or the client disconnects."""

    media_type = "text/event-stream"

    def __init__(
        self,
        responses: AsyncGenerator[GraphQLResponse, None],
        keepalive: float,
        gauges: StreamGauges,
        live: set[_EventStream] | None = None,
        encode: Encode = orjson.dumps,
        expires_at: float | None = None,
    ) -> None:
        self.responses = responses
        # When the client's token stops being accepted (Unix seconds); None: never.
        self.expires_at = expires_at
        self.keepalive = keepalive
        self.gauges = gauges
        self.encode = encode
        # The registry of open streams this one joins while it runs (for shutdown).
        self.live = live if live is not None else set()
        self.stopping = asyncio.Event()
        self.status_code = 200
        self.background = None
        self.init_headers(_HEADERS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.gauges.active_subscriptions += 1
        # One writer at a time on this response: events and keep-alives never interleave.
        lock = asyncio.Lock()
        self.live.add(self)
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            events = asyncio.create_task(self._events(send, lock))
            hangup = asyncio.create_task(disconnected(receive))
            stop = asyncio.create_task(self.stopping.wait())
            expiry = asyncio.create_task(_until(self.expires_at))
            keepalives = asyncio.create_task(self._keepalives(send, lock))
            tasks = (events, hangup, stop, expiry, keepalives)
            try:
                await asyncio.wait(
                    (events, hangup, stop, expiry), return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            if not events.cancelled() and events.exception() is None:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            elif stop.done() and not stop.cancelled():
                # Cancelling the events task closed the upstream subscription; say why.
                await send(
                    {
                        "type": "http.response.body",
                        "body": _next(_SHUTTING_DOWN) + _COMPLETE,  # type: ignore[arg-type]
                        "more_body": False,
                    }
                )
            elif expiry.done() and not expiry.cancelled():
                log.info("ending an event stream whose token expired")
                await send(
                    {
                        "type": "http.response.body",
                        "body": _next(_EXPIRED) + _COMPLETE,  # type: ignore[arg-type]
                        "more_body": False,
                    }
                )
        finally:
            self.live.discard(self)
            self.gauges.active_subscriptions -= 1

    async def _events(self, send: Send, lock: asyncio.Lock) -> None:
        responses = self.responses
        try:
            # Not ``async for``: its variable would keep the last event alive while idle.
            while await self._forward(send, lock, responses, self.encode):
                pass
        except (asyncio.CancelledError, OSError):
            raise
        except Exception:
            log.exception("event stream failed while streaming")
            internal = {"data": None, **error_body("Internal server error.", "INTERNAL")}
            await self._write(send, lock, _next(internal))  # type: ignore[arg-type]
        finally:
            await responses.aclose()
        await self._write(send, lock, _COMPLETE)

    @classmethod
    async def _forward(
        cls,
        send: Send,
        lock: asyncio.Lock,
        responses: AsyncGenerator[GraphQLResponse, None],
        encode: Encode,
    ) -> bool:
        """Write the next response as an event; False once there are no more."""
        try:
            response = await anext(responses)
        except StopAsyncIteration:
            return False
        await cls._write(send, lock, _next(response, encode))
        return True

    async def _keepalives(self, send: Send, lock: asyncio.Lock) -> None:
        while True:
            await asyncio.sleep(self.keepalive)
            await self._write(send, lock, _KEEPALIVE)

    @staticmethod
    async def _write(send: Send, lock: asyncio.Lock, chunk: bytes) -> None:
        async with lock:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})


async def _until(moment: float | None) -> None:
    """Return at ``moment`` (Unix seconds); never for None."""
    if moment is None:
        await asyncio.Event().wait()
    else:
        await asyncio.sleep(max(0.0, moment - time.time()))


def _is_mutation(gateway: Gateway, request: GraphQLRequest) -> bool:
    """Whether ``request`` asks for a mutation (checked on the engine's cached parse)."""
    query = request.get("query")
    if not isinstance(query, str) or not query:
        return False
    state = gateway.state
    prepared = gateway.prepare(state, query, gateway.cache_key(query))
    if prepared.parsed is None:
        return False
    name = request.get("operationName")
    try:
        operation = select_operation(prepared.parsed, name if isinstance(name, str) else None)
    except OperationError:
        return False
    return operation.kind == "mutation"


class EventStreams:
    """Answers the GraphQL requests that accept ``text/event-stream``."""

    def __init__(
        self,
        gateway: Gateway,
        keepalive: float,
        gauges: StreamGauges,
        encode: Encode = orjson.dumps,
        metrics: GatewayMetrics | None = None,
    ) -> None:
        self.gateway = gateway
        self.metrics = metrics
        self.keepalive = keepalive
        self.gauges = gauges
        self.encode = encode
        self.live: set[_EventStream] = set()
        self.shutting_down = False

    def shut_down(self) -> None:
        """End every open stream now (error event, then ``complete``), and any started later."""
        self.shutting_down = True
        for stream in list(self.live):
            stream.stopping.set()

    def _stream(
        self, responses: AsyncGenerator[GraphQLResponse, None], expires_at: float | None = None
    ) -> _EventStream:
        stream = _EventStream(
            responses, self.keepalive, self.gauges, self.live, self.encode, expires_at
        )
        if self.shutting_down:
            stream.stopping.set()
        return stream

    async def respond(
        self,
        request: Request,
        body: GraphQLRequest,
        *,
        allow_mutations: bool,
        identity: Identity = ANONYMOUS,
        expires_at: float | None = None,
        request_name: str | None = None,
    ) -> Response:
        """``expires_at``: when ``identity``'s token stops being accepted (its ``exp`` and the
        leeway); the stream ends then. ``request_name``: the operation the request names, for
        the metrics."""
        started = time.perf_counter()
        if not allow_mutations and _is_mutation(self.gateway, body):
            refused = error_body(
                "Only queries and subscriptions can be sent with GET.", "BAD_REQUEST"
            )
            return Response(
                orjson.dumps(refused),
                status_code=405,
                media_type="application/json",
                headers={"allow": "POST"},
            )
        try:
            outcome = await self.gateway.stream(body, identity=identity)
            if self.metrics is not None:
                outcome = self.metrics.stream(request_name, outcome, started)
        except Exception:
            log.exception("event stream failed inside the gateway")
            internal = {"data": None, **error_body("Internal server error.", "INTERNAL")}
            return self._stream(_one(internal))  # type: ignore[arg-type]
        if outcome.refused is not None:
            return self.refuse(request, outcome.refused)
        assert outcome.responses is not None
        return self._stream(outcome.responses, expires_at)

    def refuse(self, request: Request, refused: RequestOutcome) -> Response:
        """A request that cannot run: an invalid operation's errors as one ``next`` event (the
        protocol wants them on the stream), anything else as GraphQL over HTTP refuses it."""
        if refused.status == "invalid":
            return self._stream(_one(refused.response))
        return respond(request, refused)
