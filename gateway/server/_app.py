"""The gateway's HTTP face: GraphQL over HTTP, GraphiQL, ``/health``, ``/ready``, ``/metrics``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from gateway.engine import Gateway, GatewayStats, RequestOutcome
from gateway.executor import SubgraphTransport
from gateway.server._graphiql import ASSET_PREFIX, GRAPHIQL_HTML, graphiql_asset
from gateway.server._reload import SupergraphWatcher, load_supergraph
from gateway.server._settings import GatewaySettings
from gateway.wire import GraphQLRequest, GraphQLResponse

__all__ = ["create_app", "create_gateway_app"]

log = logging.getLogger("gateway.server")

_GRAPHQL_RESPONSE = "application/graphql-response+json"


class _TooLarge(Exception):
    pass


def _error_body(message: str, code: str) -> GraphQLResponse:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


def _wants_graphql_response(request: Request) -> bool:
    return _GRAPHQL_RESPONSE in request.headers.get("accept", "")


def _respond(request: Request, outcome: RequestOutcome) -> Response:
    """Status codes per GraphQL-over-HTTP: ``application/json`` keeps 200 for invalid
    operations; ``application/graphql-response+json`` answers them 400."""
    modern = _wants_graphql_response(request)
    status = 200
    if outcome.status == "bad_request" or (outcome.status == "invalid" and modern):
        status = 400
    elif outcome.status == "not_allowed":
        status = 405
    headers = {"allow": "POST"} if status == 405 else None
    return Response(
        orjson.dumps(outcome.response),
        status_code=status,
        media_type=_GRAPHQL_RESPONSE if modern else "application/json",
        headers=headers,
    )


_METRICS = {
    "requests": "GraphQL requests the engine ran or refused",
    "parses": "query texts parsed (a known text is not parsed again)",
    "validations": "parsed documents validated against the API schema",
    "document_cache_hits": "requests whose query text was already parsed and validated",
    "plans_built": "query plans built (a known operation is not planned again)",
    "plan_cache_hits": "requests whose plan came from the plan cache",
}


def prometheus_text(stats: GatewayStats) -> bytes:
    """``stats`` as Prometheus counters named ``crossdock_gateway_<field>_total``."""
    lines = []
    for field, help_text in _METRICS.items():
        name = f"crossdock_gateway_{field}_total"
        lines += [
            f"# HELP {name} {help_text}",
            f"# TYPE {name} counter",
            f"{name} {getattr(stats, field)}",
        ]
    return ("\n".join(lines) + "\n").encode()


def _plain(status: int, message: str, code: str) -> Response:
    return Response(
        orjson.dumps(_error_body(message, code)), status_code=status, media_type="application/json"
    )


async def _read_body(request: Request, limit: int | None) -> bytes:
    declared = request.headers.get("content-length")
    if limit is not None and declared and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if limit is not None and size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


async def _method_not_allowed(request: Request, exc: Exception) -> Response:
    """A 405 in the same JSON shape as every other error, with the ``Allow`` header."""
    headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
    allow = headers.get("Allow", "")
    return Response(
        orjson.dumps(
            _error_body(f"Method not allowed; use {allow or 'another method'}.", "BAD_REQUEST")
        ),
        status_code=405,
        media_type="application/json",
        headers={"allow": allow} if allow else None,
    )


def _get_request(request: Request) -> GraphQLRequest | None:
    params = request.query_params
    body: dict[str, Any] = {"query": params.get("query")}
    if "operationName" in params:
        body["operationName"] = params["operationName"] or None
    if params.get("variables"):
        try:
            body["variables"] = orjson.loads(params["variables"])
        except orjson.JSONDecodeError:
            return None
    return body  # type: ignore[return-value]


class _Handlers:
    def __init__(self, gateway: Gateway, settings: GatewaySettings) -> None:
        self.gateway = gateway
        self.settings = settings

    async def run(self, request: Request, body: GraphQLRequest, allow_mutations: bool) -> Response:
        try:
            outcome = await self.gateway.execute(body, allow_mutations=allow_mutations)
        except Exception:
            log.exception("request failed inside the gateway")
            outcome = RequestOutcome(
                {"data": None, **_error_body("Internal server error.", "INTERNAL")}
            )
        return _respond(request, outcome)

    async def post(self, request: Request) -> Response:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return _plain(415, "Content-Type must be application/json.", "BAD_REQUEST")
        try:
            raw = await _read_body(request, self.settings.max_body_bytes)
        except _TooLarge:
            return _plain(413, "Request body is too large.", "BAD_REQUEST")
        except ClientDisconnect:
            # The client went away mid-body: nobody will read an answer, and it is not ours
            # to report as a failure.
            log.debug("client disconnected before sending the whole body")
            return Response(status_code=400)
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return _plain(400, "Request body is not valid JSON.", "BAD_REQUEST")
        if not isinstance(body, dict):
            return _plain(400, "Request body must be a JSON object.", "BAD_REQUEST")
        return await self.run(request, body, allow_mutations=True)  # type: ignore[arg-type]

    async def graphql(self, request: Request) -> Response:
        if request.method == "POST":
            return await self.post(request)
        return await self.get(request)

    async def get(self, request: Request) -> Response:
        accept = request.headers.get("accept", "")
        if "query" not in request.query_params:
            if self.settings.graphiql and "text/html" in accept:
                return HTMLResponse(GRAPHIQL_HTML)
            return _plain(400, "Must provide query string.", "BAD_REQUEST")
        body = _get_request(request)
        if body is None:
            return _plain(400, "Variables are not valid JSON.", "BAD_REQUEST")
        return await self.run(request, body, allow_mutations=False)

    async def health(self, request: Request) -> Response:
        return Response(orjson.dumps({"status": "ok"}), media_type="application/json")

    async def metrics(self, request: Request) -> Response:
        """The engine's counters in Prometheus' text format."""
        return Response(prometheus_text(self.gateway.stats), media_type="text/plain; version=0.0.4")

    async def ready(self, request: Request) -> Response:
        supergraph = self.gateway.supergraph
        probe: GraphQLRequest = {"query": "{__typename}"}
        timeout = self.settings.ready_timeout

        async def check(name: str) -> tuple[str, bool]:
            try:
                await asyncio.wait_for(
                    self.gateway.transport.send(name, supergraph.url(name), probe), timeout
                )
            except Exception:
                return name, False
            return name, True

        results = dict(await asyncio.gather(*(check(n) for n in supergraph.subgraphs)))
        ready = all(results.values())
        body = {"status": "ready" if ready else "unavailable", "subgraphs": results}
        return Response(
            orjson.dumps(body), status_code=200 if ready else 503, media_type="application/json"
        )


def create_app(
    gateway: Gateway,
    settings: GatewaySettings | None = None,
    *,
    watcher: SupergraphWatcher | None = None,
) -> Starlette:
    """A Starlette app serving ``gateway``; closes its subgraph clients on shutdown."""
    handlers = _Handlers(gateway, settings or GatewaySettings())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if watcher is not None:
            watcher.start()
        try:
            yield
        finally:
            if watcher is not None:
                await watcher.stop()
            await gateway.aclose()

    app = Starlette(
        routes=[
            Route("/graphql", handlers.graphql, methods=["GET", "POST"]),
            Route("/health", handlers.health, methods=["GET"]),
            Route("/ready", handlers.ready, methods=["GET"]),
            Route("/metrics", handlers.metrics, methods=["GET"]),
            Route(f"{ASSET_PREFIX}/{{name}}", graphiql_asset, methods=["GET"]),
        ],
        lifespan=lifespan,
        exception_handlers={405: _method_not_allowed},
    )
    app.state.gateway = gateway
    app.state.watcher = watcher
    return app


def create_gateway_app(
    supergraph_path: Path,
    settings: GatewaySettings | None = None,
) -> Starlette:
    """The gateway app for ``crossdock gateway --supergraph PATH``: serves the file and
    reloads it when it changes. Raises ``SupergraphError``/``OSError`` if it cannot be read."""
    settings = settings or GatewaySettings()
    gateway = Gateway(
        load_supergraph(supergraph_path, override_labels=settings.override_labels),
        limits=settings.limits(),
        transport=SubgraphTransport(settings.transport()),
        plan_cache_size=settings.plan_cache_size,
        document_cache_size=settings.document_cache_size,
        plan_cache_bytes=settings.plan_cache_bytes,
        document_cache_bytes=settings.document_cache_bytes,
        max_cached_query_bytes=settings.max_cached_query_bytes,
    )
    watcher = SupergraphWatcher(
        gateway,
        supergraph_path,
        settings.reload_interval,
        override_labels=settings.override_labels,
    )
    return create_app(gateway, settings, watcher=watcher)
