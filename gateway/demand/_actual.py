"""The actual cost of a response: the estimate's rules applied to what came back, lists
counted by their returned length (Apollo Router's ``by_response_shape``).

Each response field costs its weight (its ``@cost``, else its type's), or 1 for an object when
it has none, 0 for a scalar, enum or ``null``; a list the cost of each item; arguments count
once per field. A mutation's base cost is not part of it, as in Apollo.

Where Apollo looks response fields up by field name (missing every aliased field) and walks
every fragment whatever the object's type, this reads each response key once, by alias, and
skips fragments whose type condition the object's ``__typename`` (when asked) rules out.

Every response is walked, so the walk is cheap: which fields an object of a type holds, with
their definitions, is worked out once per selection set, type and ``@skip``/``@include``
outcome, and kept with the operation; a walk then only looks keys up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionNode

from gateway.demand._arguments import VariableScores, score_literal, score_value
from gateway.demand._schema import CostSchema, FieldCost
from gateway.executor import Price
from gateway.planner import Operation, applies_to, included

__all__ = ["ActualMeter", "actual_cost"]

# The selections that apply to one object: (type they are selected on, the selections).
_Selections = tuple[tuple[str, Sequence[SelectionNode]], ...]
# One response key of an object that may cost something: (key, its cost as an object, as a
# scalar, the selections below it, its field and node when it has arguments).
_Entry = tuple[str, float, float, _Selections, tuple[FieldCost, FieldNode] | None]
_MISSING = object()

_PLANS = ("demand", "actual")
# Entries kept per operation (and @skip/@include outcomes): enough for every type real
# traffic shows, bounded against a client cycling through condition variables.
_MAX_PLANS = 256


@dataclass
class _Plans:
    """What a walk of an operation's responses works out once, kept with the operation: the
    entries of an object by ``@skip``/``@include`` outcome, then by (selections, typename).
    The selections are the long-lived tuples of the entries above them (and ``root``), so
    their identity is their key."""

    schema: CostSchema
    root: _Selections
    by_conditions: dict[tuple[bool, ...], dict[tuple[int, object], tuple[_Entry, ...]]] = field(
        default_factory=dict
    )


class _Walk:
    def __init__(
        self, schema: CostSchema, operation: Operation, variables: Mapping[str, Any]
    ) -> None:
        self.schema = schema
        self.operation = operation
        self.variables = variables
        plans = operation.derived.get(_PLANS)
        if not isinstance(plans, _Plans) or plans.schema is not schema:
            root = schema.root(operation.kind) or ""
            plans = _Plans(schema, ((root, operation.definition.selection_set.selections),))
            operation.derived[_PLANS] = plans
        self.root = plans.root
        conditions = operation.conditions(variables)
        found = plans.by_conditions.get(conditions)
        if found is None:
            found = {}
            if len(plans.by_conditions) < _MAX_PLANS:
                plans.by_conditions[conditions] = found
        self.plans = found
        self.arguments_of: dict[int, float] = {}

    def entries(self, selections: _Selections, typename: object) -> tuple[_Entry, ...]:
        key = (id(selections), typename)
        found = self.plans.get(key)
        if found is None:
            found = self._entries(selections, typename if isinstance(typename, str) else None)
            if len(self.plans) < _MAX_PLANS:
                self.plans[key] = found
        return found

    def _entries(self, selections: _Selections, typename: str | None) -> tuple[_Entry, ...]:
        grouped: dict[str, list[tuple[str, FieldNode]]] = {}
        seen: set[str] = set()
        pending = [(parent, list(nodes)) for parent, nodes in selections]
        while pending:
            parent, nodes = pending.pop(0)
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
                if typename is not None and not applies_to(self.schema.schema, condition, typename):
                    continue
                pending.append((condition or parent, list(body)))
        entries = []
        for key, occurrences in grouped.items():
            parent, first = occurrences[0]
            if first.name.value.startswith("__"):
                continue  # __typename and introspection cost nothing
            definition = self.schema.field(parent, first.name.value)
            if definition is None:
                continue  # a field the supergraph does not know: counted as free
            if not definition.composite and not definition.weight and not first.arguments:
                continue  # a scalar or enum without a weight: 0 whatever it holds
            below = tuple(
                (definition.type_name, node.selection_set.selections)
                for _, node in occurrences
                if node.selection_set is not None
            )
            weight = definition.weight
            entries.append(
                (
                    key,
                    1.0 if weight is None else float(weight),  # as an object
                    float(weight or 0),  # as a scalar, enum or null
                    below,
                    (definition, first) if first.arguments else None,
                )
            )
        return tuple(entries)

    def object(self, selections: _Selections, value: Mapping[str, Any]) -> float:
        cost = 0.0
        for key, as_object, as_leaf, below, arguments in self.entries(
            selections, value.get("__typename")
        ):
            found = value.get(key, _MISSING)
            if found is _MISSING:
                continue
            if isinstance(found, dict):
                cost += as_object + self.object(below, found)
            elif isinstance(found, list):
                cost += self.items(as_object, as_leaf, below, found)
            else:
                cost += as_leaf
            if arguments is not None:
                cost += self.arguments(*arguments)
        return cost

    def items(
        self, as_object: float, as_leaf: float, below: _Selections, items: list[Any]
    ) -> float:
        cost = 0.0
        for item in items:
            if isinstance(item, dict):
                cost += as_object + self.object(below, item)
            elif isinstance(item, list):
                cost += self.items(as_object, as_leaf, below, item)
            else:
                cost += as_leaf
        return cost

    def arguments(self, definition: FieldCost, node: FieldNode) -> float:
        found = self.arguments_of.get(id(node))
        if found is None:
            found = self.arguments_of[id(node)] = _arguments_cost(
                self.schema, definition, node, self.variables
            )
        return found


def _arguments_cost(
    schema: CostSchema, definition: FieldCost, node: FieldNode, values: Mapping[str, Any]
) -> float:
    """What the arguments ``node`` gives its field cost, its variables' ``values`` read."""
    cost = 0.0
    variables: VariableScores = []
    for argument in node.arguments or ():
        input_cost = definition.arguments.get(argument.name.value)
        if input_cost is not None:
            cost += score_literal(schema, argument.value, input_cost, variables)
    for name, input_cost in variables:
        cost += score_value(schema, values.get(name), input_cost)
    return cost


