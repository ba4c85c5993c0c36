"""Value types spread over subgraphs: reaching a keyless type's field another subgraph has.

A value type (no ``@key``) cannot be fetched by itself from another subgraph; its objects are
only ever reached by a path from something that can: an entity, or the root. When the
subgraph a fetch stands in lacks a field of a value type, the planner goes back up the path
it came down, to the nearest ancestor that another subgraph can be entered at (an entity it
has a key for, or the query root), and has that subgraph fetch the same path down again, with
the same response keys and arguments, and the field at its end. The executor's deep merge
puts both halves of the value together (lists item by item).

At the root this splits a ``@shareable`` root field whose selection spans subgraphs into one
root fetch per subgraph (``viewer { a b }``, ``a`` only in s1, ``b`` only in s2). A mutation's
root field is never sent twice: it runs once, where it runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    SelectionNode,
    SelectionSetNode,
)

from gateway.planner._groups import Group
from gateway.planner._hops import EntityHops
from gateway.planner._locate import PlanningError, Where
from gateway.planner._operation import CollectedField, Operation, parse_fieldset
from gateway.planner._selection import SubSelection
from gateway.supergraph import EntityKey, Supergraph

__all__ = ["Step", "ValueTypeReentry"]


@dataclass(frozen=True)
class Step:
    """One field on the planning path: ``cf`` of ``parent``, as ``group`` selects it in
    ``sel`` at ``path`` (what :meth:`GroupBuilder.plan_selection` was called with)."""

    group: Group
    sel: SubSelection
    parent: str
    cf: CollectedField
    path: tuple[str, ...]
    provided: Sequence[SelectionNode] | None
    top: bool


class ValueTypeReentry(EntityHops):
    """Re-entry through the nearest ancestor entity (or the root) for value-type fields."""

    def __init__(
        self, supergraph: Supergraph, operation: Operation, variables: Mapping[str, Any]
    ) -> None:
        super().__init__(supergraph, operation, variables)
        # The fields being planned, outermost first: the way back up from a value type.
        self.trail: list[Step] = []
        # The root groups, in order (the builder appends to them as it plans).
        self.roots: list[Group] = []

    def reenter(
        self, group: Group, parent: str, cf: CollectedField, path: tuple[str, ...]
    ) -> set[Group]:
        """Fetch ``parent.field`` (``parent`` a value type ``group`` cannot complete) from a
        subgraph entered at the nearest ancestor it can be entered at."""
        chain: list[Step] = []
        for step in reversed(self.trail):
            if step.group is not group:
                break  # the group's own path ends at its entity (or root) type
            chain.insert(0, step)
            below = [s.parent for s in chain[1:]] + [parent]
            if not group.entity and not step.path and step.parent == self.root_name():
                found = self.reenter_root(group, chain, below, parent, cf)
            else:
                found = self.reenter_entity(group, chain, below, parent, cf)
            if found is not None:
                return found
        raise PlanningError(
            f"no subgraph can resolve {parent}.{cf.name} by key, "
            f"nor by the path to it from an entity or the root"
        )

    def may_join_root(self, group: Group) -> bool:
        """Whether a root field planned now may join root ``group`` (see planner._defer)."""
        return True

    def root_name(self) -> str | None:
        return {
            "query": self.sg.query_type,
            "mutation": self.sg.mutation_type,
            "subscription": self.sg.subscription_type,
        }[self.operation.kind]

    def reenter_root(
        self,
        group: Group,
        chain: list[Step],
        below: list[str],
        parent: str,
        cf: CollectedField,
    ) -> set[Group] | None:
        if self.operation.kind != "query":
            return None  # a mutation runs once; a subscription is one stream
        root = chain[0].parent
        services = [
            s
            for s in self.sg.subgraphs
            if s != group.service and self.resolves_path(s, chain, parent, cf)
        ]
        if not services:
            return None
        reusable = [g for g in self.roots if g.service in services and self.may_join_root(g)]
        if reusable:
            target = reusable[0]
        else:
            service = min(services, key=self.locate.order.__getitem__)
            target = self.new_group(service, (), False, None)
            self.roots.append(target)
        nodes = self.path_down(chain, below, cf)
        return self.plan_selection(target, target.selection, root, nodes, (), None, False)

    def reenter_entity(
        self,
        group: Group,
        chain: list[Step],
        below: list[str],
        parent: str,
        cf: CollectedField,
    ) -> set[Group] | None:
        anchor = chain[0]
        entity = anchor.parent
        options: list[tuple[tuple[int, int, int], str, EntityKey]] = []
        for service in self.sg.subgraphs:
            if service == group.service or not self.resolves_path(service, chain, parent, cf):
                continue
            keys = self.sg.type(entity).resolvable_keys(service)
            local = [
                k
                for k in keys
                if self.locate.misses(
                    group.service, entity, parse_fieldset(k.fields), anchor.provided
                )
                == 0
            ]
            usable = local or list(keys)
            if usable:
                rank = (
                    0 if local else 1,
                    0 if (service, anchor.path) in group.children else 1,
                    self.locate.order[service],
                )
                options.append((rank, service, usable[0]))
        if not options:
            return None
        _, service, key = min(options, key=lambda o: o[0])
        nodes = self.path_down(chain, below, cf)
        return self.enter(
            group,
            anchor.sel,
            entity,
            entity,
            service,
            key.fields,
            nodes,
            anchor.path,
            anchor.provided,
            anchor.top,
        )

    def reaches(self, service: str, group: Group, parent: str, cf: CollectedField) -> bool:
        """Whether ``service`` could fetch ``parent.field`` for the objects ``group`` has:
        itself, through ``parent``'s key, or down the path from an ancestor it can be
        entered at (as :meth:`reenter` would)."""
        info = self.locate.field_info(parent, cf)
        if self.locate.where(service, parent, info, None) is not Where.LOCAL:
            return False
        if service == group.service or self.sg.type(parent).resolvable_keys(service):
            return True
        chain: list[Step] = []
        for step in reversed(self.trail):
            if step.group is not group:
                break
            chain.insert(0, step)
            at_root = not group.entity and not step.path and step.parent == self.root_name()
            if at_root and self.operation.kind != "query":
                return False
            if (at_root or self.sg.type(step.parent).resolvable_keys(service)) and (
                self.resolves_path(service, chain, parent, cf)
            ):
                return True
        return False

    def resolves_path(
        self, service: str, chain: list[Step], parent: str, cf: CollectedField
    ) -> bool:
        """Whether ``service`` resolves every field from the anchor down, and the field."""
        for step in chain:
            info = self.locate.field_info(step.parent, step.cf)
            if self.locate.where(service, step.parent, info, None) is not Where.LOCAL:
                return False
        info = self.locate.field_info(parent, cf)
        return self.locate.where(service, parent, info, None) is Where.LOCAL

    def path_down(
        self, chain: list[Step], below: list[str], cf: CollectedField
    ) -> tuple[SelectionNode, ...]:
        """The selection of the anchor's type that walks ``chain`` down to ``cf``: the same
        fields, arguments and response keys, each level typed as it was planned."""
        nodes: tuple[SelectionNode, ...] = tuple(cf.nodes)
        for step, type_name in zip(reversed(chain), reversed(below), strict=True):
            node = step.cf.first
            inner = InlineFragmentNode(
                type_condition=NamedTypeNode(name=NameNode(value=type_name)),
                directives=(),
                selection_set=SelectionSetNode(selections=nodes),
            )
            nodes = (
                FieldNode(
                    alias=node.alias,
                    name=node.name,
                    arguments=node.arguments,
                    directives=(),
                    selection_set=SelectionSetNode(selections=(inner,)),
                    # Kept: a client's field (with a location) keeps its response key.
                    loc=node.loc,
                ),
            )
        return nodes
