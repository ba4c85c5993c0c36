"""The actual cost of a response: the estimate's rules applied to what came back, lists
counted by their returned length (Apollo Router's ``by_response_shape``).

Each response field costs its weight (its ``@cost``, else its type's), or 1 for an object when
it has none, 0 for a scalar, enum or ``null``; a list the cost of each item; arguments count
once per field. A mutation's base cost is not part of it, as in Apollo.

Where Apollo looks response fields up by field name (missing every aliased field) and walks
every fragment whatever the object's type, this reads each response key once, by alias, and
skips fragments whose type condition the object's ``__typename`` (when asked) rules out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionNode

from gateway.demand._arguments import VariableScores, score_literal, score_value
from gateway.demand._schema import CostSchema, FieldCost
from gateway.planner import Operation, applies_to, included

__all__ = ["actual_cost"]

# The selections that apply to one object: (type they are selected on, the selections).
_Selections = list[tuple[str, Sequence[SelectionNode]]]


class _Walk:
    def __init__(
        self, schema: CostSchema, operation: Operation, variables: Mapping[str, Any]
    ) -> None:
        self.schema = schema
        self.operation = operation
        self.variables = variables

    def collect(
        self, selections: _Selections, value: Mapping[str, Any]
    ) -> dict[str, list[tuple[str, FieldNode]]]:
        """The field nodes of ``selections`` by response key, for the object ``value``."""
        typename = value.get("__typename")
        grouped: dict[str, list[tuple[str, FieldNode]]] = {}
        stack = [(parent, list(nodes)) for parent, nodes in reversed(selections)]
        seen: set[str] = set()
        while stack:
            parent, nodes = stack.pop()
            pending: list[tuple[str, list[SelectionNode]]] = []
            for node in nodes:
                if not included(node, self.variables):
                    continue
                if isinstance(node, FieldNode):
                    key = node.alias.value if node.alias else node.name.value
                    grouped.setdefault(key, []).append((parent, node))
                    continue
                if isinstance(node, InlineFragmentNode):
                    condition = node.type_condition.name.value if node.type_condition else None
                    body = node.selection_set.selections
                else:
                    assert isinstance(node, FragmentSpreadNode)
                    fragment = self.operation.fragments.get(node.name.value)
                    if fragment is None or node.name.value in seen:
                        continue
                    seen.add(node.name.value)
                    condition = fragment.type_condition.name.value
                    body = fragment.selection_set.selections
                if isinstance(typename, str) and not applies_to(
                    self.schema.schema, condition, typename
                ):
                    continue
                pending.append((condition or parent, list(body)))
            stack.extend(reversed(pending))
        return grouped

    def object(self, selections: _Selections, value: Mapping[str, Any]) -> float:
        cost = 0.0
        for key, entries in self.collect(selections, value).items():
            if key not in value:
                continue
            parent, first = entries[0]
            if first.name.value.startswith("__"):
                continue
            definition = self.schema.field(parent, first.name.value)
            if definition is None:
                continue  # a field the supergraph does not know: counted as free
            below: _Selections = [
                (definition.type_name, node.selection_set.selections)
                for _, node in entries
                if node.selection_set is not None
            ]
            cost += self.value(definition, below, value[key])
            cost += self.arguments(definition, first)
        return cost

    def value(self, definition: FieldCost, below: _Selections, value: Any) -> float:
        if isinstance(value, list):
            return sum(self.value(definition, below, item) for item in value)
        if isinstance(value, dict):
            weight = 1.0 if definition.weight is None else float(definition.weight)
            return weight + self.object(below, value)
        return float(definition.weight or 0)

    def arguments(self, definition: FieldCost, node: FieldNode) -> float:
        cost = 0.0
        variables: VariableScores = []
        for argument in node.arguments or ():
            input_cost = definition.arguments.get(argument.name.value)
            if input_cost is not None:
                cost += score_literal(self.schema, argument.value, input_cost, variables)
        for name, input_cost in variables:
            cost += score_value(self.schema, self.variables.get(name), input_cost)
        return cost


def actual_cost(
    schema: CostSchema,
    operation: Operation,
    data: Mapping[str, Any] | None,
    variables: Mapping[str, Any],
) -> float:
    """The cost of the ``data`` an execution of ``operation`` returned."""
    root = schema.root(operation.kind)
    if root is None or not isinstance(data, Mapping):
        return 0.0
    walk = _Walk(schema, operation, variables)
    return walk.object([(root, operation.definition.selection_set.selections)], data)
