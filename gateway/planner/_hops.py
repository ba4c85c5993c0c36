"""Entity hops: fetching fields from another subgraph through ``_entities``.

A hop plans the key (and ``@requires``) fields in the fetch that has the objects, opens (or
reuses) the entity fetch of the other subgraph at the same path, and records how that fetch's
representations are cut from the data: typename, key fields, required fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphql import FieldNode, GraphQLAbstractType, InlineFragmentNode, SelectionNode

from gateway.planner._groups import Group
from gateway.planner._locate import Locator, PlanningError, Where, named_type
from gateway.planner._operation import CollectedField, Operation, applies_to, parse_fieldset
from gateway.planner._selection import SubSelection, internal_key
from gateway.supergraph import Supergraph

__all__ = ["EntityHops"]

# A hop in progress: the subgraph it leaves, where, and which field it fetches.
_Hop = tuple[str, tuple[str, ...], str, str, str]


class EntityHops:
    """The group bookkeeping and entity hops the :class:`GroupBuilder` plans with."""

    def __init__(
        self, supergraph: Supergraph, operation: Operation, variables: Mapping[str, Any]
    ) -> None:
        self.sg = supergraph
        self.schema = supergraph.schema
        self.operation = operation
        self.variables = variables
        self.groups: list[Group] = []
        self.locate = Locator(supergraph, operation, variables)
        self.reused = operation.reused_keys()
        # The hops on the planning stack. Nesting in the operation is finite; only key and
        # @requires field sets (from the supergraph) can lead back to a hop already under
        # way, and that is a cycle with no plan, whatever its depth: no depth limit needed.
        self.in_progress: set[_Hop] = set()
        # Groups whose @requires are being planned: what is planned now becomes their
        # dependency, so a field merged into one of them would wait for itself.
        self.awaiting: set[int] = set()

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

    def plan_selection(
        self,
        group: Group,
        sel: SubSelection,
        type_name: str,
        selections: Sequence[SelectionNode],
        path: tuple[str, ...],
        provided: Sequence[SelectionNode] | None,
        top: bool,
    ) -> set[Group]:
        raise NotImplementedError  # the builder plans; hops only call back into it

    def reenter(
        self, group: Group, parent: str, cf: CollectedField, path: tuple[str, ...]
    ) -> set[Group]:
        raise PlanningError(f"no subgraph can resolve {parent}.{cf.name} by key")

    def jump(
        self,
        group: Group,
        sel: SubSelection,
        parent: str,
        cf: CollectedField,
        path: tuple[str, ...],
        provided: Sequence[SelectionNode] | None,
        top: bool,
    ) -> set[Group]:
        """Fetch ``parent.field`` from another subgraph through ``_entities``."""
        hop = (group.service, path, parent, cf.name, cf.key)
        if hop in self.in_progress:
            raise PlanningError(
                f"no path to {parent}.{cf.name} from {group.service}: "
                "its keys and @requires lead back to it"
            )
        self.in_progress.add(hop)
        try:
            return self.hop(group, sel, parent, cf, path, provided, top)
        finally:
            self.in_progress.discard(hop)

    def hop(
        self,
        group: Group,
        sel: SubSelection,
        parent: str,
        cf: CollectedField,
        path: tuple[str, ...],
        provided: Sequence[SelectionNode] | None,
        top: bool,
    ) -> set[Group]:
        """Pick the subgraph and key for one hop :meth:`jump` has checked for a cycle."""
        info = self.locate.field_info(parent, cf)
        candidates = [
            (s, parent)
            for s in self.locate.resolvers(parent, info)
            if self.sg.type(parent).resolvable_keys(s)
            and (s != group.service or self.locate.where(s, parent, info, None) is Where.REQUIRES)
        ]
        candidates += [
            (s, i)
            for s, i in self.locate.via_interface_objects(parent, cf.name)
            if s != group.service
        ]
        if not candidates:
            # A value type (no key anywhere): back up to an ancestor another subgraph has.
            return self.reenter(group, parent, cf, path)
        options = []
        for s, as_type in candidates:
            keys = self.sg.type(as_type).resolvable_keys(s)
            local = [
                k
                for k in keys
                if self.locate.misses(group.service, parent, parse_fieldset(k.fields), provided)
                == 0
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
                    self.locate.misses_field(s, parent, cf, None),
                    self.locate.order[s],
                )
                options.append((rank, s, as_type, usable[0]))
        if not options:
            raise PlanningError(f"no key leads from {group.service} to {parent}.{cf.name}")
        _, service, as_type, key = min(options, key=lambda o: o[0])
        source = info.source(service)
        target = group.children.get((service, path))
        # Two @requires that ask the same field with other arguments cannot share one
        # representation: the second field gets an entity fetch of its own.
        fresh = bool(
            target is not None
            and source is not None
            and source.requires
            and self.clashes(target.reps.fragments.get(parent), parse_fieldset(source.requires))
        )
        nodes = cf.nodes
        return self.enter(
            group,
            sel,
            parent,
            as_type,
            service,
            key.fields,
            nodes,
            path,
            provided,
            top,
            fresh,
        )

    def clashes(self, reps: SubSelection | None, nodes: Sequence[SelectionNode]) -> bool:
        """Whether a field set reads a field into ``reps`` from another response key."""
        if reps is None:
            return False
        for node in nodes:
            if isinstance(node, FieldNode):
                found = reps.fields.get(node.name.value)
                if found is None:
                    continue
                if found.name != internal_key(node, self.reused):
                    return True
                if node.selection_set and self.clashes(
                    found.selection, node.selection_set.selections
                ):
                    return True
            elif isinstance(node, InlineFragmentNode) and node.type_condition is not None:
                inner = reps.fragments.get(node.type_condition.name.value)
                if self.clashes(inner, node.selection_set.selections):
                    return True
        return False

    def enter(
        self,
        group: Group,
        sel: SubSelection,
        parent: str,
        as_type: str,
        service: str,
        key: str,
        nodes: Sequence[SelectionNode],
        path: tuple[str, ...],
        provided: Sequence[SelectionNode] | None,
        top: bool,
        fresh: bool = False,
    ) -> set[Group]:
        """Have ``service`` fetch ``nodes`` for the ``parent`` objects ``group`` selects.

        Representations carry ``key`` and are typed ``as_type``: ``parent`` itself, or an
        interface the subgraph has as an ``@interfaceObject``.
        """
        key_nodes = parse_fieldset(key)
        sel.typename()
        key_groups = self.plan_selection(group, sel, parent, key_nodes, path, provided, top)
        target = None if fresh else group.children.get((service, path))
        if target is not None and target.id in self.awaiting:
            # A @requires chain back and forth (A -> B -> A -> B): the later B field needs
            # what the earlier B fetch's inputs are computed from, so it is a fetch of its own.
            target = None
        target = target or self.new_group(service, path, True, group)
        target.parent_selections.setdefault(parent, sel)
        target.deps.update(g.id for g in key_groups if g is not target)
        reps = target.reps.fragment(parent)
        reps.typename()
        self.copy_fieldset(reps, parent, key_nodes)
        keys = target.key_fields.setdefault(parent, set())
        keys.update(n.name.value for n in key_nodes if isinstance(n, FieldNode))
        if as_type != parent:
            target.rep_as[parent] = as_type
        if isinstance(self.schema.type_map[parent], GraphQLAbstractType):
            # Objects typed by an interface name now may carry their real type by the time
            # this fetch runs (an owner answered first): they send the same representation.
            for runtime in self.locate.implementations(parent):
                target.reps.fragments.setdefault(runtime, reps)
                target.key_fields.setdefault(runtime, keys)
                target.rep_as[runtime] = parent
        fetched = self.plan_selection(
            target,
            target.selection.fragment(as_type),
            as_type,
            nodes,
            path,
            None,
            True,
        )
        return fetched | key_groups

    def add_requires(
        self, group: Group, parent: str, requires: str, path: tuple[str, ...]
    ) -> set[Group]:
        """Have the groups before ``group`` fetch what ``@requires`` asks, into its reps."""
        before = group.parent
        if before is None:
            raise PlanningError(f"@requires on a root field of {parent}")
        nodes = parse_fieldset(requires)
        groups: set[Group] = set()
        self.awaiting.add(group.id)
        try:
            self.plan_requires(group, parent, nodes, path, before, groups)
        finally:
            self.awaiting.discard(group.id)
        if not groups:
            raise PlanningError(f"no fetch before {group.service} selects {parent}")
        group.deps.update(g.id for g in groups if g is not group)
        return {g for g in groups if g is not group}

    def plan_requires(
        self,
        group: Group,
        parent: str,
        nodes: Sequence[SelectionNode],
        path: tuple[str, ...],
        before: Group,
        groups: set[Group],
    ) -> None:
        """Plan ``nodes`` in ``before`` and copy them into ``group``'s representations."""
        # On an interface object, the objects may be selected as each implementation.
        for data_type, parent_sel in list(group.parent_selections.items()):
            if data_type != parent and group.rep_as.get(data_type) != parent:
                continue
            before_top = (
                before.entity
                and before.path == path
                and (before.selection.fragments.get(data_type) is parent_sel)
            )
            groups |= self.plan_selection(
                before, parent_sel, data_type, nodes, path, None, before_top
            )
            reps = group.reps.fragment(data_type)
            reps.typename()
            self.copy_fieldset(reps, data_type, nodes)

    def copy_fieldset(
        self, target: SubSelection, type_name: str, nodes: Sequence[SelectionNode]
    ) -> None:
        """Add a field set to a representation shape (by field name; no aliases in keys)."""
        for node in nodes:
            if isinstance(node, FieldNode):
                # Representation shapes name a field by where it is read: see SubSelection.freeze.
                sub = target.field(node.name.value, internal_key(node, self.reused))
                if node.selection_set is not None:
                    info = self.sg.field(type_name, node.name.value)
                    child_type = named_type(info.type)[0] if info else type_name
                    schema_type = self.schema.type_map.get(child_type)
                    inner = sub.sub()
                    if isinstance(schema_type, GraphQLAbstractType):
                        inner.typename()
                    self.copy_fieldset(inner, child_type, node.selection_set.selections)
            elif isinstance(node, InlineFragmentNode):
                # Representations are cut by the objects' own __typename: a fragment on an
                # interface becomes one per object type it applies to.
                cond = node.type_condition.name.value if node.type_condition else None
                inner_nodes = node.selection_set.selections
                if not isinstance(self.schema.type_map.get(type_name), GraphQLAbstractType):
                    if applies_to(self.schema, cond, type_name):
                        self.copy_fieldset(target, type_name, inner_nodes)
                    continue
                for runtime in self.locate.implementations(type_name):
                    if applies_to(self.schema, cond, runtime):
                        self.copy_fieldset(target.fragment(runtime), runtime, inner_nodes)
