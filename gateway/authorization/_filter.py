"""Take out of an operation the selections its caller may not see, as Apollo Router does.

A field goes when its own requirement, or that of the type it returns (through lists and
non-null), is not met; on a root type, the root type's requirement too. A fragment (inline or
spread) goes when its type condition's requirement is not met. A selection set left with
nothing takes its field with it (no error of its own: its fields have theirs). ``__typename``
always stays, and root introspection (``__schema``, ``__type``) is not filtered.

Each removal is an ``UNAUTHORIZED_FIELD_OR_TYPE`` error at Apollo Router's path: response keys,
``"@"`` for each list level (a list field's own path ends in its ``"@"``), ``"... on T"`` for a
fragment. Every decision depends only on the node and its static type, never on where a
fragment is spread, so a fragment is walked once and its removals hold at every spread.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    Node,
    SelectionNode,
    SelectionSetNode,
)

from gateway.planner import Operation, included
from gateway.supergraph import Authorization, Requirement
from gateway.wire import GraphQLError

__all__ = ["MAX_ERRORS", "UNAUTHORIZED", "Filtered", "filter_operation", "requirements_of"]

UNAUTHORIZED = "UNAUTHORIZED_FIELD_OR_TYPE"
_MESSAGE = "Unauthorized field or type"
# Errors one response carries at most: a fragment spread under many fields would otherwise
# repeat its paths without bound. Removal does not stop at the cap, only the reporting.
MAX_ERRORS = 100

Path = list[str | int]
_ROOT_INTROSPECTION = ("__schema", "__type")


@dataclass(frozen=True)
class Filtered:
    """An operation with what its caller may not see taken out (something always is)."""

    # What is planned and costed: the client's operation less the removed selections.
    operation: Operation
    # What the response is shaped to: the client's operation, the removed selections
    # withheld (what they alone answer is null, so null propagates as for any field).
    shaping: Operation
    errors: tuple[GraphQLError, ...]
    # The removed selections, by their place in the document: part of the plan cache key.
    signature: tuple[int, ...]
    # Whether no root field is left: nothing to fetch.
    empty: bool

    def error_list(self) -> list[GraphQLError]:
        """Fresh copies of the errors, for one response."""
        return [
            {**e, "path": list(e["path"]), "extensions": dict(e["extensions"])} for e in self.errors
        ]


def _unwrap(type_: GraphQLOutputType) -> tuple[GraphQLNamedType, int]:
    depth = 0
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        if isinstance(type_, GraphQLList):
            depth += 1
        type_ = type_.of_type
    return type_, depth


def requirements_of(
    schema: GraphQLSchema, authorization: Authorization, operation: Operation
) -> tuple[Requirement, ...]:
    """Every distinct requirement the operation meets, skipped selections included, in the
    order first met: what an identity's verdict is taken over."""
    found: dict[Requirement, None] = {}
    seen: set[str] = set()
    roots = _root_names(schema)

    def add(requirement: Requirement | None) -> None:
        if requirement:
            found.setdefault(requirement, None)

    def walk(selections: Sequence[SelectionNode], parent: GraphQLNamedType) -> None:
        for selection in selections:
            if isinstance(selection, FieldNode):
                if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
                    continue
                definition = parent.fields.get(selection.name.value)
                if definition is None:
                    continue
                inner, _ = _unwrap(definition.type)
                add(authorization.of_field(parent.name, selection.name.value))
                add(authorization.of_type(inner.name))
                if parent.name in roots:
                    add(authorization.of_type(parent.name))
                if selection.selection_set is not None:
                    walk(selection.selection_set.selections, inner)
            elif isinstance(selection, InlineFragmentNode):
                target = parent
                if selection.type_condition is not None:
                    target = schema.type_map.get(selection.type_condition.name.value, parent)
                    add(authorization.of_type(target.name))
                walk(selection.selection_set.selections, target)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = operation.fragments.get(name)
                if fragment is None or name in seen:
                    continue
                seen.add(name)
                target = schema.type_map.get(fragment.type_condition.name.value, parent)
                add(authorization.of_type(target.name))
                walk(fragment.selection_set.selections, target)

    root = schema.get_root_type(operation.definition.operation)
    if root is not None:
        walk(operation.definition.selection_set.selections, root)
    return tuple(found)


