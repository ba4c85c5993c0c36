"""Query plan nodes: ``Fetch``, ``Flatten``, ``Sequence``, ``Parallel`` and the plan itself."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

__all__ = [
    "Fetch",
    "Flatten",
    "Parallel",
    "PlanNode",
    "QueryPlan",
    "RepField",
    "RepSelection",
    "Sequence",
    "iter_fetches",
]


@dataclass(frozen=True)
class RepField:
    """A field copied from fetched data (at response key ``source``) into a representation."""

    name: str
    selection: RepSelection | None = None
    source: str = ""


@dataclass(frozen=True)
class RepSelection:
    """The shape of a representation (``__typename``, key and required fields) or a part of it."""

    fields: tuple[RepField, ...] = ()
    fragments: tuple[tuple[str, RepSelection], ...] = ()
    # Key fields: an object with one of them null or missing gets no representation.
    keys: tuple[str, ...] = ()
    # The ``__typename`` to send instead of the object's (an ``@interfaceObject`` interface).
    as_type: str = ""


@dataclass(frozen=True)
class Fetch:
    """One request to one subgraph.

    A root fetch (``requires is None``) merges its data at the root of the response; an entity
    fetch sends ``_entities`` with one representation per object found at its ``Flatten`` path,
    shaped per ``requires`` (keyed by ``__typename``).
    """

    id: int
    service: str
    operation: str
    operation_kind: str
    variables: tuple[str, ...]
    requires: tuple[tuple[str, RepSelection], ...] | None = None
    # Response keys a root fetch fills at the root (to locate its failure).
    root_keys: tuple[str, ...] = ()
    # Aliases that kept fields of conflicting types apart, and the keys they stand for.
    renames: tuple[tuple[str, str], ...] = ()

    @property
    def is_entity_fetch(self) -> bool:
        return self.requires is not None

    @cached_property
    def requires_by_type(self) -> dict[str, RepSelection]:
        """``requires`` as a mapping, made once per plan rather than once per request."""
        return dict(self.requires or ())

    @cached_property
    def renames_map(self) -> dict[str, str]:
        """``renames`` as a mapping (alias -> response key)."""
        return dict(self.renames)


@dataclass(frozen=True)
class Flatten:
    """Run ``node`` on every object at ``path`` (``@`` steps into lists)."""

    path: tuple[str, ...]
    node: Fetch


@dataclass(frozen=True)
class Sequence:
    nodes: tuple[PlanNode, ...]


@dataclass(frozen=True)
class Parallel:
    nodes: tuple[PlanNode, ...]


PlanNode = Fetch | Flatten | Sequence | Parallel


def iter_fetches(node: PlanNode | None) -> Iterator[Fetch]:
    if node is None:
        return
    if isinstance(node, Fetch):
        yield node
    elif isinstance(node, Flatten):
        yield node.node
    else:
        for child in node.nodes:
            yield from iter_fetches(child)


@dataclass(frozen=True)
class QueryPlan:
    """The plan of one operation (for one set of ``@skip``/``@include`` values)."""

    node: PlanNode | None

    @property
    def fetch_count(self) -> int:
        return sum(1 for _ in iter_fetches(self.node))

    def fetches(self) -> list[Fetch]:
        return list(iter_fetches(self.node))

    def pretty(self) -> str:
        """A readable dump, for debugging and test failure messages."""
        lines: list[str] = []
        _pretty(self.node, 0, lines)
        return "\n".join(lines)


def _pretty(node: PlanNode | None, depth: int, lines: list[str]) -> None:
    pad = "  " * depth
    if node is None:
        lines.append(f"{pad}(empty)")
    elif isinstance(node, Fetch):
        lines.append(f"{pad}Fetch({node.service}) {node.operation}")
    elif isinstance(node, Flatten):
        lines.append(f"{pad}Flatten({'.'.join(node.path)})")
        _pretty(node.node, depth + 1, lines)
    else:
        lines.append(f"{pad}{type(node).__name__}")
        for child in node.nodes:
            _pretty(child, depth + 1, lines)
