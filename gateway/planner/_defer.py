"""``@defer``: which fragments are deferred, and the plan split into an initial part and one
part per deferred fragment.

The builder plans a deferred fragment where it stands, as it plans any selection, but under a
*defer context* (the part's index): every group a field lands in is marked with the context
it was planned in. A group that fields of the initial response use, or that such a group
depends on, belongs to the initial part; the others go to the first deferred part that needs
them (the later ones that need them too wait for it). So the initial part has only the
fetches it needs, and each deferred part's fetches run once the initial part is done, on its
data (an entity's key fetched initially, for instance).

A deferred field that the same fetch as an initial field can answer (the same subgraph, at the
same place) is fetched with the initial part and sent with its deferred part: a fetch is never
split in two for ``@defer``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionNode,
    StringValueNode,
    VariableNode,
)

from gateway.planner._groups import Group
from gateway.planner._nodes import DeferredPart, QueryPlan
from gateway.planner._operation import Operation, applies_to, included
from gateway.planner._reentry import ValueTypeReentry
from gateway.planner._selection import SubSelection
from gateway.planner._tree import arrange

__all__ = [
    "INITIAL",
    "DeferringHops",
    "Fragment",
    "defer_directive",
    "defer_key",
    "defer_label",
    "deferred_by_key",
    "deferred_fragments",
    "deferred_nodes",
    "fragment_body",
    "is_deferred",
    "split_plan",
]

INITIAL = -1

Fragment = InlineFragmentNode | FragmentSpreadNode


def defer_directive(node: SelectionNode) -> DirectiveNode | None:
    for directive in node.directives or ():
        if directive.name.value == "defer":
            return directive
    return None


def is_deferred(node: SelectionNode, variables: Mapping[str, Any], kind: str = "query") -> bool:
    """Whether ``node`` is a fragment its ``@defer`` defers (``if`` true or left out).

    Subscriptions never defer (validation refuses an ``@defer`` there unless ``if: false``).
    """
    if kind == "subscription" or not isinstance(node, Fragment):
        return False
    directive = defer_directive(node)
    if directive is None:
        return False
    for arg in directive.arguments or ():
        if arg.name.value != "if":
            continue
        if isinstance(arg.value, BooleanValueNode):
            return arg.value.value
        if isinstance(arg.value, VariableNode):
            return variables.get(arg.value.name.value) is not False
    return True


def defer_key(node: SelectionNode) -> int:
    """A deferred fragment's identity that survives copies of the document's nodes (as
    authorization makes) and a new parse of the same text: where its ``@defer`` starts."""
    directive = defer_directive(node)
    assert directive is not None and directive.loc is not None
    return directive.loc.start


def defer_label(node: SelectionNode) -> str | None:
    directive = defer_directive(node)
    for arg in directive.arguments or () if directive else ():
        if arg.name.value == "label" and isinstance(arg.value, StringValueNode):
            return arg.value.value
    return None


def deferred_by_key(operation: Operation, variables: Mapping[str, Any]) -> dict[int, Fragment]:
    """The fragments of ``operation`` that are deferred, by :func:`defer_key`."""
    found: dict[int, Fragment] = {}
    stack: list[Iterable[SelectionNode]] = [operation.definition.selection_set.selections]
    stack.extend(f.selection_set.selections for f in operation.fragments.values())
    while stack:
        for node in stack.pop():
            if isinstance(node, Fragment) and is_deferred(node, variables, operation.kind):
                found[defer_key(node)] = node
            selection_set = getattr(node, "selection_set", None)
            if selection_set is not None:
                stack.append(selection_set.selections)
    return found


def deferred_nodes(operation: Operation, variables: Mapping[str, Any]) -> frozenset[int]:
    """The ids of the fragment nodes of ``operation`` that are deferred."""
    return frozenset(id(node) for node in deferred_by_key(operation, variables).values())


def fragment_body(
    node: Fragment, fragments: Mapping[str, FragmentDefinitionNode]
) -> tuple[str | None, Sequence[SelectionNode]] | None:
    """A fragment's type condition and selections (``None`` for an unknown named fragment)."""
    if isinstance(node, InlineFragmentNode):
        cond = node.type_condition.name.value if node.type_condition else None
        return cond, node.selection_set.selections
    fragment = fragments.get(node.name.value)
    if fragment is None:
        return None
    return fragment.type_condition.name.value, fragment.selection_set.selections


def deferred_fragments(
    schema: GraphQLSchema,
    selections: Iterable[SelectionNode],
    type_name: str,
    operation: Operation,
    variables: Mapping[str, Any],
    deferred: frozenset[int],
) -> list[Fragment]:
    """The deferred fragments that apply to an object of ``type_name`` at this level: directly
    in ``selections`` or in fragments (not deferred themselves) that are spread there."""
    out: list[Fragment] = []
    _deferred_in(schema, selections, type_name, operation, variables, deferred, out, set())
    return out


