"""The gateway's face: GraphQL over HTTP, server-sent events and WebSocket on ``/graphql``,
GraphiQL, ``/health``, ``/ready``, ``/metrics``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from urllib.parse import urljoin

import httpx
import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute

from gateway.authorization import Authorizer, check_startup
from gateway.demand import DemandControl
from gateway.documents import DocumentResolver
from gateway.engine import Gateway, RequestOutcome
from gateway.executor import SubgraphTransport
from gateway.server._auth import Authenticator
from gateway.server._browsers import Browsers
from gateway.server._gauges import StreamGauges
from gateway.server._graphiql import graphiql_asset_route, graphiql_html
from gateway.server._hangup import unless_hung_up
from gateway.server._http import error_body, read_get, read_post, respond
from gateway.server._metrics import GatewayMetrics, requested_name
from gateway.server._multipart import respond_multipart, wants_multipart
from gateway.server._query_plan import requested_plan, with_plan_outcome
from gateway.server._rate_limit import RateLimiter
from gateway.server._reload import SupergraphWatcher, load_supergraph
from gateway.server._requests import ResponseEncoder
from gateway.server._settings import GatewaySettings
from gateway.server._sse import EventStreams, wants_event_stream
from gateway.server._ws import GraphQLWebSocket
from gateway.wire import GraphQLRequest
from telemetry.metrics import HttpServerMetrics, Metrics, metrics_route
from telemetry.tracing import Tracing, TracingMiddleware

__all__ = ["create_app", "create_gateway_app"]

log = logging.getLogger("gateway.server")

SERVICE_NAME = "gateway"
"""The gateway's ``service.name`` in its traces."""


async def _method_not_allowed(request: Request, exc: Exception) -> Response:
    """A 405 in the same JSON shape as every other error, with the ``Allow`` header."""
    headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
    allow = headers.get("Allow", "")
    return Response(
        orjson.dumps(
            error_body(f"Method not allowed; use {allow or 'another method'}.", "BAD_REQUEST")
        ),
        status_code=405,
        media_type="application/json",
        headers={"allow": allow} if allow else None,
    )


def _tracing_middleware() -> list[Middleware]:
    """The request spans, first of all middleware, when the ``OTEL_*`` variables turn tracing
    on (docs/tracing.md); nothing at all otherwise."""
    tracing = Tracing.from_environment(SERVICE_NAME)
    if not tracing.enabled:
        return []
    # The edge: the gateway decides whether a request is traced, not its client.
    # Its WebSockets get the tracer (no span): each subscription's start and events make
    # spans of their own.
    return [Middleware(TracingMiddleware, tracing=tracing, edge=True, websockets=True)]


def _not_cached(response: Response) -> Response:
    """A persisted-query refusal must not be cached on the way (a CDN before GET): the text
    it lacks is registered a moment later, as Apollo Router marks it."""
    response.headers["cache-control"] = "private, no-cache, must-revalidate"
    return response


