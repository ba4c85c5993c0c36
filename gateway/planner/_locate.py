"""Where fields live: which subgraphs resolve a field, and what one subgraph lacks.

The planner's questions about the supergraph, asked from where a fetch stands: can this
subgraph resolve ``T.f`` here (itself, through ``@provides``, as a key, or only with its
``@requires``), which object types may it return for an abstract type, and how many fields of a
selection would need another fetch (the cost that picks between candidate subgraphs).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
    InlineFragmentNode,
    SelectionNode,
)

from gateway.planner._operation import (
    CollectedField,
    Operation,
    applies_to,
    collect_fields,
    included,
    parse_fieldset,
)
from gateway.supergraph import FieldInfo, Supergraph

__all__ = ["Locator", "PlanningError", "Where", "named_type"]


class PlanningError(Exception):
    """No plan can fetch what the operation asks (a supergraph the planner cannot serve).

    ``reason`` says why; ``coordinate`` (``Type.field``) names the field that could not be
    planned. Raisers deep in a hop rarely know which field of the operation they serve: the
    builder sets the coordinate of the innermost field being planned as the error passes.
    """

    def __init__(self, reason: str, coordinate: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.coordinate = coordinate

    def __str__(self) -> str:
        if self.coordinate is None:
            return self.reason
        return f"{self.coordinate}: {self.reason}"


class Where(enum.Enum):
    NO = 0
    LOCAL = 1
    REQUIRES = 2


def named_type(type_ref: str) -> tuple[str, int]:
    """``[[A!]]!`` -> (``A``, 2): the named type and how many lists wrap it."""
    return type_ref.replace("[", "").replace("]", "").replace("!", ""), type_ref.count("[")


class Locator:
    """Answers where the fields of one operation live; the builder asks, then plans."""

    def __init__(
        self, supergraph: Supergraph, operation: Operation, variables: Mapping[str, Any]
    ) -> None:
        self.sg = supergraph
        self.schema = supergraph.schema
        self.operation = operation
        self.variables = variables
        self.order = {name: i for i, name in enumerate(supergraph.subgraphs)}
        # Deferred fragments are planned apart, each under its defer context (planner._defer).
        self.deferred: frozenset[int] = frozenset()

    def collect(self, selections: Sequence[SelectionNode], type_name: str) -> list[CollectedField]:
        return collect_fields(
            self.schema,
            selections,
            type_name,
            self.operation.fragments,
            self.variables,
            self.deferred,
        )

    def field_info(self, parent: str, cf: CollectedField) -> FieldInfo:
        info = self.sg.field(parent, cf.name)
        if info is None:
            raise PlanningError(f"unknown field {parent}.{cf.name}")
        return info

    def resolvers(self, parent: str, info: FieldInfo) -> list[str]:
        if info.resolvers is not None:
            graphs = set(info.resolvers)
        else:
            graphs = set(self.sg.type(parent).sources) or set(self.sg.subgraphs)
        return sorted(graphs, key=self.order.__getitem__)

    def where(
        self,
        service: str,
        parent: str,
        info: FieldInfo,
        provided: Sequence[SelectionNode] | None,
        top: bool = False,
    ) -> Where:
        """Whether ``service`` resolves ``parent.field`` where it stands in a fetch.

        ``top``: at the top of an entity fetch, where the subgraph has the objects'
        representations, and so their key fields, even those it has only as ``@external``.
        """
        type_info = self.sg.types.get(parent)
        if type_info is None or not type_info.in_graph(service):
            return Where.NO
        if info.resolvers is None:
            return Where.LOCAL
        if service in info.resolvers:
            source = info.source(service)
            return Where.REQUIRES if source is not None and source.requires else Where.LOCAL
        if provided is not None and self.provided_nodes(provided, parent, info.name):
            return Where.LOCAL
        source = info.source(service)
        if source is not None and source.external and not top:
            # An @external key field: the subgraph knows it from a representation only,
            # never where it returns the object itself (what it sends there is made up).
            return Where.NO
        for key in type_info.keys(service):
            if any(
                isinstance(n, FieldNode) and n.name.value == info.name
                for n in parse_fieldset(key.fields)
            ):
                return Where.LOCAL
        return Where.NO

    def provided_nodes(
        self, provided: Sequence[SelectionNode], parent: str, name: str
    ) -> list[FieldNode]:
        found: list[FieldNode] = []
        for node in provided:
            if isinstance(node, FieldNode) and node.name.value == name:
                found.append(node)
            elif isinstance(node, InlineFragmentNode):
                cond = node.type_condition.name.value if node.type_condition else None
                if applies_to(self.schema, cond, parent):
                    found.extend(self.provided_nodes(node.selection_set.selections, parent, name))
        return found

    def child_provided(
        self,
        service: str,
        parent: str,
        info: FieldInfo,
        provided: Sequence[SelectionNode] | None,
    ) -> list[SelectionNode] | None:
        source = info.source(service)
        if source is not None and source.provides and source.resolvable:
            return list(parse_fieldset(source.provides))
        if provided is None:
            return None
        nodes = self.provided_nodes(provided, parent, info.name)
        if not nodes:
            return None
        return [s for n in nodes if n.selection_set for s in n.selection_set.selections]

    def runtime_types(self, service: str, abstract: str) -> list[str]:
        """The object types ``service`` may return where it returns ``abstract``."""
        schema_type = self.schema.type_map[abstract]
        assert isinstance(schema_type, GraphQLAbstractType)
        info = self.sg.types.get(abstract)
        out: list[str] = []
        for possible in self.schema.get_possible_types(schema_type):
            name = possible.name
            possible_info = self.sg.types.get(name)
            if possible_info is None or not possible_info.in_graph(service):
                continue
            if isinstance(schema_type, GraphQLUnionType):
                members = info.members if info else {}
                if members and name not in members.get(service, frozenset()):
                    continue
            elif (
                isinstance(schema_type, GraphQLInterfaceType)
                and possible_info.implements
                and abstract not in possible_info.implements.get(service, frozenset())
            ):
                continue
            out.append(name)
        return out

    def members_in(self, service: str, info: FieldInfo, union: str) -> frozenset[str]:
        """The members of ``union`` that ``service``'s version of a field may return: its own
        union's members, or the one object type it has the field return."""
        named = self.child_type(service, info)
        if named != union:
            schema_type = self.schema.type_map.get(named)
            if isinstance(schema_type, GraphQLAbstractType):
                return frozenset(self.runtime_types(service, named))
            return frozenset({named})
        return frozenset(self.runtime_types(service, union))

    def field_type(self, service: str, info: FieldInfo) -> str:
        """The type of a field as ``service`` has it (``ID!`` where the supergraph has ``ID``)."""
        source = info.source(service)
        return source.type if source and source.type else info.type

    def child_type(self, service: str, info: FieldInfo) -> str:
        """The named type of a field as ``service`` defines it.

        It may be narrower than the supergraph's (``Dog`` where the supergraph says
        ``Animal``): fragments on other types must not reach that subgraph.
        """
        return named_type(self.field_type(service, info))[0]

    # -- @interfaceObject ----------------------------------------------------------------

    def is_interface_object(self, service: str, type_name: str) -> bool:
        """Whether ``service`` has the interface ``type_name`` as an object type.

        Such a subgraph knows no implementation: it returns objects typed by the interface's
        name, and only a subgraph that owns the interface can tell their real type.
        """
        info = self.sg.types.get(type_name)
        return info is not None and info.is_interface_object(service)

    def via_interface_objects(self, parent: str, name: str) -> list[tuple[str, str]]:
        """``(subgraph, interface)`` pairs that resolve ``parent.name`` on the interface.

        A field an ``@interfaceObject`` subgraph adds is resolved there for every
        implementation, from a representation typed by the interface.
        """
        schema_type = self.schema.type_map.get(parent)
        if not isinstance(schema_type, GraphQLObjectType):
            return []
        found: list[tuple[str, str]] = []
        for interface in schema_type.interfaces:
            info = self.sg.types.get(interface.name)
            field = info.fields.get(name) if info else None
            if info is None or field is None:
                continue
            for graph in self.resolvers(interface.name, field):
                if info.is_interface_object(graph) and info.resolvable_keys(graph):
                    found.append((graph, interface.name))
        return sorted(found, key=lambda pair: self.order[pair[0]])

    def owners(self, interface: str) -> list[str]:
        """Subgraphs that own the entity interface: they resolve its real object types."""
        info = self.sg.type(interface)
        graphs = [
            g for g in info.sources if not info.is_interface_object(g) and info.resolvable_keys(g)
        ]
        return sorted(graphs, key=self.order.__getitem__)

    def implementations(self, interface: str) -> list[str]:
        schema_type = self.schema.type_map[interface]
        assert isinstance(schema_type, GraphQLAbstractType)
        return [t.name for t in self.schema.get_possible_types(schema_type)]

    def typed_fragments(
        self, selections: Sequence[SelectionNode], interface: str
    ) -> list[SelectionNode]:
        """The fragments of a selection on ``interface`` that need an object's real type."""
        found: list[SelectionNode] = []
        for node in selections:
            if not included(node, self.variables):
                continue
            if isinstance(node, InlineFragmentNode):
                cond = node.type_condition.name.value if node.type_condition else None
                inner: Sequence[SelectionNode] = node.selection_set.selections
            elif isinstance(node, FragmentSpreadNode):
                fragment = self.operation.fragments.get(node.name.value)
                if fragment is None:
                    continue
                cond, inner = fragment.type_condition.name.value, fragment.selection_set.selections
            else:
                continue
            if cond in (None, interface):
                found.extend(self.typed_fragments(inner, interface))
            else:
                found.append(node)
        return found

    # -- cost ---------------------------------------------------------------------------

    def misses(
        self,
        service: str,
        type_name: str,
        selections: Sequence[SelectionNode],
        provided: Sequence[SelectionNode] | None,
    ) -> int:
        """How many fields of a selection ``service`` cannot resolve itself (a fetch estimate)."""
        schema_type = self.schema.type_map.get(type_name)
        as_object = self.is_interface_object(service, type_name)
        if isinstance(schema_type, GraphQLAbstractType) and not as_object:
            return sum(
                self.misses(service, t, selections, provided)
                for t in self.runtime_types(service, type_name)
            )
        if not isinstance(schema_type, GraphQLObjectType) and not as_object:
            return 0
        return sum(
            self.misses_field(service, type_name, cf, provided)
            for cf in self.collect(selections, type_name)
            if cf.name != "__typename"
        )

    def misses_field(
        self,
        service: str,
        parent: str,
        cf: CollectedField,
        provided: Sequence[SelectionNode] | None,
    ) -> int:
        info = self.sg.field(parent, cf.name)
        if info is None:
            return 0
        if self.where(service, parent, info, provided) is not Where.LOCAL:
            return 1
        named = self.child_type(service, info)
        if not cf.first.selection_set:
            return 0
        child = self.child_provided(service, parent, info, provided)
        return self.misses(service, named, cf.sub_selections(), child)
