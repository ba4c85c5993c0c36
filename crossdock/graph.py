"""Our graph's subgraphs as composition sources: the reviewed SDL snapshots and the supergraph
composed from them (``crossdock compose`` without ``--subgraph``)."""

from __future__ import annotations

from crossdock.settings import Ports
from gateway.composition import SubgraphSource, compose
from schema import SDL_DIR, SUPERGRAPH_PATH
from subgraphs.apps import SUBGRAPH_NAMES, SubgraphName

__all__ = [
    "EXAMPLE_QUERY",
    "SDL_DIR",
    "SUBGRAPHS",
    "SUPERGRAPH_PATH",
    "compose_snapshots",
    "snapshot_sources",
]

SUBGRAPHS: tuple[SubgraphName, ...] = SUBGRAPH_NAMES

EXAMPLE_QUERY = """\
{
  orderByNumber(number: "SO-100100") {
    number status total { amount currency }
    account { name creditHold cases(open: true) { caseNumber subject } }
    lines { quantity product { name availableToPromise } }
    shipments { carrier trackingNumber status trackingEvents { status occurredAt } }
  }
}
"""
"""The README's first query, across all three systems: what the gateway's GraphiQL opens on
under ``crossdock up``."""


def subgraph_url(name: SubgraphName, *, host: str = "127.0.0.1", ports: Ports | None = None) -> str:
    """Where the gateway reaches subgraph ``name``."""
    return f"http://{host}:{(ports or Ports()).subgraph(name)}/graphql"


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