def _root_names(schema: GraphQLSchema) -> frozenset[str]:
    roots = (schema.query_type, schema.mutation_type, schema.subscription_type)
    return frozenset(r.name for r in roots if r is not None)


# What walking a selection set gives: whether anything is left, and the errors' paths
# relative to it.
_Walked = tuple[bool, list[Path]]


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        authorization: Authorization,
        operation: Operation,
        variables: Mapping[str, Any],
        allowed: Callable[[Requirement], bool],
    ) -> None:
        self.schema = schema
        self.authorization = authorization
        self.operation = operation
        self.variables = variables
        self.allowed = allowed
        self.roots = _root_names(schema)
        # ids of the removed selection nodes (fields, fragments, spreads).
        self.removed: set[int] = set()
        self.fragments: dict[str, _Walked] = {}

    def ok(self, requirement: Requirement | None) -> bool:
        return not requirement or self.allowed(requirement)

    def selections(self, selections: Sequence[SelectionNode], parent: GraphQLNamedType) -> _Walked:
        left = False
        errors: list[Path] = []
        for selection in selections:
            if not included(selection, self.variables):
                left = True  # kept as sent: skipped when it runs, as the client asked
                continue
            if isinstance(selection, FieldNode):
                kept, found = self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                kept, found = self.inline_fragment(selection, parent)
            elif isinstance(selection, FragmentSpreadNode):
                kept, found = self.spread(selection, parent)
            else:  # pragma: no cover - no other selection kind exists
                continue
            left = left or kept
            # Bounded as it goes: a fragment spread under fragments spread under … would
            # otherwise multiply its paths at every level.
            if found and len(errors) < MAX_ERRORS:
                errors.extend(found[: MAX_ERRORS - len(errors)])
        return left, errors

    def field(self, node: FieldNode, parent: GraphQLNamedType) -> _Walked:
        name = node.name.value
        if name == "__typename" or (name in _ROOT_INTROSPECTION and parent.name in self.roots):
            return True, []
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return True, []
        definition = parent.fields.get(name)
        if definition is None:  # not valid: validation refused it already
            return True, []
        inner, depth = _unwrap(definition.type)
        here: Path = [node.alias.value if node.alias else name, *(["@"] * depth)]
        authorization = self.authorization
        if not (
            self.ok(authorization.of_field(parent.name, name))
            and self.ok(authorization.of_type(inner.name))
            and (parent.name not in self.roots or self.ok(authorization.of_type(parent.name)))
        ):
            self.remove(node)
            return False, [here]
        if node.selection_set is None:
            return True, []
        left, errors = self.selections(node.selection_set.selections, inner)
        errors = [here + path for path in errors]
        if not left:
            self.remove(node)
        return left, errors

    def inline_fragment(self, node: InlineFragmentNode, parent: GraphQLNamedType) -> _Walked:
        target = parent
        if node.type_condition is not None:
            target = self.schema.type_map.get(node.type_condition.name.value, parent)
            if not self.ok(self.authorization.of_type(target.name)):
                self.removed.add(id(node))
                return False, [[f"... on {target.name}"]]
        left, errors = self.selections(node.selection_set.selections, target)
        if not left:
            self.removed.add(id(node))
        return left, errors

    def spread(self, node: FragmentSpreadNode, parent: GraphQLNamedType) -> _Walked:
        name = node.name.value
        fragment = self.operation.fragments.get(name)
        if fragment is None:
            return True, []
        target = self.schema.type_map.get(fragment.type_condition.name.value, parent)
        if not self.ok(self.authorization.of_type(target.name)):
            self.removed.add(id(node))
            return False, [[f"... on {target.name}"]]
        walked = self.fragments.get(name)
        if walked is None:
            walked = self.fragments[name] = self.selections(
                fragment.selection_set.selections, target
            )
        if not walked[0]:
            self.removed.add(id(node))
        return walked

    def remove(self, node: FieldNode) -> None:
        self.removed.add(id(node))


