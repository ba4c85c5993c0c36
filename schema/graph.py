"""Our graph's subgraphs as composition sources: the reviewed SDL snapshots and the supergraph."""

from __future__ import annotations

from pathlib import Path

from crossdock.settings import Ports
from gateway.composition import SubgraphSource, compose

__all__ = ["SDL_DIR", "SUBGRAPHS", "SUPERGRAPH_PATH", "compose_snapshots", "snapshot_sources"]

SDL_DIR = Path(__file__).parent / "sdl"
SUPERGRAPH_PATH = Path(__file__).parent / "supergraph.graphql"
SUBGRAPHS: tuple[str, ...] = ("crm", "erp", "wms", "orders")


def subgraph_url(name: str, *, host: str = "127.0.0.1", ports: Ports | None = None) -> str:
    """Where the gateway reaches subgraph ``name``."""
    ports = ports or Ports()
    port = {
        "crm": ports.crm_subgraph,
        "erp": ports.erp_subgraph,
        "wms": ports.wms_subgraph,
        "orders": ports.orders_subgraph,
    }[name]
    return f"http://{host}:{port}/graphql"


def snapshot_sources(
    *, host: str = "127.0.0.1", ports: Ports | None = None
) -> list[SubgraphSource]:
    """The subgraphs as their reviewed SDL snapshots describe them (``schema/sdl``)."""
    return [
        SubgraphSource(
            name,
            subgraph_url(name, host=host, ports=ports),
            (SDL_DIR / f"{name}.graphql").read_text(),
        )
        for name in SUBGRAPHS
    ]


def compose_snapshots() -> str:
    """The supergraph of the snapshots at the default ports (``schema/supergraph.graphql``)."""
    return compose(snapshot_sources())
