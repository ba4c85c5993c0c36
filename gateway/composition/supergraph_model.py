"""The composed supergraph, before printing: merged types with their join information."""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import TypeNode, ValueNode

from gateway.composition.model import ArgumentDef, ListSizeDef, Requirement, TypeKind

__all__ = [
    "JoinField",
    "JoinType",
    "MergedEnumValue",
    "MergedField",
    "MergedType",
    "Supergraph",
]


@dataclass(frozen=True)
class JoinType:
    graph: str
    key: str | None = None
    resolvable: bool = True
    extension: bool = False
    interface_object: bool = False


@dataclass(frozen=True)
class JoinField:
    graph: str | None  # None: a bare ``@join__field`` (a field an @interfaceObject brings)
    external: bool = False
    requires: str | None = None
    provides: str | None = None
    type: str | None = None  # the subgraph's own type of the field, when types differ
    override: str | None = None
    override_label: str | None = None
    used_overridden: bool = False


@dataclass
class MergedField:
    name: str
    type: TypeNode
    description: str | None
    arguments: list[ArgumentDef] = field(default_factory=list)
    default: ValueNode | None = None
    inaccessible: bool = False
    deprecation: str | None = None
    joins: list[JoinField] | None = None  # None: every subgraph of the type resolves it alike
    cost: int | None = None
    list_size: ListSizeDef | None = None
    # Merged directives (inaccessible, deprecated, cost, listSize) in first-seen order.
    directives: tuple[str, ...] = ()
    # Merged access-control directives by canonical name (printed in the specs' order).
    access: dict[str, Requirement] = field(default_factory=dict)
    # Added to an implementation by an @interfaceObject: its directives precede its join.
    propagated: bool = False


@dataclass
class MergedEnumValue:
    name: str
    description: str | None
    graphs: list[str]
    inaccessible: bool = False
    deprecation: str | None = None
    directives: tuple[str, ...] = ()


@dataclass
class MergedType:
    name: str
    kind: TypeKind
    description: str | None
    joins: list[JoinType] = field(default_factory=list)
    fields: dict[str, MergedField] = field(default_factory=dict)
    interfaces: list[str] = field(default_factory=list)
    implements: list[tuple[str, str]] = field(default_factory=list)  # (graph, interface)
    members: list[tuple[str, str]] = field(default_factory=list)  # (graph, member)
    values: list[MergedEnumValue] = field(default_factory=list)
    inaccessible: bool = False
    cost: int | None = None
    directives: tuple[str, ...] = ()
    access: dict[str, Requirement] = field(default_factory=dict)  # as on MergedField


@dataclass(frozen=True)
class Supergraph:
    """Graphs (enum name, subgraph name, url) and merged types, ready to print."""

    graphs: tuple[tuple[str, str, str], ...]
    types: dict[str, MergedType]
    root_types: dict[str, str]
    # The join spec's version: the least that carries the newest federation version used.
    join_version: tuple[int, int] = (0, 3)
    # Spec directives applied in some subgraph (inaccessible, cost, listSize), canonical
    # name -> supergraph name, in the order first seen: their specs are linked in that order.
    directive_names: dict[str, str] = field(default_factory=dict)
