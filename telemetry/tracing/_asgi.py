"""The ASGI middleware that gives each HTTP request its server span.

Ours rather than opentelemetry-instrumentation-asgi: that one makes three spans per request
(the request and each ``http.send``/``http.receive``), reads every header into attributes and
pulls in the semantic-conventions package; a request here needs one span, its parent from the
caller's ``traceparent``, and the service's tracer for the code it runs (docs/tracing.md).

The lifespan runs with the service's tracer current too, so the background tasks it starts
(the consumers, the outbox relay, the subscription feeds) make their spans as this service;
when it ends, the spans still buffered are exported.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, SpanKind, Status, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from telemetry.tracing._propagation import TRACEPARENT, context_of
from telemetry.tracing._setup import Tracing
from telemetry.tracing._spans import reset, using

__all__ = ["UNTRACED_PATHS", "TracingMiddleware"]

UNTRACED_PATHS = frozenset({"/health", "/ready", "/metrics"})
"""Probes and scrapes: polled all the time, and no one's story."""

_TRACEPARENT = TRACEPARENT.encode()
_TRACESTATE = b"tracestate"

RouteOf = Callable[[Scope], str]


def _sampled(context: Context) -> bool:
    return bool(trace.get_current_span(context).get_span_context().trace_flags.sampled)


class TracingMiddleware:
    """A ``SERVER`` span per HTTP request (``"{method} {route}"``, the caller's
    ``traceparent`` as its parent), with the service's tracer current inside; the lifespan
    gets the tracer only (for the tasks it starts), WebSockets nothing, or with
    ``websockets=True`` the tracer only too: a socket lives for hours, so it gets no span, but
    what runs on it may make spans of its own (the gateway's subscription starts and events,
    docs/tracing.md). ``route`` names a request's route template (the path when left out);
    ``untraced`` paths get no span.

    At the edge (``edge=True``: the gateway) a caller's ``traceparent`` is not followed:
    every request starts a trace of its own, sampled by this service's sampler, so a client
    cannot have every request recorded by sending a sampled context; its context is kept as
    a span link instead."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        tracing: Tracing,
        route: RouteOf | None = None,
        untraced: Collection[str] = UNTRACED_PATHS,
        edge: bool = False,
        websockets: bool = False,
    ) -> None:
        self.app = app
        self._websockets = websockets
        self._edge = edge
        self.tracing = tracing
        self._route = route
        self._untraced = frozenset(untraced)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if (kind == "websocket" and not self._websockets) or (
            kind == "http" and scope["path"] in self._untraced
        ):
            # Not traced: a socket lives for hours, and the spans of what runs on it would be
            # roots of their own, one trace per subscription event (docs/tracing.md).
            await self.app(scope, receive, send)
            return
        token = using(self.tracing)
        try:
            if kind == "lifespan":
                await self.app(scope, receive, self._flushing(send))
            elif kind == "websocket":
                await self.app(scope, receive, send)
            else:
                await self._traced(scope, receive, send)
        finally:
            reset(token)

    def _flushing(self, send: Send) -> Send:
        async def sending(message: Message) -> None:
            if message["type"] == "lifespan.shutdown.complete":
                # Off the loop: the exporter may wait on the network.
                await asyncio.to_thread(self.tracing.shutdown)
            await send(message)

        return sending

    async def _untraced_in(
        self, context: Context, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Run the request with no span of its own in ``context`` (a sampled-out one)."""
        attached = otel_context.attach(context)
        try:
            await self.app(scope, receive, send)
        finally:
            otel_context.detach(attached)

    async def _traced(self, scope: Scope, receive: Receive, send: Send) -> None:
        tracer = self.tracing.tracer
        if tracer is None:
            await self.app(scope, receive, send)
            return
        carrier: dict[str, str] = {}
        for name, value in scope["headers"]:
            if name in (_TRACEPARENT, _TRACESTATE):
                carrier[name.decode()] = value.decode("latin-1")
        parent = context_of(carrier)
        links = []
        if parent is not None and self._edge:
            links = [Link(trace.get_current_span(parent).get_span_context())]
            parent = None
        if parent is not None and not _sampled(parent):
            # The caller sampled this trace out: nothing here is recorded (parent-based), and
            # the calls made from here carry the caller's context on, not sampled.
            await self._untraced_in(parent, scope, receive, send)
            return
        if parent is None and self._edge and self.tracing.edge_sampling is not None:
            unsampled = self.tracing.edge_sampling.sampled_out()
            if unsampled is not None:
                # Most requests at 10%: no span made, only the context that says so to the
                # services called (docs/tracing.md, "Overhead").
                await self._untraced_in(unsampled, scope, receive, send)
                return
        method = scope["method"]
        route = self._route(scope) if self._route is not None else scope["path"]
        span = tracer.start_span(
            f"{method} {route}",
            context=parent,
            kind=SpanKind.SERVER,
            links=links,
            attributes={
                "http.request.method": method,
                "http.route": route,
                "url.path": scope["path"],
            },
        )
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        attached = otel_context.attach(trace.set_span_in_context(span, parent))
        try:
            await self.app(scope, receive, sending)
        except BaseException as error:
            span.record_exception(error)
            raise
        finally:
            otel_context.detach(attached)
            span.set_attribute("http.response.status_code", status)
            if status >= 500:
                span.set_status(Status(StatusCode.ERROR))
            span.end()
