"""The client's operation: pick it, evaluate ``@skip``/``@include``, collect its fields."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionNode,
    VariableNode,
    parse,
)

__all__ = [
    "CollectedField",
    "Operation",
    "OperationError",
    "applies_to",
    "collect_fields",
    "parse_fieldset",
    "select_operation",
]


class OperationError(ValueError):
    """The document names no operation that can be run (unknown or ambiguous name)."""


@dataclass(frozen=True)
class Operation:
    """One executable operation of a document, with the document's fragments."""

    document: DocumentNode
    definition: OperationDefinitionNode
    fragments: Mapping[str, FragmentDefinitionNode]
    # What stages derive from the operation once and reuse for every request that runs it
    # (the executor's collected fields per object type); the operation is cached with its
    # parsed document, so this lives as long as the document does.
    derived: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)
    # The selections authorization took out (``gateway.authorization``), by node id: the
    # fields they alone would answer are answered null. Empty for an operation its caller
    # may see whole.
    withheld: frozenset[int] = field(default=frozenset(), compare=False, repr=False)

    @property
    def kind(self) -> str:
        return self.definition.operation.value

    @property
    def name(self) -> str | None:
        return self.definition.name.value if self.definition.name else None

    def condition_variables(self) -> tuple[str, ...]:
        """Variables used by ``@skip``/``@include``: their values are part of the plan key."""
        return self._condition_variables

    def conditions(self, variables: Mapping[str, Any]) -> tuple[bool, ...]:
        """The ``@skip``/``@include`` variables' truth values: what selections may depend on."""
        return tuple(bool(variables.get(n)) for n in self._condition_variables)

    @cached_property
    def _condition_variables(self) -> tuple[str, ...]:
        found: set[str] = set()
        _condition_variables(self.definition.selection_set.selections, self.fragments, found, set())
        return tuple(sorted(found))

    def reused_keys(self) -> frozenset[str]:
        """Response keys the client gives to something other than the bare field of that name.

        ``{ id: name }`` or ``{ weight(unit: "g") }``: a key or required field the planner adds
        must not take such a key, or it would overwrite (or be overwritten by) the client's.
        """
        found: set[str] = set()
        _reused_keys(self.definition.selection_set.selections, found)
        for fragment in self.fragments.values():
            _reused_keys(fragment.selection_set.selections, found)
        return frozenset(found)


def _reused_keys(selections: Iterable[SelectionNode], found: set[str]) -> None:
    for selection in selections:
        if isinstance(selection, FieldNode):
            name = selection.name.value
            key = selection.alias.value if selection.alias else name
            if key != name or selection.arguments:
                found.add(key)
        selection_set = getattr(selection, "selection_set", None)
        if selection_set is not None:
            _reused_keys(selection_set.selections, found)


def _condition_variables(
    selections: Iterable[SelectionNode],
    fragments: Mapping[str, FragmentDefinitionNode],
    found: set[str],
    seen: set[str],
) -> None:
    for selection in selections:
        for directive in selection.directives or ():
            if directive.name.value in ("skip", "include", "defer"):
                for arg in directive.arguments or ():
                    if isinstance(arg.value, VariableNode):
                        found.add(arg.value.name.value)
        if isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in seen or name not in fragments:
                continue
            seen.add(name)
            _condition_variables(fragments[name].selection_set.selections, fragments, found, seen)
        elif isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set:
            _condition_variables(selection.selection_set.selections, fragments, found, seen)


