"""Build the ASGI app of a subgraph by name."""

from __future__ import annotations

from typing import Literal

from starlette.applications import Starlette

from crossdock.settings import Settings

__all__ = ["SUBGRAPH_NAMES", "SubgraphName", "create_subgraph_app", "subgraph_port"]

SubgraphName = Literal["crm", "erp", "wms"]
SUBGRAPH_NAMES: tuple[SubgraphName, ...] = ("crm", "erp", "wms")


def subgraph_port(name: SubgraphName, settings: Settings) -> int:
    ports = settings.ports
    return {"crm": ports.crm_subgraph, "erp": ports.erp_subgraph, "wms": ports.wms_subgraph}[name]


def create_subgraph_app(name: SubgraphName, settings: Settings) -> Starlette:
    """The GraphQL app of subgraph ``name``; it reaches its system at ``settings.system_url``."""
    if name == "crm":
        from subgraphs.crm.app import create_app as create_crm

        return create_crm(settings)
    if name == "erp":
        from subgraphs.erp.app import create_app as create_erp

        return create_erp(settings)
    from subgraphs.wms.app import create_app as create_wms

    return create_wms(settings)
