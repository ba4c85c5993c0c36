"""Check the field sets of ``@key``, ``@requires`` and ``@provides`` against a subgraph's types."""

from __future__ import annotations

from graphql import (
    FieldNode,
    GraphQLError,
    InlineFragmentNode,
    NamedTypeNode,
    OperationDefinitionNode,
    SelectionSetNode,
    TypeNode,
    parse,
)

from gateway.composition.model import SubgraphSchema

__all__ = ["field_set_problem", "named_type"]


def named_type(node: TypeNode) -> str:
    """The named type under any list and non-null wrappers."""
    while not isinstance(node, NamedTypeNode):
        node = node.type  # type: ignore[attr-defined]
    return node.name.value


def field_set_problem(subgraph: SubgraphSchema, type_name: str, field_set: str) -> str | None:
    """Why ``field_set`` does not select valid fields of ``type_name``, or None when it does."""
    try:
        document = parse("{" + field_set + "}")
    except GraphQLError as error:
        return f'field set "{field_set}" is not valid GraphQL: {error.message}'
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    if not operation.selection_set.selections:
        return "field set is empty"
    return _check(subgraph, type_name, operation.selection_set)


def _check(subgraph: SubgraphSchema, type_name: str, selection_set: SelectionSetNode) -> str | None:
    type_def = subgraph.types.get(type_name)
    if type_def is None:
        return f"type {type_name} is not defined in this subgraph"
    for selection in selection_set.selections:
        if isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            target = condition.name.value if condition else type_name
            problem = _check(subgraph, target, selection.selection_set)
        elif isinstance(selection, FieldNode):
            name = selection.name.value
            if name == "__typename":
                continue
            field_def = type_def.fields.get(name)
            if field_def is None:
                return f'field "{type_name}.{name}" does not exist'
            target = named_type(field_def.type)
            if selection.selection_set is not None:
                problem = _check(subgraph, target, selection.selection_set)
            elif subgraph.types.get(target) is not None and subgraph.types[target].kind in (
                "OBJECT",
                "INTERFACE",
                "UNION",
            ):
                problem = f'field "{type_name}.{name}" is an object and needs a selection'
            else:
                problem = None
        else:
            problem = "named fragments are not allowed in field sets"
        if problem:
            return problem
    return None
