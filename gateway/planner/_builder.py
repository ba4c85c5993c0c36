"""Plan an operation into fetch groups: which subgraph fetches which field, and what it needs."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any

from graphql import (
    FieldNode,
    GraphQLAbstractType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
    InlineFragmentNode,
    SelectionNode,
)

from gateway.planner._groups import Group
from gateway.planner._operation import (
    CollectedField,
    Operation,
    applies_to,
    collect_fields,
    parse_fieldset,
)
from gateway.planner._selection import SubSelection, internal_key, is_internal, variables_in
from gateway.supergraph import FieldInfo, Supergraph

__all__ = ["GroupBuilder", "PlanningError"]

_MAX_JUMPS = 12


class PlanningError(Exception):
    """No plan can fetch what the operation asks (a supergraph the planner cannot serve)."""


class _Where(enum.Enum):
    NO = 0
    LOCAL = 1
    REQUIRES = 2


def named_type(type_ref: str) -> tuple[str, int]:
    """``[[A!]]!`` -> (``A``, 2): the named type and how many lists wrap it."""
    return type_ref.replace("[", "").replace("]", "").replace("!", ""), type_ref.count("[")


class GroupBuilder:
    """Builds the fetch groups of one operation; ``build`` returns the root groups in order."""

    def __init__(
        self, supergraph: Supergraph, operation: Operation, variables: Mapping[str, Any]
    ) -> None:
        self.sg = supergraph
        self.schema = supergraph.schema
        self.operation = operation
        self.variables = variables
        self.groups: list[Group] = []
        self.order = {name: i for i, name in enumerate(supergraph.subgraphs)}

    # -- groups -------------------------------------------------------------------------

    def new_group(
        self, service: str, path: tuple[str, ...], entity: bool, parent: Group | None
    ) -> Group:
        group = Group(len(self.groups), service, path, entity, parent)
        self.groups.append(group)
        if parent is not None:
            parent.children[(service, path)] = group
            group.deps.add(parent.id)
        return group

    def build(self) -> list[Group]:
        root_type = {
            "query": self.sg.query_type,
            "mutation": self.sg.mutation_type,
            "subscription": self.sg.subscription_type,
        }[self.operation.kind]
        if root_type is None:
            raise PlanningError(f"the schema has no {self.operation.kind} type")
        roots: list[Group] = []
        selections = self.operation.definition.selection_set.selections
        for cf in self.collect(selections, root_type):
            if cf.name.startswith("__"):
                continue  # __typename, __schema, __type: answered by the gateway
            info = self.field_info(root_type, cf)
            candidates = self.resolvers(root_type, info)
            if not candidates:
                raise PlanningError(f"no subgraph resolves {root_type}.{cf.name}")
            if self.operation.kind == "mutation":
                # Mutations run in document order: only the last group may take the field.
                reusable = [roots[-1]] if roots and roots[-1].service in candidates else []
            else:
                reusable = [g for g in roots if g.service in candidates]
            if reusable:
                group = reusable[0]
            else:
                service = min(
                    candidates,
                    key=lambda s: (self.misses_field(s, root_type, cf, None), self.order[s]),
                )
                group = self.new_group(service, (), False, None)
                roots.append(group)
            self.plan_field(group, group.selection, root_type, cf, (), None, False, 0)
        return roots

    # -- where fields live --------------------------------------------------------------

    def collect(self, selections: Sequence[SelectionNode], type_name: str) -> list[CollectedField]:
        return collect_fields(
            self.schema, selections, type_name, self.operation.fragments, self.variables
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
        self, service: str, parent: str, info: FieldInfo, provided: Sequence[SelectionNode] | None
    ) -> _Where:
        """Whether ``service`` resolves ``parent.field`` where it stands in a fetch."""
        type_info = self.sg.types.get(parent)
        if type_info is None or not type_info.in_graph(service):
            return _Where.NO
        if info.resolvers is None:
            return _Where.LOCAL
        if service in info.resolvers:
            source = info.source(service)
            return _Where.REQUIRES if source is not None and source.requires else _Where.LOCAL
        if provided is not None and self.provided_nodes(provided, parent, info.name):
            return _Where.LOCAL
        for key in type_info.keys(service):
            if any(
                isinstance(n, FieldNode) and n.name.value == info.name
                for n in parse_fieldset(key.fields)
            ):
                return _Where.LOCAL
        return _Where.NO

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
        if isinstance(schema_type, GraphQLAbstractType):
            return sum(
                self.misses(service, t, selections, provided)
                for t in self.runtime_types(service, type_name)
            )
        if not isinstance(schema_type, GraphQLObjectType):
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
        if self.where(service, parent, info, provided) is not _Where.LOCAL:
            return 1
        named, _ = named_type(info.type)
        if not cf.first.selection_set:
            return 0
        child = self.child_provided(service, parent, info, provided)
        return self.misses(service, named, cf.sub_selections(), child)

    # -- planning -----------------------------------------------------------------------

    def plan_selection(
        self,
        group: Group,
        sel: SubSelection,
        type_name: str,
        selections: Sequence[SelectionNode],
        path: tuple[str, ...],
        provided: Sequence[SelectionNode] | None,
        top: bool,
        jumps: int,
    ) -> set[Group]:
        """Plan ``selections`` on an object of ``type_name`` that ``group`` fetches at ``path``.

        Returns the groups that fetch those fields at this path.
        """
        schema_type = self.schema.type_map[type_name]
        if isinstance(schema_type, GraphQLAbstractType):
            sel.typename()
            groups = {group}
            for runtime in self.runtime_types(group.service, type_name):
                fragment = sel.fragment(runtime)
                groups |= self.plan_selection(
                    group, fragment, runtime, selections, path, provided, top, jumps
                )
            return groups
        groups = set()
        for cf in self.collect(selections, type_name):
            groups |= self.plan_field(group, sel, type_name, cf, path, provided, top, jumps)
        return groups

    def plan_field(
        self,
        group: Group,
        sel: SubSelection,
        parent: str,
        cf: CollectedField,
        path: tuple[str, ...],
        provided: Sequence[SelectionNode] | None,
        top: bool,
        jumps: int,
    ) -> set[Group]:
        if cf.name == "__typename":
            sel.field(cf.key, "__typename")
            return {group}
        info = self.field_info(parent, cf)
        where = self.where(group.service, parent, info, provided)
        if where is _Where.NO or (where is _Where.REQUIRES and not top):
            return self.jump(group, sel, parent, cf, path, provided, top, jumps)
        arguments = tuple(cf.first.arguments or ())
        for argument in arguments:
            variables_in(argument.value, group.variables)
        key = internal_key(cf.first) if is_internal(cf.first) else cf.key
        sub = sel.field(key, cf.name, arguments)
        groups = {group}
        if where is _Where.REQUIRES:
            source = info.source(group.service)
            assert source is not None and source.requires
            groups |= self.add_requires(group, parent, source.requires, path, jumps)
        if cf.first.selection_set is not None:
            named, lists = named_type(info.type)
            child_path = (*path, key, *("@",) * lists)
            child_provided = self.child_provided(group.service, parent, info, provided)
            groups |= self.plan_selection(
                group,
                sub.sub(),
                named,
                cf.sub_selections(),
                child_path,
                child_provided,
                False,
                jumps,
            )
        return groups

    def jump(
        self,
        group: Group,
        sel: SubSelection,
        parent: str,
        cf: CollectedField,
        path: tuple[str, ...],
        provided: Sequence[SelectionNode] | None,
        top: bool,
        jumps: int,
    ) -> set[Group]:
        """Fetch ``parent.field`` from another subgraph through ``_entities``."""
        if jumps >= _MAX_JUMPS:
            raise PlanningError(f"no path to {parent}.{cf.name} from {group.service}")
        info = self.field_info(parent, cf)
        type_info = self.sg.type(parent)
        candidates = [
            s
            for s in self.resolvers(parent, info)
            if type_info.resolvable_keys(s)
            and (s != group.service or self.where(s, parent, info, None) is _Where.REQUIRES)
        ]
        if not candidates:
            raise PlanningError(f"no subgraph can resolve {parent}.{cf.name} by key")
        options = []
        for s in candidates:
            keys = type_info.resolvable_keys(s)
            local = [
                k
                for k in keys
                if self.misses(group.service, parent, parse_fieldset(k.fields), provided) == 0
            ]
            # A key that needs the very field being fetched would send us in circles.
            usable = local or [
                k
                for k in keys
                if not any(
                    isinstance(n, FieldNode) and n.name.value == cf.name
                    for n in parse_fieldset(k.fields)
                )
            ]
            if usable:
                rank = (
                    0 if local else 1,
                    0 if (s, path) in group.children else 1,
                    self.misses_field(s, parent, cf, None),
                    self.order[s],
                )
                options.append((rank, s, usable[0]))
        if not options:
            raise PlanningError(f"no key leads from {group.service} to {parent}.{cf.name}")
        _, service, key = min(options, key=lambda o: o[0])
        key_nodes = parse_fieldset(key.fields)
        sel.typename()
        key_groups = self.plan_selection(
            group, sel, parent, key_nodes, path, provided, top, jumps + 1
        )
        target = group.children.get((service, path)) or self.new_group(service, path, True, group)
        target.parent_selections.setdefault(parent, sel)
        target.deps.update(g.id for g in key_groups if g is not target)
        reps = target.reps.fragment(parent)
        reps.typename()
        self.copy_fieldset(reps, parent, key_nodes)
        target.key_fields.setdefault(parent, set()).update(
            n.name.value for n in key_nodes if isinstance(n, FieldNode)
        )
        fetched = self.plan_selection(
            target,
            target.selection.fragment(parent),
            parent,
            cf.nodes,
            path,
            None,
            True,
            jumps + 1,
        )
        return fetched | key_groups

    def add_requires(
        self, group: Group, parent: str, requires: str, path: tuple[str, ...], jumps: int
    ) -> set[Group]:
        """Have the groups before ``group`` fetch what ``@requires`` asks, into its reps."""
        before = group.parent
        if before is None:
            raise PlanningError(f"@requires on a root field of {parent}")
        parent_sel = group.parent_selections[parent]
        nodes = parse_fieldset(requires)
        before_top = (
            before.entity
            and before.path == path
            and (before.selection.fragments.get(parent) is parent_sel)
        )
        groups = self.plan_selection(
            before, parent_sel, parent, nodes, path, None, before_top, jumps + 1
        )
        group.deps.update(g.id for g in groups if g is not group)
        reps = group.reps.fragment(parent)
        reps.typename()
        self.copy_fieldset(reps, parent, nodes)
        return {g for g in groups if g is not group}

    def copy_fieldset(
        self, target: SubSelection, type_name: str, nodes: Sequence[SelectionNode]
    ) -> None:
        """Add a field set to a representation shape (by field name; no aliases in keys)."""
        for node in nodes:
            if isinstance(node, FieldNode):
                # Representation shapes name a field by where it is read: see SubSelection.freeze.
                sub = target.field(node.name.value, internal_key(node))
                if node.selection_set is not None:
                    info = self.sg.field(type_name, node.name.value)
                    child_type = named_type(info.type)[0] if info else type_name
                    schema_type = self.schema.type_map.get(child_type)
                    inner = sub.sub()
                    if isinstance(schema_type, GraphQLAbstractType):
                        inner.typename()
                    self.copy_fieldset(inner, child_type, node.selection_set.selections)
            elif isinstance(node, InlineFragmentNode):
                cond = node.type_condition.name.value if node.type_condition else type_name
                self.copy_fieldset(target.fragment(cond), cond, node.selection_set.selections)
