"""The ASGI app of a subgraph: GraphQL (and GraphiQL) on /graphql, /health and /ready.

GraphiQL is the gateway's page (``gateway.server.graphiql_html``) with its vendored assets, so
it works without internet access, opening on the subgraph's example operation. Every HTTP
request runs within its time (``subgraphs.common.deadline``): its own timeout, or the
gateway's time left when shorter, bounds its system calls, and a gateway that hangs up (or
the deadline, a second past) stops it.

Every request is someone's (``subgraphs.common.identity``): the app verifies the token the
gateway forwards before anything else, answers one that does not verify with 401
``UNAUTHENTICATED`` (a WebSocket's ``connection_init`` with 4403), and gives the context
getter the ``Actor`` it proves.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import aclosing, asynccontextmanager
from typing import TYPE_CHECKING

import orjson
import strawberry.federation
from cross_web import AsyncHTTPRequestAdapter
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage
from strawberry.types import ExecutionResult, SubscriptionExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.unset import UNSET, UnsetType

from gateway.auth import AuthSettings, Unauthenticated
from gateway.server import graphiql_asset_route, graphiql_html
from schema.actor import Actor
from subgraphs.common.deadline import DEADLINE_EXCEEDED, Stopped, bounded
from subgraphs.common.identity import UNAUTHENTICATED, Identification, authorization_of
from subgraphs.common.readiness import ReadyCheck, readiness
from telemetry.metrics import HttpServerMetrics, Metrics, metrics_route
from telemetry.tracing import (
    EVENT_TRACEPARENT,
    EventTrace,
    Tracing,
    TracingMiddleware,
    tracing_events,
)

if TYPE_CHECKING:
    from strawberry.schema.schema import StreamResult

__all__ = ["ContextGetter", "SubgraphGraphQL", "create_graphql_app"]

logger = logging.getLogger(__name__)

MAX_SUBSCRIPTIONS_PER_CONNECTION = 50_000


# A plain connection_ack, without a payload.
_ACK: UnsetType = UNSET

ContextGetter = Callable[[Actor], object]
"""Makes the context of one request (or one WebSocket) for the actor it serves."""


def _unauthenticated(error: Unauthenticated) -> Response:
    error_body = {"message": str(error), "extensions": {"code": UNAUTHENTICATED}}
    body = {"data": None, "errors": [error_body]}
    return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": "Bearer"})


class _ExpiringSockets(BaseGraphQLTransportWSHandler[object, None]):
    """graphql-transport-ws, where a socket is closed with 4403 when the token it was
    opened with expires (``expires_at`` on its context), as the gateway closes its own.

    A subscription refused by its resolver (a bad argument, an unknown record) ends as the
    graphql-ws reference server ends it, and as the gateway does: ``next`` with the errors,
    then ``complete``; only a document that does not validate (or variables that do not
    fit it) is the protocol's ``error`` message.

    Each ``next`` of an event a resolver marked with its producer's trace context
    (``telemetry.tracing.mark_event``: the milestone feed does) carries it in its
    ``extensions`` as ``traceparent``, so the gateway resolves the event in that trace.
    """

    _expiry: asyncio.Task[None] | None = None

    async def handle(self) -> None:
        try:
            await super().handle()
        finally:
            if self._expiry is not None:
                self._expiry.cancel()

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        context = self.context
        expires_at = (
            context.get("expires_at")
            if isinstance(context, dict)
            else getattr(context, "expires_at", None)
        )
        if self.connection_acknowledged and isinstance(expires_at, float | int):
            self._expiry = asyncio.create_task(self._close_at(float(expires_at)))

    async def _handle_pre_execution_error(
        self, operation: Operation[object, None], result: PreExecutionError
    ) -> None:
        # Strawberry sends every error before the first event as ``error``. Those of the
        # subscription's result are the resolver's, located at its field (they have a path);
        # validation and variable errors have none. ``run_operation`` sends ``complete``.
        if result.errors and all(error.path for error in result.errors):
            await operation.send_next(result)
            return
        await super()._handle_pre_execution_error(operation, result)

    async def _send_result_stream(
        self, operation: Operation[object, None], result_source: StreamResult
    ) -> None:
        view = self.view
        if not isinstance(view, SubgraphGraphQL) or not view.carries_event_traces:
            # Tracing off: each event costs nothing more.
            await super()._send_result_stream(operation, result_source)
            return
        # Runs in the operation's own task: the holder is this operation's alone.
        with tracing_events() as events:
            async with aclosing(_marked(result_source, events)) as marked:
                await super()._send_result_stream(operation, marked)

    async def _close_at(self, expires_at: float) -> None:
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        await self.websocket.close(code=4403, reason="The token has expired.")


async def _marked(results: StreamResult, events: EventTrace) -> StreamResult:
    """``results``, each event's with the trace context its resolver marked it with."""
    async for result in results:
        produced_by = events.take()
        if produced_by is not None and isinstance(result, ExecutionResult):
            result.extensions = {**(result.extensions or {}), EVENT_TRACEPARENT: produced_by}
        yield result