def _deferred_in(
    schema: GraphQLSchema,
    selections: Iterable[SelectionNode],
    type_name: str,
    operation: Operation,
    variables: Mapping[str, Any],
    deferred: frozenset[int],
    out: list[Fragment],
    visited: set[str],
) -> None:
    for node in selections:
        if not isinstance(node, Fragment) or not included(node, variables):
            continue
        body = fragment_body(node, operation.fragments)
        if body is None or not applies_to(schema, body[0], type_name):
            continue
        if id(node) in deferred:
            out.append(node)
            continue
        if isinstance(node, FragmentSpreadNode):
            if node.name.value in visited:
                continue
            visited.add(node.name.value)
        _deferred_in(schema, body[1], type_name, operation, variables, deferred, out, visited)


@dataclasses.dataclass
class _Part:
    key: int
    label: str | None
    path: tuple[str, ...]
    type_name: str
    parent: int


class DeferringHops(ValueTypeReentry):
    """The builder's bookkeeping of defer contexts: which part each group serves."""

    def __init__(self, supergraph: Any, operation: Operation, variables: Mapping[str, Any]) -> None:
        super().__init__(supergraph, operation, variables)
        self.deferred = self.locate.deferred = deferred_nodes(operation, variables)
        self.context = INITIAL
        self.parts: list[_Part] = []
        self.part_index: dict[tuple[int, tuple[str, ...]], int] = {}
        # Per group id: the contexts whose fields it fetches.
        self.marks: dict[int, set[int]] = {}
        # Per root group id: the context it was opened in (root fields join only those).
        self.root_context: dict[int, int] = {}

    def new_group(
        self, service: str, path: tuple[str, ...], entity: bool, parent: Group | None
    ) -> Group:
        group = super().new_group(service, path, entity, parent)
        self.mark(group)
        if parent is None:
            self.root_context[group.id] = self.context
        return group

    def may_join_root(self, group: Group) -> bool:
        return self.root_context.get(group.id) == self.context

    def mark(self, group: Group) -> None:
        self.marks.setdefault(group.id, set()).add(self.context)

    def deferred_here(self, selections: Sequence[SelectionNode], type_name: str) -> list[Fragment]:
        if not self.deferred:
            return []
        return deferred_fragments(
            self.schema, selections, type_name, self.operation, self.variables, self.deferred
        )

    @contextmanager
    def deferring(self, node: Fragment, path: tuple[str, ...], type_name: str) -> Iterator[None]:
        """Plan what is inside under the context of ``node``'s part at ``path``."""
        at = (defer_key(node), path)
        index = self.part_index.get(at)
        if index is None:
            index = self.part_index[at] = len(self.parts)
            self.parts.append(_Part(at[0], defer_label(node), path, type_name, self.context))
        outer, self.context = self.context, index
        try:
            yield
        finally:
            self.context = outer

    def fragment_selections(self, node: Fragment) -> Sequence[SelectionNode]:
        body = fragment_body(node, self.operation.fragments)
        return () if body is None else body[1]

    def plan_deferred(
        self,
        group: Group,
        sel: SubSelection,
        type_name: str,
        selections: Sequence[SelectionNode],
        path: tuple[str, ...],
        provided: Sequence[SelectionNode] | None,
        top: bool,
    ) -> set[Group]:
        """Plan the deferred fragments at this level, each under its own context."""
        groups: set[Group] = set()
        for node in self.deferred_here(selections, type_name):
            body = fragment_body(node, self.operation.fragments)
            assert body is not None
            with self.deferring(node, path, type_name):
                groups |= self.plan_selection(group, sel, type_name, body[1], path, provided, top)
        return groups


def split_plan(builder: DeferringHops, roots: list[Group], operation: Operation) -> QueryPlan:
    """The plan of the builder's groups: the initial part, then one per deferred fragment."""
    if not builder.parts:
        return QueryPlan(arrange(builder.groups, roots, operation))
    needs = {g.id: set(builder.marks.get(g.id, {INITIAL})) for g in builder.groups}
    # What a group is needed for, its dependencies are needed for (latest groups first: a
    # group's dependencies were made before it).
    for group in sorted(builder.groups, key=lambda g: -g.id):
        for dep in group.deps:
            needs[dep] |= needs[group.id]
    owner = {gid: (INITIAL if INITIAL in n else min(n)) for gid, n in needs.items()}

    def node_of(part: int) -> Any:
        members = [g for g in builder.groups if owner[g.id] == part]
        ids = {g.id for g in members}
        copies = [dataclasses.replace(g, deps={d for d in g.deps if d in ids}) for g in members]
        if part == INITIAL:
            starts = [c for c in copies if c.id in {r.id for r in roots}]
        else:
            starts = [c for c in copies if not c.deps]
        return arrange(copies, starts, operation)

    parts = []
    for index, part in enumerate(builder.parts):
        after = sorted(
            {
                owner[dep]
                for g in builder.groups
                if owner[g.id] == index
                for dep in g.deps
                if owner[dep] not in (INITIAL, index)
            }
        )
        parts.append(
            DeferredPart(
                key=part.key,
                label=part.label,
                path=part.path,
                type_name=part.type_name,
                parent=None if part.parent == INITIAL else part.parent,
                node=node_of(index),
                after=tuple(after),
            )
        )
    return QueryPlan(node_of(INITIAL), tuple(parts))
