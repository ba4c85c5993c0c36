"""The Starlette app of a reference system: health, admin (stats, faults), JSON errors."""

from __future__ import annotations

import http
import inspect
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

import orjson
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from systems.common.errors import ApiError, Unprocessable
from systems.common.middleware import HEALTH_PATH, SystemMiddleware, route_template
from systems.common.params import describe_validation_error
from systems.common.responses import error_response, json_response
from systems.common.stats import RequestStats
from systems.settings import FaultSettings
from telemetry.metrics import HttpServerMetrics, Metrics, metrics_route
from telemetry.tracing import Tracing, TracingMiddleware

__all__ = ["create_rest_app", "json_response"]

logger = logging.getLogger(__name__)


def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status_code, exc.code, exc.message)


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    try:
        code = http.HTTPStatus(exc.status_code).name
    except ValueError:
        code = "HTTP_ERROR"
    if exc.status_code == 404:
        message = f"no such resource: {request.method} {request.url.path}"
    elif exc.status_code == 405:
        message = f"method {request.method} not allowed on {request.url.path}"
    else:
        message = exc.detail
    return error_response(exc.status_code, code, message, exc.headers)


def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ValidationError)
    return error_response(422, "INVALID_PARAMETER", describe_validation_error(exc))


def _internal_error(request: Request, exc: Exception) -> Response:
    # Reached only for errors outside SystemMiddleware, which handles the endpoints' own.
    return error_response(500, "INTERNAL", "internal error")


def _parse_faults(body: bytes) -> FaultSettings:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise Unprocessable("fault settings must be a JSON object") from None
    if not isinstance(data, dict):
        raise Unprocessable("fault settings must be a JSON object")
    unknown = sorted(set(data) - set(FaultSettings.model_fields))
    if unknown:
        raise Unprocessable(f"unknown fault settings: {', '.join(unknown)}")
    try:
        return FaultSettings.model_validate(data)
    except ValidationError as exc:
        raise Unprocessable(f"invalid fault settings: {describe_validation_error(exc)}") from None


def _admin_routes(name: str) -> list[BaseRoute]:
    async def health(request: Request) -> Response:
        return json_response({"status": "ok", "system": name})

    async def get_stats(request: Request) -> Response:
        stats: RequestStats = request.app.state.stats
        return json_response(stats.snapshot())

    async def reset_stats(request: Request) -> Response:
        stats: RequestStats = request.app.state.stats
        stats.reset()
        return json_response(stats.snapshot())

    async def get_faults(request: Request) -> Response:
        faults: FaultSettings = request.app.state.faults
        return json_response(faults.model_dump(mode="json"))

    async def put_faults(request: Request) -> Response:
        faults = _parse_faults(await request.body())
        request.app.state.faults = faults
        logger.info("faults of %s set to %s", name, faults.model_dump(mode="json"))
        return json_response(faults.model_dump(mode="json"))

    return [
        Route("/health", health, methods=["GET"]),
        Route("/_admin/stats", get_stats, methods=["GET"]),
        Route("/_admin/stats/reset", reset_stats, methods=["POST"]),
        Route("/_admin/faults", get_faults, methods=["GET"]),
        Route("/_admin/faults", put_faults, methods=["PUT"]),
    ]


def create_rest_app(
    name: str,
    routes: Sequence[BaseRoute],
    faults: FaultSettings,
    *,
    on_shutdown: Sequence[Callable[[], object]] = (),
) -> Starlette:
    """A reference system's app: ``routes`` plus ``/health``, ``/metrics`` (every request
    timed by route; ``app.state.metrics``) and the ``/_admin`` endpoints.

    Every request except health and admin is counted in ``app.state.stats`` by its route
    template and passes the faults in ``app.state.faults`` (replaceable at runtime, also over
    ``PUT /_admin/faults``). Every answer, errors included, is JSON. ``on_shutdown`` callbacks
    (plain or async) run when the server stops, e.g. ``database.close``.
    """

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            for callback in on_shutdown:
                try:
                    result = callback()
                    if inspect.isawaitable(result):
                        await result
                except Exception:
                    logger.exception("shutdown callback of %s failed", name)

    metrics = Metrics()
    all_routes = [*_admin_routes(name), metrics_route(metrics), *routes]
    stats = RequestStats()
    app = Starlette(
        routes=all_routes,
        exception_handlers={
            ApiError: _api_error,
            HTTPException: _http_error,
            ValidationError: _validation_error,
            Exception: _internal_error,
        },
        lifespan=lifespan,
    )
    # A redirect has no JSON body; a trailing slash is simply an unknown route.
    app.router.redirect_slashes = False
    app.state.name = name
    app.state.stats = stats
    app.state.faults = faults
    app.state.metrics = metrics

    def current_faults() -> FaultSettings:
        current: FaultSettings = app.state.faults
        return current

    # Timing outside the faults, so that what they inject (latency, errors) is measured.
    app.user_middleware += [
        Middleware(HttpServerMetrics, metrics=metrics),
        Middleware(SystemMiddleware, routes=all_routes, stats=stats, faults=current_faults),
    ]
    tracing = Tracing.from_environment(f"{name}-system")
    if tracing.enabled:
        # Outside the faults: a request a fault turns away (429, 500) is in the trace too.
        app.user_middleware.insert(
            0,
            Middleware(
                TracingMiddleware,
                tracing=tracing,
                route=lambda scope: route_template(all_routes, scope),
                untraced=(HEALTH_PATH,),
            ),
        )
    return app
