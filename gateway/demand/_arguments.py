"""What arguments add to a cost, and the list sizes slicing arguments give (Apollo's rules).

An argument costs its weight (``@cost`` on it, else on its type), 0 without one; an input
object 1 unless weighed, plus its fields; a list the sum of its items (plus its weight);
``null`` nothing. A variable is scored on the value it was given.

A slicing argument (``first: 10``, ``ids: [...]``, or a dotted path into an input object such
as ``input.page.first``) gives the size of the list it slices: an integer as itself, a list by
its length. A negative size counts as 0: Apollo takes it as is, which would let a client
lower an operation's cost with ``first: -1000000``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    IntValueNode,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    ValueNode,
    VariableNode,
)

from gateway.demand._schema import CostSchema, InputCost

__all__ = ["CostError", "VariableScores", "score_literal", "score_value", "slice_size"]

# (variable name, the input it is given to): scored on the variable's value per request.
VariableScores = list[tuple[str, InputCost]]


class CostError(ValueError):
    """The cost of an operation cannot be computed (Apollo's ``COST_QUERY_PARSE_FAILURE``)."""


def _input_field(schema: CostSchema, input_cost: InputCost, name: str) -> InputCost:
    found = schema.input_field(input_cost.type_name, name)
    if found is None:
        raise CostError(
            f"Argument {name} was found in query, but its type ({input_cost.type_name}) "
            "was not found in the schema"
        )
    return found


def score_literal(
    schema: CostSchema, value: ValueNode, input_cost: InputCost, variables: VariableScores
) -> float:
    """The cost of a literal argument; its variables go to ``variables``, scored later."""
    if isinstance(value, ObjectValueNode) and input_cost.input_object:
        cost = float(1 if input_cost.weight is None else input_cost.weight)
        for field in value.fields:
            inner = _input_field(schema, input_cost, field.name.value)
            cost += score_literal(schema, field.value, inner, variables)
        return cost
    if isinstance(value, ListValueNode):
        cost = float(input_cost.weight or 0)
        for item in value.values:
            cost += score_literal(schema, item, input_cost, variables)
        return cost
    if isinstance(value, VariableNode):
        variables.append((value.name.value, input_cost))
        return 0.0
    if isinstance(value, NullValueNode):
        return 0.0
    return float(input_cost.weight or 0)


def score_value(schema: CostSchema, value: Any, input_cost: InputCost) -> float:
    """The cost of a variable's value given to ``input_cost``."""
    if isinstance(value, dict) and input_cost.input_object:
        cost = float(1 if input_cost.weight is None else input_cost.weight)
        for name, inner_value in value.items():
            cost += score_value(schema, inner_value, _input_field(schema, input_cost, name))
        return cost
    if isinstance(value, list):
        return float(input_cost.weight or 0) + sum(
            score_value(schema, item, input_cost) for item in value
        )
    if value is None:
        return 0.0
    return float(input_cost.weight or 0)


def _size_of_value(value: Any) -> int | None:
    if isinstance(value, list):
        return len(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def _size_of_literal(value: ValueNode | None, variables: Mapping[str, Any]) -> int | None:
    if isinstance(value, IntValueNode):
        return int(value.value)
    if isinstance(value, ListValueNode):
        return len(value.values)
    if isinstance(value, VariableNode):
        return _size_of_value(variables.get(value.name.value))
    return None


def slice_size(
    arguments: Mapping[str, ValueNode], path: str, variables: Mapping[str, Any]
) -> int | None:
    """The size slicing argument ``path`` gives, or ``None`` when it gives none."""
    name, *nested = path.split(".")
    value = arguments.get(name)
    if not nested:
        return _size_of_literal(value, variables)
    if isinstance(value, VariableNode):
        found: Any = variables.get(value.name.value)
        for segment in nested:
            found = found.get(segment) if isinstance(found, dict) else None
        return _size_of_value(found)
    node: ValueNode | None = value
    for segment in nested:
        if not isinstance(node, ObjectValueNode):
            return None
        node = next((f.value for f in node.fields if f.name.value == segment), None)
    return _size_of_literal(node, variables)
