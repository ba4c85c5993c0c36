"""The CRM subgraph's ASGI app: one CRM client and reference cache, fresh loaders per request."""

from __future__ import annotations

from starlette.applications import Starlette

from cache.factory import create_cache_for
from cache.reference import ReferenceCache
from connectors.crm.client import CrmClient
from connectors.settings import system_client
from schema.actor import Actor
from subgraphs.common.app import create_graphql_app
from subgraphs.common.readiness import cache_check
from subgraphs.crm.loaders import CrmContext, CrmLoaders
from subgraphs.crm.schema import EXAMPLE_QUERY, schema
from subgraphs.settings import SubgraphSettings
from telemetry.metrics import ClientCalls, Metrics

__all__ = ["ACCOUNTS_NAMESPACE", "create_app"]

ACCOUNTS_NAMESPACE = "crm-accounts"


def create_app(settings: SubgraphSettings) -> Starlette:
    """Serve the CRM subgraph over the CRM ``settings.connectors`` name."""
    metrics = Metrics()
    system = system_client("crm", settings.connectors, calls=ClientCalls(metrics))
    client = CrmClient(system)
    cache = create_cache_for(settings.cache)
    accounts = ReferenceCache(
        cache, namespace=ACCOUNTS_NAMESPACE, ttl_seconds=settings.reference_ttl_seconds
    )

    def context(actor: Actor) -> CrmContext:
        return CrmContext(
            actor=actor, client=client, loaders=CrmLoaders.create(client, accounts, actor)
        )

    return create_graphql_app(
        schema,
        name="crm",
        context_getter=context,
        on_shutdown=[system.aclose, cache.aclose],
        ready_checks={"crm": client.ping, **cache_check(settings.cache, cache)},
        example_query=EXAMPLE_QUERY,
        request_timeout=settings.request_timeout_seconds,
        auth=settings.auth,
        metrics=metrics,
    )
