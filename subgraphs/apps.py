"""Build the ASGI app of a subgraph by name."""

from __future__ import annotations

from typing import Literal

from starlette.applications import Starlette

from subgraphs.common import SubgraphSchema
from subgraphs.settings import SubgraphSettings

__all__ = [
    "SUBGRAPH_NAMES",
    "SubgraphName",
    "create_subgraph_app",
    "subgraph_schema",
]

SubgraphName = Literal["crm", "erp", "wms", "orders"]
SUBGRAPH_NAMES: tuple[SubgraphName, ...] = ("crm", "erp", "wms", "orders")


def create_subgraph_app(name: SubgraphName, settings: SubgraphSettings) -> Starlette:
    """The GraphQL app of subgraph ``name``, as ``settings`` configure it."""
    if name == "crm":
        from subgraphs.crm.app import create_app as create_crm

        return create_crm(settings)
    if name == "erp":
        from subgraphs.erp.app import create_app as create_erp

        return create_erp(settings)
    if name == "orders":
        from subgraphs.orders.app import create_app as create_orders

        return create_orders(settings)
    from subgraphs.wms.app import create_app as create_wms

    return create_wms(settings)


def subgraph_schema(name: SubgraphName) -> SubgraphSchema:
    """The Strawberry schema of subgraph ``name`` (what its ``_service { sdl }`` prints)."""
    if name == "crm":
        from subgraphs.crm.schema import schema as crm

        return crm
    if name == "erp":
        from subgraphs.erp.schema import schema as erp

        return erp
    if name == "orders":
        from subgraphs.orders.schema import schema as orders

        return orders
    from subgraphs.wms.schema import schema as wms

    return wms