class SubgraphGraphQL(GraphQL[object, None]):
    """Strawberry's ASGI view with a fresh context (fresh loaders) per request, made for the
    actor ``identification`` finds (``SYSTEM`` for everyone when it is left out).

    Over a WebSocket the context lives as long as the connection, and its ``actor`` is set
    at ``connection_init``; a subscription that loads through it should ``clear()`` its
    loaders between events. An HTTP request runs within ``request_timeout`` seconds (or its
    caller's time left, if shorter) and stops when its caller hangs up.
    """

    graphql_transport_ws_handler_class = _ExpiringSockets

    def __init__(
        self,
        schema: strawberry.federation.Schema,
        context_getter: ContextGetter,
        *,
        graphiql_page: str | None = None,
        request_timeout: float | None = None,
        identification: Identification | None = None,
    ):
        # The gateway multiplexes every subscription of its clients to this subgraph over one
        # connection, so Strawberry's default cap of 100 per connection would refuse the
        # 101st subscriber; the cap stays, sized for one gateway's worth of subscribers.
        super().__init__(schema, max_subscriptions_per_connection=MAX_SUBSCRIPTIONS_PER_CONNECTION)
        self._context_getter = context_getter
        self._graphiql_page = graphiql_page or graphiql_html()
        self.request_timeout = request_timeout
        self.identification = identification or Identification(AuthSettings())
        # Whether a subscription's events carry their trace context (tracing on here).
        self.carries_event_traces = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # An HTTP request's token is checked before Strawberry reads the request: one that
        # does not verify gets no data, not even GraphiQL's page.
        if scope["type"] == "http":
            request = Request(scope, receive)
            try:
                actor = await self.identification.of_authorization(
                    request.headers.get("authorization")
                )
            except Unauthenticated as error:
                await _unauthenticated(error)(scope, receive, send)
                return
            request.state.actor = actor
        await super().__call__(scope, receive, send)

    async def on_ws_connect(self, context: object) -> UnsetType | dict[str, object] | None:
        params = (
            context.get("connection_params")
            if isinstance(context, dict)
            else getattr(context, "connection_params", None)
        )
        try:
            authorization = authorization_of(params)
        except Unauthenticated as error:
            if self.identification.enabled:
                raise ConnectionRejectionError() from error
            authorization = None  # auth off: what a client sends besides a token is ignored
        if not self.identification.enabled and authorization is None:
            return _ACK
        try:
            caller = await self.identification.caller(authorization)
        except Unauthenticated as error:
            raise ConnectionRejectionError() from error
        if isinstance(context, dict):
            context["actor"] = caller.actor
            context["expires_at"] = caller.expires_at
        else:
            # Set once, before the connection is acknowledged and any subscription starts:
            # the whole context made again for the actor, since its loaders are scoped by it.
            _adopt(context, self._context_getter(caller.actor))
            context.expires_at = caller.expires_at  # type: ignore[attr-defined]
        return _ACK

    async def execute_operation(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: object,
        root_value: None,
        sub_response: Response,
    ) -> ExecutionResult | list[ExecutionResult] | SubscriptionExecutionResult:
        # Here the body has been read: from now on a hang-up can only mean the caller left.
        result = await bounded(
            request,
            self.request_timeout,
            super().execute_operation(
                request, request_adapter, request_data, context, root_value, sub_response
            ),
        )
        if result is Stopped.HUNG_UP:
            # Nobody will read it; the server drops what is sent on a closed connection.
            return ExecutionResult(data=None, errors=[GraphQLError("The caller hung up.")])
        if result is Stopped.DEADLINE:
            message = "The request was still running past its deadline and was stopped."
            error = GraphQLError(message, extensions={"code": DEADLINE_EXCEEDED})
            return ExecutionResult(data=None, errors=[error])
        return result

    async def render_graphql_ide(self, request: Request) -> Response:
        # Strawberry's own page loads GraphiQL from a CDN: blank without internet access.
        return HTMLResponse(self._graphiql_page)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> object:
        if isinstance(request, WebSocket):
            return self._context_getter(self.identification.unidentified)
        actor: Actor = request.state.actor
        return self._context_getter(actor)

    def encode_json(self, data: object) -> str:
        # Text, not bytes: graphql-transport-ws messages must travel as text frames.
        return orjson.dumps(data).decode()


