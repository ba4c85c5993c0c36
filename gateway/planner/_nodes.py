"""Query plan nodes: ``Fetch``, ``Flatten``, ``Sequence``, ``Parallel`` and the plan itself."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

__all__ = [
    "DeferredPart",
    "EntityPlace",
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
class EntityPlace:
    """One place a merged entity fetch completes objects at: a plan ``path`` (``@`` steps
    into lists) and the ``__typename`` values of the objects there it sends representations
    for (the types the fetch it was merged from had)."""

    path: tuple[str, ...]
    types: frozenset[str]


@dataclass(frozen=True)
class Flatten:
    """Run ``node`` on every object at ``path`` (``@`` steps into lists).

    A fetch merged from sibling entity fetches to one subgraph (``gateway.planner._batch``)
    completes objects at several places: ``batch`` lists them all, ``path`` first; its
    representations are sent in one ``_entities`` call.
    """

    path: tuple[str, ...]
    node: Fetch
    batch: tuple[EntityPlace, ...] = ()

    @cached_property
    def places(self) -> tuple[EntityPlace, ...]:
        """Every place, merged or not (one fetch's place sends every type it requires)."""
        return self.batch or (EntityPlace(self.path, frozenset(self.node.requires_by_type)),)


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
class DeferredPart:
    """A deferred fragment at one place: the fetches only it needs, run after the initial part.

    ``key`` is where its ``@defer`` starts in the query text (``gateway.planner._defer``),
    ``path`` the plan path of the objects it completes (``@`` steps into lists), typed
    ``type_name`` where they have no ``__typename``. It waits for the parts in ``after``
    (whose fetches its own depend on); ``parent`` is the deferred part it is nested in.
    """

    key: int
    label: str | None
    path: tuple[str, ...]
    type_name: str
    parent: int | None
    node: PlanNode | None
    after: tuple[int, ...] = ()


@dataclass(frozen=True)
class QueryPlan:
    """The plan of one operation (for one set of ``@skip``/``@include``/``@defer`` values):
    the initial part's ``node``, then the ``deferred`` parts."""

    node: PlanNode | None
    deferred: tuple[DeferredPart, ...] = ()

    @property
    def fetch_count(self) -> int:
        return len(self.fetches())

    def fetches(self) -> list[Fetch]:
        out = list(iter_fetches(self.node))
        for part in self.deferred:
            out.extend(iter_fetches(part.node))
        return out

    def pretty(self) -> str:
        """A readable dump, for debugging and test failure messages."""
        lines: list[str] = []
        _pretty(self.node, 0, lines)
        for index, part in enumerate(self.deferred):
            label = f" {part.label!r}" if part.label else ""
            lines.append(f"Deferred #{index}{label} at {'.'.join(part.path) or '(root)'}")
            _pretty(part.node, 1, lines)
        return "\n".join(lines)


def _pretty(node: PlanNode | None, depth: int, lines: list[str]) -> None:
    pad = "  " * depth
    if node is None:
        lines.append(f"{pad}(empty)")
    elif isinstance(node, Fetch):
        lines.append(f"{pad}Fetch({node.service}) {node.operation}")
    elif isinstance(node, Flatten):
        paths = [p.path for p in node.batch] or [node.path]
        lines.append(f"{pad}Flatten({', '.join('.'.join(p) for p in paths)})")
        _pretty(node.node, depth + 1, lines)
    else:
        lines.append(f"{pad}{type(node).__name__}")
        for child in node.nodes:
            _pretty(child, depth + 1, lines)