class _Handlers:
    def __init__(
        self,
        gateway: Gateway,
        settings: GatewaySettings,
        gauges: StreamGauges,
        documents: DocumentResolver,
        browsers: Browsers,
        rate_limiter: RateLimiter,
        authenticator: Authenticator,
        metrics: GatewayMetrics,
    ) -> None:
        self.gateway = gateway
        self.metrics = metrics
        self.authenticator = authenticator
        self.settings = settings
        self.gauges = gauges
        self.documents = documents
        self.browsers = browsers
        self.rate_limiter = rate_limiter
        self.encode = ResponseEncoder(settings.requests.max_response_bytes)
        self.event_streams = EventStreams(
            gateway, settings.sse_keepalive_interval, gauges, self.encode, metrics
        )
        self.graphiql_page = graphiql_html(
            default_query=settings.graphiql_default_query,
            query_plans=settings.expose_query_plans,
        )
        self._probe_client: httpx.AsyncClient | None = None

    async def run(self, request: Request, body: GraphQLRequest, allow_mutations: bool) -> Response:
        """Answer a GraphQL request of POST, GET or an event stream; whatever fails inside is
        ``INTERNAL`` (logged), never a bare 500."""
        try:
            return await self._run(request, body, allow_mutations)
        except Exception:
            log.exception("request failed inside the gateway")
            internal = RequestOutcome(
                {"data": None, **error_body("Internal server error.", "INTERNAL")}
            )
            return respond(request, internal, self.encode)

    async def _run(self, request: Request, body: GraphQLRequest, allow_mutations: bool) -> Response:
        # Before anything runs (and before rate limits, which then key on the token's subject).
        identity = await self.authenticator.http(request)
        if isinstance(identity, Response):
            return identity
        limited = await self.rate_limiter.check_http(request, body)
        if limited is not None:
            return limited
        # The text of a persisted query or trusted document, for POST, GET and SSE alike.
        sent = body
        resolved = await self.documents.resolve(body)
        if isinstance(resolved, RequestOutcome):
            return _not_cached(
                self.event_streams.refuse(request, resolved)
                if wants_event_stream(request)
                else respond(request, resolved)
            )
        body = resolved
        # Event streams ignore Apollo-Expose-Query-Plan (gateway/server/_query_plan.py).
        plan = (
            None
            if wants_event_stream(request)
            else requested_plan(request, self.settings.expose_query_plans)
        )
        if plan == "dry-run":
            dry_run = await self.gateway.execute(
                body, allow_mutations=allow_mutations, identity=identity, dry_run=True
            )
            return respond(request, with_plan_outcome(dry_run), self.encode)
        if wants_multipart(request) and not wants_event_stream(request):
            return await respond_multipart(
                request,
                self.gateway,
                body,
                allow_mutations=allow_mutations,
                identity=identity,
                encode=self.encode,
                expose_plan=plan == "include",
                metrics=self.metrics,
                request_name=requested_name(sent),
            )
        if wants_event_stream(request):
            return await self.event_streams.respond(
                request,
                body,
                allow_mutations=allow_mutations,
                identity=identity,
                expires_at=self.authenticator.accepted_until(identity),
                request_name=requested_name(sent),
            )
        # A client that hangs up meanwhile cancels the request (its subgraph fetches too).
        started = time.perf_counter()
        outcome = await unless_hung_up(
            request.receive,
            self.gateway.execute(body, allow_mutations=allow_mutations, identity=identity),
        )
        if outcome is None:
            return Response(status_code=499)  # nginx's "client closed request"; nobody reads it
        self.metrics.operation(requested_name(sent), outcome, time.perf_counter() - started)
        return respond(request, with_plan_outcome(outcome) if plan else outcome, self.encode)

    async def post(self, request: Request) -> Response:
        refused = self.browsers.admit(request)
        if refused is not None:
            return refused
        body = await read_post(request, self.settings.max_body_bytes)
        if isinstance(body, Response):
            return body
        return await self.run(request, body, allow_mutations=True)

    async def graphql(self, request: Request) -> Response:
        if request.method == "POST":
            return await self.post(request)
        return await self.get(request)

    async def get(self, request: Request) -> Response:
        accept = request.headers.get("accept", "")
        if "query" not in request.query_params and self.settings.graphiql and "text/html" in accept:
            return HTMLResponse(self.graphiql_page)
        refused = self.browsers.admit(request)
        if refused is not None:
            return refused
        body = read_get(request)
        if isinstance(body, Response):
            return body
        return await self.run(request, body, allow_mutations=False)

    async def health(self, request: Request) -> Response:
        return Response(orjson.dumps({"status": "ok"}), media_type="application/json")

    async def ready(self, request: Request) -> Response:
        """Whether every subgraph answers: a ``{__typename}`` query, or, with
        ``subgraph_ready_path``, the subgraph's own readiness at that path (which knows what
        it depends on: its system, its Redis)."""
        supergraph = self.gateway.supergraph
        probe: GraphQLRequest = {"query": "{__typename}"}
        timeout = self.settings.ready_timeout
        path = self.settings.subgraph_ready_path

        async def check(name: str) -> tuple[str, bool]:
            url = supergraph.url(name)
            try:
                if path is None:
                    await asyncio.wait_for(self.gateway.transport.send(name, url, probe), timeout)
                    return name, True
                answer = await self._probes().get(urljoin(url, path), timeout=timeout)
            except Exception:
                return name, False
            return name, answer.status_code == 200

        results = dict(await asyncio.gather(*(check(n) for n in supergraph.subgraphs)))
        ready = all(results.values())
        body = {"status": "ready" if ready else "unavailable", "subgraphs": results}
        return Response(
            orjson.dumps(body), status_code=200 if ready else 503, media_type="application/json"
        )

    def _probes(self) -> httpx.AsyncClient:
        if self._probe_client is None:
            self._probe_client = httpx.AsyncClient()
        return self._probe_client

    async def aclose(self) -> None:
        client, self._probe_client = self._probe_client, None
        if client is not None:
            await client.aclose()


