"""The CRM subgraph's ASGI app: one CRM client and reference cache, fresh loaders per request."""

from __future__ import annotations

from starlette.applications import Starlette

from cache.factory import create_cache
from cache.reference import ReferenceCache
from crossdock.settings import Settings
from subgraphs.common.app import create_graphql_app
from subgraphs.common.client import system_client
from subgraphs.crm.client import CrmClient
from subgraphs.crm.loaders import CrmContext, CrmLoaders
from subgraphs.crm.schema import schema

__all__ = ["ACCOUNTS_NAMESPACE", "create_app"]

ACCOUNTS_NAMESPACE = "crm-accounts"


def create_app(settings: Settings) -> Starlette:
    """Serve the CRM subgraph over the CRM at ``settings.system_url("crm")``."""
    system = system_client("crm", settings)
    client = CrmClient(system)
    cache = create_cache(settings.redis_url, prefix=settings.reference_cache_prefix)
    accounts = ReferenceCache(
        cache, namespace=ACCOUNTS_NAMESPACE, ttl_seconds=settings.reference_cache_ttl_seconds
    )

    def context() -> CrmContext:
        return CrmContext(client=client, loaders=CrmLoaders.create(client, accounts))

    return create_graphql_app(
        schema,
        name="crm",
        context_getter=context,
        on_shutdown=[system.aclose, cache.aclose],
        ready_check=client.ping,
    )
