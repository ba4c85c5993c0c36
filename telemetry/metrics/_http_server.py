"""``http.server.request.duration`` of every request by method, route and status, as ASGI
middleware, and ``GET /metrics``."""

from __future__ import annotations

import asyncio
import time

from prometheus_client import Histogram
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from telemetry.metrics._registry import CONTENT_TYPE, Metrics

__all__ = ["HTTP_SERVER_DURATION", "HttpServerMetrics", "metrics_route"]

HTTP_SERVER_DURATION = "http_server_request_duration_seconds"

# OpenTelemetry's http.request.method: the known methods, every other one as _OTHER.
_METHODS = frozenset(
    ("CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE", "QUERY")
)


class HttpServerMetrics:
    """Times every HTTP request of the app it wraps (WebSockets pass untimed).

    The route is the matched route's template (``/salesOrders/{id}``), which Starlette's
    router leaves in the scope; a request no route matched has none (an empty label).
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self._duration = metrics.histogram(
            HTTP_SERVER_DURATION,
            "duration of HTTP server requests",
            ("http_request_method", "http_route", "http_response_status_code"),
        )
        # The labelled child of each (method, route, status): found once, not per request.
        self._children: dict[tuple[str, str, int], Histogram] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server answers when the app fails before it responds

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except asyncio.CancelledError:
            status = 499  # the client left
            raise
        finally:
            self._observe(scope, status, time.perf_counter() - started)

    def _observe(self, scope: Scope, status: int, seconds: float) -> None:
        method = scope["method"]
        if method not in _METHODS:
            method = "_OTHER"
        route = getattr(scope.get("route"), "path", "")
        key = (method, route, status)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self._duration.labels(method, route, str(status))
        child.observe(seconds)


def metrics_route(metrics: Metrics, path: str = "/metrics") -> Route:
    """``GET /metrics``: ``metrics`` in Prometheus' text format."""

    async def serve(request: Request) -> Response:
        return Response(await metrics.exposition(), media_type=CONTENT_TYPE)

    return Route(path, serve, methods=["GET"])
