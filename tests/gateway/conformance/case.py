"""A conformance case: subgraphs, the supergraph Apollo composed from them, and queries.

Each case module defines ``CASE``. Its supergraph is ``supergraphs/<name>.graphql``, composed by
``@apollo/composition`` (2.x) from ``CASE.sdls``; ``apollo_fetches`` records how many fetches
``@apollo/query-planner`` plans for the same query, for comparison.

Every expected response was checked against the real ``@apollo/gateway`` over the same
subgraphs (``apollo_compare.py``, see ``apollo_reference.md``). Where Apollo answers otherwise,
``apollo`` records what it returned and ``apollo_note`` why ours differs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.gateway.subgraph_kit import Subgraph

__all__ = ["FED2", "Case", "Query", "fed2"]

SUPERGRAPHS = Path(__file__).parent / "supergraphs"

FED2 = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: '
    '["@key", "@shareable", "@external", "@requires", "@provides", "@override", '
    '"@inaccessible", "@interfaceObject", "@tag"])\n'
)


def fed2(sdl: str) -> str:
    """A Fed 2 subgraph SDL: ``sdl`` with the federation ``@link``."""
    return FED2 + sdl


@dataclass(frozen=True)
class Query:
    """One operation of a case and what a correct gateway answers."""

    name: str
    query: str
    expected: dict[str, Any]
    fetches: int
    variables: dict[str, Any] | None = None
    operation_name: str | None = None
    apollo_fetches: int | None = None
    # What @apollo/gateway returned, when it differs from ``expected``; and why.
    apollo: dict[str, Any] | None = None
    apollo_note: str = ""


@dataclass(frozen=True)
class Case:
    name: str
    sdls: Mapping[str, str]
    build: Callable[[], dict[str, Subgraph]]
    queries: tuple[Query, ...] = field(default_factory=tuple)

    @property
    def supergraph_path(self) -> Path:
        return SUPERGRAPHS / f"{self.name}.graphql"