def create_app(
    gateway: Gateway,
    settings: GatewaySettings | None = None,
    *,
    watcher: SupergraphWatcher | None = None,
    routes: Sequence[BaseRoute] = (),
) -> Starlette:
    """A Starlette app serving ``gateway``; closes its subgraph clients on shutdown.

    ``routes`` are served beside the gateway's own (which win on the same path): pages of the
    application that serves this gateway, e.g. crossdock's operations page on ``/ops``. They
    see no more of the gateway than any client: they talk to ``/graphql`` from the browser.

    ``settings`` configure the server around the engine (transports, browsers, rate limits,
    persisted queries); the engine's own options (limits, demand control, the deadline) are
    those ``gateway`` was built with (``create_gateway_app`` builds both from one settings
    record). Raises ``PersistedQueriesError`` (one line) when the trusted-documents manifest
    or the Redis URL of persisted queries cannot be used, and ``ValueError`` when ``settings``
    are production's and ``gateway`` was not built for it, and ``JwksError`` (one line) when
    ``settings.auth.jwks`` is a file that does not exist or is not a JWKS."""
    settings = settings or GatewaySettings()
    if settings.production and (gateway.introspection or not gateway.redact_errors):
        raise ValueError(
            "a production app needs its Gateway built for production "
            "(introspection=False, redact_errors=True)"
        )
    # One registry per app (docs/metrics.md): several apps in one process stay apart.
    metrics = Metrics()
    gauges = StreamGauges(metrics)
    documents = DocumentResolver.from_settings(
        gateway,
        settings.persisted_queries,
        redis_url=settings.redis_url,
        redis_prefix=settings.redis_prefix,
    )
    # Built once per app and shared by every transport: one bucket per client, whichever
    # way its requests come.
    browsers = Browsers(settings.browsers)
    rate_limiter = RateLimiter(
        settings.rate_limits, redis_url=settings.redis_url, redis_prefix=settings.redis_prefix
    )
    # One verifier per app, shared by every transport: one key cache, one JWKS fetch at a time.
    authenticator = Authenticator(settings.auth)
    recorder = GatewayMetrics(
        metrics,
        histograms=settings.metrics_histograms,
        operation_names=settings.metrics_operation_names,
    )
    recorder.serve(gateway.stats, gateway.transport, gateway.demand.metrics, documents.stats)
    recorder.serve_subscriptions(gateway)
    recorder.serve_executions(gateway)
    handlers = _Handlers(
        gateway, settings, gauges, documents, browsers, rate_limiter, authenticator, recorder
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if watcher is not None:
            watcher.start()
        await authenticator.start()
        try:
            yield
        finally:
            if watcher is not None:
                await watcher.stop()
            await authenticator.aclose()
            await documents.aclose()
            await rate_limiter.aclose()
            await handlers.aclose()
            await gateway.aclose()

    app = Starlette(
        routes=[
            Route("/graphql", handlers.graphql, methods=["GET", "POST"]),
            WebSocketRoute(
                "/graphql",
                GraphQLWebSocket(
                    gateway,
                    settings,
                    gauges,
                    documents,
                    browsers=browsers,
                    metrics=recorder,
                    rate_limiter=rate_limiter,
                    authenticator=authenticator,
                ),
            ),
            Route("/health", handlers.health, methods=["GET"]),
            Route("/ready", handlers.ready, methods=["GET"]),
            metrics_route(metrics),
            graphiql_asset_route(),
            *routes,
        ],
        lifespan=lifespan,
        exception_handlers={405: _method_not_allowed},
        middleware=[
            *_tracing_middleware(),
            *([Middleware(HttpServerMetrics, metrics=metrics)] if recorder.histograms else []),
            browsers.middleware(),
        ],
    )
    app.state.metrics = metrics
    app.state.gateway = gateway
    app.state.watcher = watcher
    app.state.gauges = gauges
    # Called by the server when shutdown begins, before it waits for open requests: open
    # event streams would otherwise never end (see crossdock.runner).
    app.state.begin_shutdown = handlers.event_streams.shut_down
    return app


def create_gateway_app(
    supergraph_path: Path,
    settings: GatewaySettings | None = None,
    *,
    routes: Sequence[BaseRoute] = (),
) -> Starlette:
    """The gateway app for ``crossdock gateway --supergraph PATH``: serves the file and
    reloads it when it changes, and ``routes`` beside it (see :func:`create_app`). Raises
    ``SupergraphError``/``OSError`` if it cannot be read,
    ``AuthorizationSetupError`` (one line) when its auth directives cannot be enforced as
    configured (auth off in production, a policy hook that does not load)."""
    settings = settings or GatewaySettings()
    supergraph = load_supergraph(supergraph_path, override_labels=settings.override_labels)
    check_startup(supergraph, settings.auth, production=settings.production)
    gateway = Gateway(
        supergraph,
        request_timeout=settings.requests.timeout,
        limits=settings.limits(),
        transport=SubgraphTransport(settings.transport()),
        plan_cache_size=settings.plan_cache_size,
        document_cache_size=settings.document_cache_size,
        plan_cache_bytes=settings.plan_cache_bytes,
        document_cache_bytes=settings.document_cache_bytes,
        max_cached_query_bytes=settings.max_cached_query_bytes,
        introspection=not settings.production,
        redact_errors=settings.production,
        demand=DemandControl(settings.demand),
        authorization=Authorizer.from_settings(settings.auth),
        share_queries=settings.share_queries,
        max_executions_in_flight=settings.max_executions_in_flight,
        max_executions_queued=settings.max_executions_queued,
    )
    watcher = SupergraphWatcher(
        gateway,
        supergraph_path,
        settings.reload_interval,
        override_labels=settings.override_labels,
        accept=lambda new: check_startup(new, settings.auth, production=settings.production),
    )
    return create_app(gateway, settings, watcher=watcher, routes=routes)
