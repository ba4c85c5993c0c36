"""The WMS subgraph's app: one WMS client and one center directory per app, loaders per request,
and the intake of the WMS's milestone webhooks."""

from __future__ import annotations

from starlette.applications import Starlette

from cache.factory import create_cache
from crossdock.settings import Settings
from events.base import EventBus
from subgraphs.common.app import create_graphql_app
from subgraphs.common.client import system_client
from subgraphs.wms.client import WmsClient
from subgraphs.wms.directory import CenterDirectory
from subgraphs.wms.loaders import WmsContext, WmsLoaders
from subgraphs.wms.schema import schema
from subgraphs.wms.webhooks import mount_webhook_intake

__all__ = ["create_app"]


def create_app(settings: Settings, *, bus: EventBus | None = None) -> Starlette:
    """Serve the WMS subgraph over the WMS at ``settings.system_url("wms")``; its webhook
    intake publishes to ``bus`` (the caller's, left open) or to a bus of its own."""
    system = system_client("wms", settings)
    client = WmsClient(system)
    cache = create_cache(settings.redis_url, prefix=settings.reference_cache_prefix)
    centers = CenterDirectory(client, cache, ttl_seconds=settings.reference_cache_ttl_seconds)

    def context() -> WmsContext:
        return WmsContext(
            client=client, centers=centers, loaders=WmsLoaders.create(client, centers)
        )

    app = create_graphql_app(
        schema,
        name="wms",
        context_getter=context,
        on_shutdown=[system.aclose, cache.aclose],
        ready_check=client.ping,
    )
    # The WMS's milestone webhooks come in here and go onto the event bus.
    mount_webhook_intake(app, settings, cache, bus=bus)
    return app
