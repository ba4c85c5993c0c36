"""The ASGI middleware in front of every reference system: counts, faults, last-resort 500."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from systems.common.faults import FaultInjector
from systems.common.responses import error_response
from systems.common.stats import RequestStats
from systems.settings import FaultSettings

__all__ = [
    "ADMIN_PREFIX",
    "HEALTH_PATH",
    "METRICS_PATH",
    "SystemMiddleware",
    "is_exempt",
    "route_template",
]

ADMIN_PREFIX = "/_admin/"
HEALTH_PATH = "/health"
METRICS_PATH = "/metrics"

logger = logging.getLogger(__name__)


def is_exempt(path: str) -> bool:
    """Admin, health and metrics requests are neither counted nor subject to faults."""
    return path in (HEALTH_PATH, METRICS_PATH) or path.startswith(ADMIN_PREFIX)


def route_template(routes: Sequence[BaseRoute], scope: Scope) -> str:
    """The path template of the route that will answer (``/accounts/{id}``). The route is
    left in the scope, as the router leaves it, so that a request answered before the router
    (a fault) is timed by its route too (``telemetry.metrics``)."""
    partial: str | None = None
    for route in routes:
        match, _ = route.matches(scope)
        path = getattr(route, "path", None)
        if match is Match.FULL and isinstance(path, str):
            scope["route"] = route
            return path
        if match is Match.PARTIAL and partial is None and isinstance(path, str):
            partial = path
    return partial if partial is not None else str(scope["path"])


class SystemMiddleware:
    """Counts each request by route (``"GET /accounts/{id}"``), applies the injected faults
    (to that route only, when they name routes), and turns an unhandled exception into a JSON
    500 with no traceback (the traceback goes to the log)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        routes: Sequence[BaseRoute],
        stats: RequestStats,
        faults: Callable[[], FaultSettings],
    ) -> None:
        self.app = app
        self._routes = routes
        self._stats = stats
        self._injector = FaultInjector(faults, clock=time.monotonic)

    def _template(self, scope: Scope) -> str:
        return route_template(self._routes, scope)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not is_exempt(scope["path"]):
            method, template = scope["method"], self._template(scope)
            self._stats.record(method, template)
            decision = self._injector.decide(f"{method} {template}")
            if decision.retry_after is not None:
                response = error_response(
                    429,
                    "RATE_LIMITED",
                    "rate limit exceeded; retry later",
                    headers={"Retry-After": str(decision.retry_after)},
                )
                await response(scope, receive, send)
                return
            if decision.delay_seconds > 0:
                # The body is read before the wait, as a slow backend has it in hand while it
                # works: a caller that gives up meanwhile does not undo the request, which is
                # then carried out (a write lands after the caller's timeout).
                receive = await _buffered(receive)
                # This sleep is the simulated latency of a slow backend.
                await asyncio.sleep(decision.delay_seconds)
            if decision.fail:
                response = error_response(503, "UNAVAILABLE", "service temporarily unavailable")
                await response(scope, receive, send)
                return

        started = False

        async def send_tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        except Exception:
            logger.exception(
                "unhandled error answering %s %s",
                scope["method"],
                scope["path"],
                extra={"method": scope["method"], "path": scope["path"]},
            )
            if started:
                raise
            await error_response(500, "INTERNAL", "internal error")(scope, receive, send)


async def _buffered(receive: Receive) -> Receive:
    """Read the whole request body now; a ``receive`` that hands it out again, then waits on
    the connection as the original does."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    pending = iter(messages)

    async def replay() -> Message:
        return next(pending, None) or await receive()

    return replay
