"""The orders subgraph's app: one orchestration service (clients, journal, idempotency), and
``/metrics`` with every workflow step's count and time and every system call's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette

from resolvers.service import OrdersService
from resolvers.steplog import prometheus_text
from subgraphs.common.app import create_graphql_app
from subgraphs.common.readiness import cache_check
from subgraphs.orders.schema import EXAMPLE_QUERY, OrdersContext, schema
from subgraphs.settings import SubgraphSettings
from telemetry.metrics import ClientCalls, Metrics, text_families

__all__ = ["create_app"]


def create_app(settings: SubgraphSettings, *, service: OrdersService | None = None) -> Starlette:
    """Serve the orders subgraph: its workflows as ``settings.workflows`` configure them (or
    ``service``)."""
    metrics = Metrics()
    orders = service or OrdersService.from_settings(settings.workflows, calls=ClientCalls(metrics))
    metrics.collect(lambda: text_families(prometheus_text()))

    async def recovered() -> bool:
        await orders.recovered()
        return True

    app = create_graphql_app(
        schema,
        name="orders",
        context_getter=lambda actor: OrdersContext(actor=actor, service=orders),
        on_shutdown=[orders.aclose],
        ready_checks={
            "journal": recovered,
            **orders.systems.health_checks(),
            **cache_check(settings.cache, orders.cache),
        },
        example_query=EXAMPLE_QUERY,
        request_timeout=settings.request_timeout_seconds,
        auth=settings.auth,
        metrics=metrics,
    )
    serving = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Workflows a failure left unfinished (a key claimed, an order to settle) are taken
        # up every few seconds, not only at the next start.
        sweeper = orders.start_sweeping()
        try:
            async with serving(app):
                yield
        finally:
            sweeper.cancel()

    app.router.lifespan_context = lifespan
    return app