def _ordinals(operation: Operation) -> dict[int, int]:
    """Each selection node of the document by its place, in document order."""
    out: dict[int, int] = {}
    stack: list[SelectionSetNode] = [operation.definition.selection_set]
    stack.extend(f.selection_set for f in operation.fragments.values())
    while stack:
        for selection in stack.pop(0).selections:
            out[id(selection)] = len(out)
            selection_set = getattr(selection, "selection_set", None)
            if selection_set is not None:
                stack.append(selection_set)
    return out


_N = TypeVar("_N", bound=Node)


def _with_selection_set(node: _N, selection_set: SelectionSetNode) -> _N:
    """A copy of ``node`` with another selection set (graphql-core's nodes are read-only)."""
    values = {key: getattr(node, key) for key in node.keys}
    values["selection_set"] = selection_set
    return type(node)(**values)


def _without(selection_set: SelectionSetNode, removed: set[int]) -> SelectionSetNode:
    """``selection_set`` less the ``removed`` nodes, copied only where something changed."""
    kept: list[SelectionNode] = []
    changed = False
    for selection in selection_set.selections:
        if id(selection) in removed:
            changed = True
            continue
        inner = getattr(selection, "selection_set", None)
        if inner is not None:
            rebuilt = _without(inner, removed)
            if rebuilt is not inner:
                selection = _with_selection_set(selection, rebuilt)
                changed = True
        kept.append(selection)
    if not changed:
        return selection_set
    return SelectionSetNode(selections=tuple(kept), loc=selection_set.loc)


def filter_operation(
    schema: GraphQLSchema,
    authorization: Authorization,
    operation: Operation,
    variables: Mapping[str, Any],
    allowed: Callable[[Requirement], bool],
) -> Filtered | None:
    """``operation`` filtered for a caller whose requirements ``allowed`` decides (``variables``
    decide ``@skip``/``@include``); ``None`` when nothing is removed."""
    root = schema.get_root_type(operation.definition.operation)
    if root is None:
        return None
    walk = _Walk(schema, authorization, operation, variables, allowed)
    left, paths = walk.selections(operation.definition.selection_set.selections, root)
    if not walk.removed:
        return None
    errors: list[GraphQLError] = []
    seen: set[tuple[str | int, ...]] = set()
    for path in paths:
        if tuple(path) in seen:
            continue
        seen.add(tuple(path))
        errors.append({"message": _MESSAGE, "path": path, "extensions": {"code": UNAUTHORIZED}})
        if len(errors) == MAX_ERRORS:
            break
    ordinals = _ordinals(operation)
    definition = _with_selection_set(
        operation.definition, _without(operation.definition.selection_set, walk.removed)
    )
    fragments: dict[str, FragmentDefinitionNode] = {}
    for name, fragment in operation.fragments.items():
        selection_set = _without(fragment.selection_set, walk.removed)
        if selection_set.selections:
            if selection_set is not fragment.selection_set:
                fragment = _with_selection_set(fragment, selection_set)
            fragments[name] = fragment
    document = DocumentNode(definitions=(definition, *fragments.values()))
    return Filtered(
        operation=Operation(document, definition, fragments),
        shaping=Operation(
            operation.document,
            operation.definition,
            operation.fragments,
            withheld=frozenset(walk.removed),
        ),
        errors=tuple(errors),
        signature=tuple(sorted(ordinals[i] for i in walk.removed if i in ordinals)),
        empty=not left,
    )