def _adopt(context: object, fresh: object) -> None:
    """Give ``context`` (the connection's, which Strawberry keeps) every field of ``fresh``
    but what Strawberry put there itself (``connection_params``)."""
    if not dataclasses.is_dataclass(context) or type(context) is not type(fresh):
        context.actor = fresh.actor  # type: ignore[attr-defined]
        return
    for found in dataclasses.fields(context):
        if found.name != "connection_params":
            setattr(context, found.name, getattr(fresh, found.name))


def create_graphql_app(
    schema: strawberry.federation.Schema,
    *,
    name: str,
    context_getter: ContextGetter,
    on_shutdown: Sequence[Callable[[], Awaitable[None]]] = (),
    ready_checks: Mapping[str, ReadyCheck] | None = None,
    example_query: str | None = None,
    request_timeout: float | None = None,
    auth: AuthSettings | None = None,
    metrics: Metrics | None = None,
) -> Starlette:
    """Serve ``schema`` as subgraph ``name``; ``on_shutdown`` runs when the server stops.
    ``/ready`` passes when every one of ``ready_checks`` does (``subgraphs.common.readiness``);
    more can be added to ``app.state.ready_checks`` before it serves.
    GraphiQL opens on ``example_query`` for a first-time visitor. A request's system calls
    end within ``request_timeout`` seconds (or the gateway's time left, if shorter). Callers
    are verified with ``auth`` (off when it is left out or has no ``jwks``), and each
    context made for the actor found. ``GET /metrics`` serves ``metrics`` (the app's own
    when left out; ``app.state.metrics``, to which others add) with every request timed."""
    page = graphiql_html(title=f"{name} subgraph · Crossdock GraphiQL", default_query=example_query)
    identification = Identification(auth or AuthSettings())
    graphql = SubgraphGraphQL(
        schema,
        context_getter,
        graphiql_page=page,
        request_timeout=request_timeout,
        identification=identification,
    )
    on_shutdown = [*on_shutdown, identification.aclose]
    metrics = metrics or Metrics()

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "service": name})

    # Mutable: what runs beside the app (the wms subgraph's consumers) adds its own.
    checks: dict[str, ReadyCheck] = dict(ready_checks or {})

    async def ready(request: Request) -> Response:
        is_ready, results = await readiness(name, checks)
        body = {"status": "ready" if is_ready else "unavailable", "service": name}
        return JSONResponse({**body, "checks": results}, status_code=200 if is_ready else 503)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        for close in on_shutdown:
            try:
                await close()
            except Exception:
                logger.exception("shutdown hook of %s failed", name)

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/health", health, methods=["GET"]),
            Route("/ready", ready, methods=["GET"]),
            metrics_route(metrics),
            graphiql_asset_route(),
        ],
        lifespan=lifespan,
        middleware=[Middleware(HttpServerMetrics, metrics=metrics)],
    )
    app.state.ready_checks = checks
    app.state.metrics = metrics
    tracing = Tracing.from_environment(f"{name}-subgraph")
    if tracing.enabled:
        # First of all: the request span encloses everything else the request does.
        app.user_middleware.insert(0, Middleware(TracingMiddleware, tracing=tracing))
        graphql.carries_event_traces = True
    return app
