"""Composition: subgraph SDLs in, an Apollo-format supergraph SDL out (``crossdock compose``).

Reads Federation 1 and 2 subgraphs, merges them with Apollo's rules (shareable fields, key,
requires and provides field sets, overrides, interface objects, enum and input intersections,
the cost directives and the access-control ones) and reports every problem with its subgraph
and schema coordinate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gateway.composition.errors import CompositionError, CompositionFailed
from gateway.composition.merging import merge
from gateway.composition.model import SubgraphSchema
from gateway.composition.printing import print_supergraph
from gateway.composition.reading import read_subgraph

__all__ = ["CompositionError", "CompositionFailed", "SubgraphSource", "compose"]


@dataclass(frozen=True)
class SubgraphSource:
    """A subgraph to compose: its name, the URL the gateway will call, and its SDL."""

    name: str
    url: str
    sdl: str


def compose(sources: Sequence[SubgraphSource]) -> str:
    """The supergraph SDL of ``sources``; raises :class:`CompositionFailed` with every error."""
    errors: list[CompositionError] = []
    subgraphs: list[SubgraphSchema] = []
    for source in sources:
        try:
            subgraphs.append(read_subgraph(source.name, source.url, source.sdl))
        except CompositionError as error:
            errors.append(error)
    if not sources:
        errors.append(CompositionError("NO_SUBGRAPHS", "there is no subgraph to compose"))
    if errors:
        raise CompositionFailed(errors)
    return print_supergraph(merge(subgraphs))