def select_operation(document: DocumentNode, operation_name: str | None) -> Operation:
    """The operation to run, per the GraphQL spec's GetOperation."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    if operation_name is None:
        if len(operations) != 1:
            raise OperationError(
                "Must provide operation name if query contains multiple operations."
            )
        return Operation(document, operations[0], fragments)
    for operation in operations:
        if operation.name and operation.name.value == operation_name:
            return Operation(document, operation, fragments)
    raise OperationError(f"Unknown operation named '{operation_name}'.")


def _flag(directive: DirectiveNode, variables: Mapping[str, Any]) -> bool:
    for arg in directive.arguments or ():
        if arg.name.value != "if":
            continue
        if isinstance(arg.value, BooleanValueNode):
            return arg.value.value
        if isinstance(arg.value, VariableNode):
            return bool(variables.get(arg.value.name.value))
    return False


def included(node: SelectionNode, variables: Mapping[str, Any]) -> bool:
    """Whether ``@skip``/``@include`` keep a selection."""
    for directive in node.directives or ():
        name = directive.name.value
        if name == "skip" and _flag(directive, variables):
            return False
        if name == "include" and not _flag(directive, variables):
            return False
    return True


def applies_to(schema: GraphQLSchema, condition: str | None, type_name: str) -> bool:
    """Whether a fragment on ``condition`` applies to an object of type ``type_name``."""
    if condition is None or condition == type_name:
        return True
    cond = schema.type_map.get(condition)
    obj = schema.type_map.get(type_name)
    if isinstance(cond, GraphQLAbstractType) and isinstance(obj, GraphQLObjectType):
        return schema.is_sub_type(cond, obj)
    return False


@dataclass(frozen=True)
class CollectedField:
    """All the field nodes that share one response key at one object."""

    key: str
    name: str
    nodes: tuple[FieldNode, ...]

    @property
    def first(self) -> FieldNode:
        return self.nodes[0]

    @property
    def data_key(self) -> str:
        """The key subgraphs answer this field under, in the data the executor merges.

        The response key, except for another field aliased ``__typename``: the gateway
        reads every object's type from ``__typename``, so that field is fetched aside.
        """
        if self.key == "__typename" and self.name != "__typename":
            return "_client___typename"
        return self.key

    def sub_selections(self) -> list[SelectionNode]:
        out: list[SelectionNode] = []
        for node in self.nodes:
            if node.selection_set is not None:
                out.extend(node.selection_set.selections)
        return out


def collect_fields(
    schema: GraphQLSchema,
    selections: Iterable[SelectionNode],
    type_name: str,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    exclude: frozenset[int] = frozenset(),
) -> list[CollectedField]:
    """CollectFields of the GraphQL spec for an object of (concrete) type ``type_name``;
    without the selections whose node ids are in ``exclude`` (and what is under them)."""
    grouped: dict[str, list[FieldNode]] = {}
    _collect(schema, selections, type_name, fragments, variables, grouped, set(), exclude)
    return [
        CollectedField(key, nodes[0].name.value, tuple(nodes)) for key, nodes in grouped.items()
    ]


def _collect(
    schema: GraphQLSchema,
    selections: Iterable[SelectionNode],
    type_name: str,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    grouped: dict[str, list[FieldNode]],
    visited: set[str],
    exclude: frozenset[int] = frozenset(),
) -> None:
    for selection in selections:
        if not included(selection, variables) or (exclude and id(selection) in exclude):
            continue
        if isinstance(selection, FieldNode):
            key = selection.alias.value if selection.alias else selection.name.value
            grouped.setdefault(key, []).append(selection)
        elif isinstance(selection, InlineFragmentNode):
            cond = selection.type_condition.name.value if selection.type_condition else None
            if applies_to(schema, cond, type_name):
                _collect(
                    schema,
                    selection.selection_set.selections,
                    type_name,
                    fragments,
                    variables,
                    grouped,
                    visited,
                    exclude,
                )
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if name in visited or fragment is None:
                continue
            visited.add(name)
            if applies_to(schema, fragment.type_condition.name.value, type_name):
                _collect(
                    schema,
                    fragment.selection_set.selections,
                    type_name,
                    fragments,
                    variables,
                    grouped,
                    visited,
                    exclude,
                )


@lru_cache(maxsize=4096)
def parse_fieldset(fields: str) -> Sequence[SelectionNode]:
    """The selections of a ``join__FieldSet`` such as ``"id org { id }"``."""
    document = parse("{" + fields + "}", no_location=True)
    definition = document.definitions[0]
    assert isinstance(definition, OperationDefinitionNode)
    return definition.selection_set.selections
