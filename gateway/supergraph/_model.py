"""The immutable supergraph model: subgraphs, and where each type and field lives."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from graphql import GraphQLSchema

from gateway.supergraph._auth import NO_AUTHORIZATION, Authorization

__all__ = [
    "EntityKey",
    "FieldInfo",
    "FieldSource",
    "ListSize",
    "Subgraph",
    "Supergraph",
    "TypeInfo",
    "TypeKind",
    "TypeSource",
    "label_enabled",
]

TypeKind = Literal["object", "interface", "union", "enum", "input", "scalar"]


@dataclass(frozen=True)
class Subgraph:
    """One subgraph: its name (``join__graph(name:)``), enum value and URL."""

    name: str
    enum_value: str
    url: str


@dataclass(frozen=True)
class EntityKey:
    """One ``@key`` of a type in one subgraph."""

    graph: str
    fields: str
    resolvable: bool = True


@dataclass(frozen=True)
class TypeSource:
    """How one subgraph defines a type (``@join__type``)."""

    graph: str
    keys: tuple[EntityKey, ...] = ()
    extension: bool = False
    is_interface_object: bool = False


@dataclass(frozen=True)
class FieldSource:
    """How one subgraph defines a field (``@join__field``)."""

    graph: str
    requires: str | None = None
    provides: str | None = None
    external: bool = False
    override: str | None = None
    override_label: str | None = None
    used_overridden: bool = False
    type: str | None = None

    @property
    def resolvable(self) -> bool:
        """Whether the subgraph resolves the field itself (not only references it)."""
        return not self.external and not self.used_overridden

    def resolves(self, enabled_labels: frozenset[str]) -> bool:
        """Whether the subgraph resolves the field, progressive ``@override`` labels decided."""
        if not self.resolvable:
            return False
        if self.override_label is None:
            return True
        on = label_enabled(self.override_label, enabled_labels)
        # Both sides carry the label: the overriding subgraph resolves the field when it is
        # on, the subgraph the field is taken from when it is off.
        return on if self.override is not None else not on


_PERCENT = re.compile(r"percent\((\d+(?:\.\d+)?)\)")


def label_enabled(label: str, enabled: frozenset[str]) -> bool:
    """Whether a progressive ``@override`` label is on.

    Apollo Router turns ``percent(N)`` on for N% of requests at random; plans here are
    deterministic and cached, so ``percent(N)`` is on only at N >= 100. Any other label is on
    only when the gateway is told to enable it (``@apollo/gateway`` enables none by default).
    """
    if label in enabled:
        return True
    match = _PERCENT.fullmatch(label)
    return match is not None and float(match[1]) >= 100


@dataclass(frozen=True)
class ListSize:
    """A field's ``@listSize`` (cost spec v0.1): how long its list, or its sized fields, are.

    ``slicing_arguments`` are argument names (or dotted paths into input objects) whose
    value gives the size; ``None`` when the directive names none.
    """

    assumed_size: int | None = None
    slicing_arguments: tuple[str, ...] | None = None
    sized_fields: tuple[str, ...] = ()
    require_one_slicing_argument: bool = True


@dataclass(frozen=True)
class FieldInfo:
    """A field of an object, interface or input type, and the subgraphs that resolve it."""

    name: str
    parent: str
    type: str
    sources: tuple[FieldSource, ...]
    # Graphs that resolve the field; ``None`` means every graph defining the parent type.
    resolvers: frozenset[str] | None
    inaccessible: bool = False
    # The cost spec: ``@cost(weight:)`` on the field, on each argument (by name), and its
    # ``@listSize``; all empty in a supergraph without the cost spec.
    cost: int | None = None
    argument_costs: Mapping[str, int] = field(default_factory=dict)
    list_size: ListSize | None = None

    def source(self, graph: str) -> FieldSource | None:
        for src in self.sources:
            if src.graph == graph:
                return src
        return None


@dataclass(frozen=True)
class TypeInfo:
    """A named type and the subgraphs that define it."""

    name: str
    kind: TypeKind
    sources: Mapping[str, TypeSource]
    fields: Mapping[str, FieldInfo]
    # object/interface type -> interfaces it implements, per graph
    implements: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # union -> members, per graph
    members: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # enum value -> graphs that define it (empty: all graphs of the enum)
    enum_values: Mapping[str, frozenset[str]] = field(default_factory=dict)
    inaccessible: bool = False
    # ``@cost(weight:)`` on the type (objects, enums, scalars), if any.
    cost: int | None = None

    def in_graph(self, graph: str) -> bool:
        """Whether ``graph`` knows this type; types without ``@join__type`` are everywhere."""
        return not self.sources or graph in self.sources

    def keys(self, graph: str) -> tuple[EntityKey, ...]:
        src = self.sources.get(graph)
        return src.keys if src else ()

    def resolvable_keys(self, graph: str) -> tuple[EntityKey, ...]:
        return tuple(k for k in self.keys(graph) if k.resolvable)

    def is_interface_object(self, graph: str) -> bool:
        src = self.sources.get(graph)
        return bool(src and src.is_interface_object)


@dataclass(frozen=True)
class Supergraph:
    """A parsed supergraph: the model the planner reads and the API schema clients see."""

    subgraphs: Mapping[str, Subgraph]
    types: Mapping[str, TypeInfo]
    # The supergraph with join machinery types still in, inaccessible elements kept: the
    # planner needs the types of key and required fields a client may not select.
    schema: GraphQLSchema
    api_schema: GraphQLSchema
    query_type: str
    mutation_type: str | None
    subscription_type: str | None
    join_version: tuple[int, int]
    # ``@authenticated``, ``@requiresScopes``, ``@policy`` (empty without them).
    authorization: Authorization = NO_AUTHORIZATION

    def type(self, name: str) -> TypeInfo:
        return self.types[name]

    def field(self, parent: str, name: str) -> FieldInfo | None:
        info = self.types.get(parent)
        return info.fields.get(name) if info else None

    def url(self, graph: str) -> str:
        return self.subgraphs[graph].url

    def with_urls(self, urls: Mapping[str, str]) -> Supergraph:
        """The same supergraph with some subgraph URLs replaced (tests, local overrides)."""
        subgraphs = {
            name: Subgraph(sg.name, sg.enum_value, urls.get(name, sg.url))
            for name, sg in self.subgraphs.items()
        }
        return Supergraph(
            subgraphs=subgraphs,
            types=self.types,
            schema=self.schema,
            api_schema=self.api_schema,
            query_type=self.query_type,
            mutation_type=self.mutation_type,
            subscription_type=self.subscription_type,
            join_version=self.join_version,
            authorization=self.authorization,
        )
