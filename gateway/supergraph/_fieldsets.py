"""Check a ``join__FieldSet`` (``@key``, ``@requires``, ``@provides``) against the supergraph."""

from __future__ import annotations

from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    is_composite_type,
    parse,
)

__all__ = ["field_set_problem"]


def field_set_problem(schema: GraphQLSchema, type_name: str, field_set: str) -> str | None:
    """Why ``field_set`` is not a selection on ``type_name``, or None when it is one.

    Only what a plan relies on is checked: it parses as a selection set, every field exists,
    composite fields have selections and leaves have none.
    """
    try:
        document = parse("{" + field_set + "}", no_location=True)
    except GraphQLError as error:
        return f'field set "{field_set}" does not parse: {error.message}'
    if len(document.definitions) != 1:
        return f'field set "{field_set}" is not one selection set'
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    problem = _check(schema, type_name, operation.selection_set)
    return f'field set "{field_set}": {problem}' if problem else None


def _check(schema: GraphQLSchema, type_name: str, selection_set: SelectionSetNode) -> str | None:
    parent = schema.get_type(type_name)
    if parent is None:
        return f"type {type_name} is not defined"
    if not selection_set.selections:
        return "empty selection"
    for selection in selection_set.selections:
        problem: str | None
        if isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            target = condition.name.value if condition else type_name
            problem = _check(schema, target, selection.selection_set)
        elif isinstance(selection, FieldNode):
            problem = _check_field(schema, parent.name, parent, selection)
        else:
            problem = "fragment spreads are not allowed"
        if problem:
            return problem
    return None


def _check_field(
    schema: GraphQLSchema, type_name: str, parent: object, node: FieldNode
) -> str | None:
    name = node.name.value
    if name == "__typename":
        return None if node.selection_set is None else "__typename has no fields"
    fields = parent.fields if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType) else {}
    field = fields.get(name)
    if field is None:
        return f"{type_name}.{name} does not exist"
    target = get_named_type(field.type)
    if node.selection_set is not None:
        if not is_composite_type(target):
            return f"{type_name}.{name} is a leaf and cannot have a selection"
        return _check(schema, target.name, node.selection_set)
    if is_composite_type(target):
        return f"{type_name}.{name} is of type {target.name} and needs a selection"
    return None
