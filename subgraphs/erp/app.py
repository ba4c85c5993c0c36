"""The ERP subgraph's ASGI app: one ERP client and reference caches, fresh loaders per request."""

from __future__ import annotations

from starlette.applications import Starlette

from cache.factory import create_cache_for
from cache.reference import ReferenceCache
from connectors.erp.client import ErpClient
from connectors.settings import system_client
from schema.actor import Actor
from subgraphs.common.app import create_graphql_app
from subgraphs.common.readiness import cache_check
from subgraphs.erp.loaders import ErpContext, ErpLoaders, ReferenceCaches
from subgraphs.erp.schema import EXAMPLE_QUERY, schema
from subgraphs.settings import SubgraphSettings
from telemetry.metrics import ClientCalls, Metrics

__all__ = [
    "CUSTOMER_TERMS_NAMESPACE",
    "ITEMS_NAMESPACE",
    "PRICE_LEVELS_NAMESPACE",
    "create_app",
]

# Versioned: a change of what is cached must not read entries written by an older build.
ITEMS_NAMESPACE = "erp-items-v1"
PRICE_LEVELS_NAMESPACE = "erp-price-levels-v1"
CUSTOMER_TERMS_NAMESPACE = "erp-customer-terms-v1"


def create_app(settings: SubgraphSettings) -> Starlette:
    """Serve the ERP subgraph over the ERP ``settings.connectors`` name."""
    metrics = Metrics()
    system = system_client("erp", settings.connectors, calls=ClientCalls(metrics))
    client = ErpClient(system)
    cache = create_cache_for(settings.cache)
    ttl = settings.reference_ttl_seconds
    caches = ReferenceCaches(
        items=ReferenceCache(cache, namespace=ITEMS_NAMESPACE, ttl_seconds=ttl),
        price_levels=ReferenceCache(cache, namespace=PRICE_LEVELS_NAMESPACE, ttl_seconds=ttl),
        customer_terms=ReferenceCache(cache, namespace=CUSTOMER_TERMS_NAMESPACE, ttl_seconds=ttl),
    )

    def context(actor: Actor) -> ErpContext:
        return ErpContext(
            actor=actor, client=client, loaders=ErpLoaders.create(client, caches, actor)
        )

    return create_graphql_app(
        schema,
        name="erp",
        context_getter=context,
        on_shutdown=[system.aclose, cache.aclose],
        ready_checks={"erp": client.ping, **cache_check(settings.cache, cache)},
        example_query=EXAMPLE_QUERY,
        request_timeout=settings.request_timeout_seconds,
        auth=settings.auth,
        metrics=metrics,
    )