def actual_cost(
    schema: CostSchema,
    operation: Operation,
    data: Mapping[str, Any] | None,
    variables: Mapping[str, Any],
) -> float:
    """The cost of the ``data`` an execution of ``operation`` returned."""
    if schema.root(operation.kind) is None or not isinstance(data, Mapping):
        return 0.0
    walk = _Walk(schema, operation, variables)
    return walk.object(walk.root, data)


class ActualMeter:
    """The same cost, measured by the executor's shaper as it builds the response (one walk
    instead of two; ``gateway.executor.CostMeter``). Its prices are kept with the shapes;
    arguments are priced once per request, with its variables."""

    def __init__(self, schema: CostSchema, variables: Mapping[str, Any]) -> None:
        self.key: object = schema
        self.schema = schema
        self.variables = variables
        self.measured: float | None = None
        self._arguments: dict[int, float] = {}

    def price(self, parent: str, name: str, node: FieldNode) -> Price | None:
        if name.startswith("__"):
            return None  # __typename and introspection cost nothing
        definition = self.schema.field(parent, name)
        if definition is None:
            return None  # a field the supergraph does not know: counted as free
        if not definition.composite and not definition.weight and not node.arguments:
            return None  # a scalar or enum without a weight: 0 whatever it holds
        weight = definition.weight
        return Price(
            1.0 if weight is None else float(weight),
            float(weight or 0),
            (definition, node) if node.arguments else None,
        )

    def arguments(self, token: object) -> float:
        definition, node = cast(tuple[FieldCost, FieldNode], token)
        found = self._arguments.get(id(node))
        if found is None:
            found = self._arguments[id(node)] = _arguments_cost(
                self.schema, definition, node, self.variables
            )
        return found
