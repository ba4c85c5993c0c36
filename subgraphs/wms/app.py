"""The WMS subgraph's app: one WMS client and one center directory per app, loaders per request,
the intake of the WMS's milestone webhooks, and the live feed of milestones its subscriptions
read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette

from cache.factory import create_cache_for
from connectors.erp.client import ErpClient
from connectors.settings import system_client
from connectors.wms.client import WmsClient
from events.base import EventBus
from events.factory import create_event_bus_for
from monitoring import InventoryTruth, Monitor
from monitoring.inventory import from_systems
from monitoring.latency import StatusLatency
from monitoring.prometheus import BusinessCollector, business_measures
from schema.actor import Actor
from subgraphs.common.app import create_graphql_app
from subgraphs.common.readiness import cache_check
from subgraphs.settings import SubgraphSettings
from subgraphs.wms.directory import CenterDirectory
from subgraphs.wms.feed import MilestoneFeed
from subgraphs.wms.intake import mount_webhook_intake
from subgraphs.wms.loaders import WmsContext, WmsLoaders
from subgraphs.wms.operations import mount_operations
from subgraphs.wms.schema import EXAMPLE_QUERY, schema
from telemetry.metrics import ClientCalls, Metrics

__all__ = ["create_app"]


def create_app(
    settings: SubgraphSettings, *, bus: EventBus | None = None, feed: MilestoneFeed | None = None
) -> Starlette:
    """Serve the WMS subgraph over the WMS ``settings.connectors`` name. Its webhook
    intake publishes to ``bus`` (the caller's, left open) or to a bus of its own (closed with
    the app), and its subscriptions read that same bus through ``feed`` (by default one
    ``MilestoneFeed`` with its defaults), which runs for as long as the app does; it is
    ``app.state.milestone_feed``."""
    metrics = Metrics()
    calls = ClientCalls(metrics)
    system = system_client("wms", settings.connectors, calls=calls)
    client = WmsClient(system)
    cache = create_cache_for(settings.cache)
    centers = CenterDirectory(client, cache, ttl_seconds=settings.reference_ttl_seconds)
    own_bus = bus is None
    target = create_event_bus_for(settings.bus) if bus is None else bus
    config = settings.monitoring
    monitor = None
    if config is not None:
        # Inventory truth: the ERP's books against this subgraph's WMS, cached briefly.
        books = system_client("erp", settings.connectors)
        inventory = InventoryTruth(
            from_systems(ErpClient(books), client),
            ttl_seconds=config.policy.inventory_cache_seconds,
            close=books.aclose,
        )
        monitor = Monitor.from_config(config, inventory=inventory)
        metrics.collect_async(business_measures(BusinessCollector(monitor)))
    latency = None if monitor is None else StatusLatency(monitor)
    if feed is None:
        milestones = MilestoneFeed(target, delivered=None if latency is None else latency.delivered)
    else:
        milestones = feed

    # The WMS does not know whose an order is; with auth on, the ERP tells a customer's
    # request which of the orders its records belong to are its account's.
    erp_system = (
        system_client("erp", settings.connectors, calls=calls) if settings.auth.enabled else None
    )
    erp = None if erp_system is None else ErpClient(erp_system)

    def context(actor: Actor) -> WmsContext:
        return WmsContext(
            actor=actor,
            client=client,
            centers=centers,
            loaders=WmsLoaders.create(client, centers, actor, erp),
            feed=milestones,
            monitor=monitor,
        )

    app = create_graphql_app(
        schema,
        name="wms",
        context_getter=context,
        on_shutdown=[
            system.aclose,
            cache.aclose,
            *([] if erp_system is None else [erp_system.aclose]),
            *([] if latency is None else [latency.aclose]),
        ],
        ready_checks={"wms": client.ping, **cache_check(settings.cache, cache)},
        example_query=EXAMPLE_QUERY,
        request_timeout=settings.request_timeout_seconds,
        auth=settings.auth,
        metrics=metrics,
    )
    # The WMS's milestone webhooks come in here and go onto the event bus.
    mount_webhook_intake(app, settings, cache, bus=target, calls=calls)
    mount_operations(app, target, settings.bus)
    app.state.milestone_feed = milestones
    app.state.monitor = monitor
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            async with inner(app):
                if monitor is not None:
                    # The thresholds may have changed since the open orders were indexed.
                    await monitor.store.reindex()
                await milestones.start()
                try:
                    yield
                finally:
                    await milestones.aclose()
        finally:
            if own_bus:
                await target.aclose()

    app.router.lifespan_context = lifespan
    return app
