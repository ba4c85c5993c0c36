"""The estimated (static) cost of an operation, Apollo Router's algorithm over the supergraph.

An operation costs 10 if it is a mutation, 0 otherwise, plus its fields. A field costs::

    instances * (its weight + the cost of its selections) + its arguments + its @requires

where the weight is the field's ``@cost`` (else its type's), else 1 for objects, interfaces
and unions and 0 for scalars and enums; ``instances`` is 1 for a field that is not a list,
else the size a ``@listSize`` gives (slicing arguments, else its assumed size, either its own
or its parent's through ``sizedFields``), else the configured default list size. Fragments
cost their fields (every type condition counts: the estimate is an upper bound), ``@skip``
and ``@include`` drop what they drop, ``__typename`` and introspection cost nothing.

An operation is compiled once (:func:`compile_operation`) into a :class:`CostFormula` whose
evaluation per request only reads the variables it depends on; one that depends on none is
a number. Fragment bodies are compiled once per context and evaluated once per request, so
spreading a fragment many times cannot make the estimate itself expensive.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    BooleanValueNode,
    FieldNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    SelectionNode,
    ValueNode,
    VariableNode,
)

from gateway.demand._arguments import (
    CostError,
    VariableScores,
    score_literal,
    score_value,
    slice_size,
)
from gateway.demand._schema import CostSchema, FieldCost
from gateway.demand._sized import SizedScope
from gateway.planner import Operation, parse_fieldset

__all__ = ["CostFormula", "compile_operation"]

# The base cost of a mutation: it writes (Apollo's table).
MUTATION_COST = 10.0

# (variable, the truth it must have) for each @skip/@include on a variable.
_Conditions = tuple[tuple[str, bool], ...]


@dataclass(eq=False)
class _Slice:
    """One ``@listSize`` at one selection of its field: the size it gives, per request."""

    paths: tuple[str, ...] | None
    require_one: bool
    assumed: int | None
    arguments: Mapping[str, ValueNode]  # the schema's defaults, overridden by the query's

    def size(self, variables: Mapping[str, Any]) -> int | None:
        if self.paths is None:
            return self.assumed
        sizes = [
            size
            for path in self.paths
            if (size := slice_size(self.arguments, path, variables)) is not None
        ]
        if self.require_one and len(sizes) != 1:
            raise CostError(f"Exactly one slicing argument is required, but found {len(sizes)}")
        return max(sizes) if sizes else self.assumed


@dataclass(eq=False)
class _Field:
    conditions: _Conditions
    is_list: bool
    # The list sizes that apply to this field when it is a list, strongest first: those that
    # size it through a parent's sizedFields, then its own and the ones passed down to it.
    from_parent: tuple[_Slice, ...]
    from_inherited: tuple[_Slice, ...]
    effective: tuple[_Slice, ...]
    weight: float
    children: tuple[_Node, ...]
    argument_cost: float
    argument_variables: tuple[tuple[str, Any], ...]
    requires: tuple[_Node, ...]


@dataclass(eq=False)
class _Group:
    """A fragment (inline or spread): its selections, under its own conditions."""

    conditions: _Conditions
    children: tuple[_Node, ...]


_Node = _Field | _Group
_Scoped = tuple[tuple[_Slice, SizedScope | None], ...]


@dataclass(frozen=True)
class CostFormula:
    """An operation's cost as a function of its variables."""

    base: float
    nodes: tuple[_Node, ...]
    default_list_size: int
    schema: CostSchema = field(repr=False)
    # The cost when it depends on no variable.
    static: float | None = None

    def evaluate(self, variables: Mapping[str, Any]) -> float:
        """The estimate for these (coerced) variables; raises :class:`CostError`."""
        if self.static is not None:
            return self.static
        return _Evaluation(self, variables).total()


class _Evaluation:
    def __init__(self, formula: CostFormula, variables: Mapping[str, Any]) -> None:
        self.formula = formula
        self.variables = variables
        self.memo: dict[int, float] = {}
        self.sizes: dict[int, int | None] = {}

    def total(self) -> float:
        try:
            cost = self.formula.base + sum(self.node(n) for n in self.formula.nodes)
        except RecursionError:
            raise CostError("Operation is too deeply nested to be costed.") from None
        return cost if math.isfinite(cost) else math.inf

    def holds(self, conditions: _Conditions) -> bool:
        return all(bool(self.variables.get(name)) is wanted for name, wanted in conditions)

    def size(self, list_size: _Slice) -> int | None:
        key = id(list_size)
        if key not in self.sizes:
            self.sizes[key] = list_size.size(self.variables)
        return self.sizes[key]

    def largest(self, slices: Iterable[_Slice]) -> int | None:
        sizes = [s for s in (self.size(list_size) for list_size in slices) if s is not None]
        return max(sizes) if sizes else None

    def instances(self, node: _Field) -> int:
        if not node.is_list:
            return 1
        for slices in (node.from_parent, node.from_inherited, node.effective):
            size = self.largest(slices)
            if size is not None:
                return max(size, 0)
        return self.formula.default_list_size

    def node(self, node: _Node) -> float:
        if not self.holds(node.conditions):
            return 0.0
        if isinstance(node, _Group):
            key = id(node)
            if key not in self.memo:
                self.memo[key] = sum(self.node(child) for child in node.children)
            return self.memo[key]
        cost = self.instances(node) * (node.weight + sum(self.node(c) for c in node.children))
        cost += node.argument_cost
        schema = self.formula.schema
        for name, input_cost in node.argument_variables:
            cost += score_value(schema, self.variables.get(name), input_cost)
        return cost + sum(self.node(r) for r in node.requires)


def _conditions(node: SelectionNode) -> _Conditions | None:
    """The variable conditions of a selection; ``None`` when a literal one drops it."""
    found: list[tuple[str, bool]] = []
    for directive in node.directives or ():
        name = directive.name.value
        if name not in ("skip", "include"):
            continue
        wanted = name == "include"
        for arg in directive.arguments or ():
            if arg.name.value != "if":
                continue
            if isinstance(arg.value, BooleanValueNode):
                if arg.value.value is not wanted:
                    return None
            elif isinstance(arg.value, VariableNode):
                found.append((arg.value.name.value, wanted))
    return tuple(found)


def _has_variable(value: ValueNode | None) -> bool:
    if isinstance(value, VariableNode):
        return True
    if isinstance(value, ListValueNode):
        return any(_has_variable(v) for v in value.values)
    if isinstance(value, ObjectValueNode):
        return any(_has_variable(f.value) for f in value.fields)
    return False


class _Compiler:
    def __init__(self, schema: CostSchema, operation: Operation) -> None:
        self.schema = schema
        self.operation = operation
        self.fragments: dict[tuple[object, ...], _Group] = {}
        self.dynamic = False  # whether any part reads a variable

    def selections(
        self,
        selections: Sequence[SelectionNode],
        parent: str,
        own: _Scoped,
        inherited: _Scoped,
    ) -> tuple[_Node, ...]:
        nodes: list[_Node] = []
        for selection in selections:
            conditions = _conditions(selection)
            if conditions is None:
                continue
            self.dynamic = self.dynamic or bool(conditions)
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if name.startswith("__"):
                    continue  # __typename, and introspection bounded by the schema
                nodes.append(self.field(selection, parent, own, inherited, conditions))
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                body = self.selections(
                    selection.selection_set.selections,
                    condition.name.value if condition else parent,
                    own,
                    inherited,
                )
                nodes.append(_Group(conditions, body))
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragment(selection.name.value, own, inherited)
                nodes.append(_Group(conditions, (fragment,)) if conditions else fragment)
        return tuple(nodes)

    def fragment(self, name: str, own: _Scoped, inherited: _Scoped) -> _Group:
        # A fragment's cost depends on where it is spread: which list sizes reach it, and
        # for each the level of its sizedFields paths reached there. Both are kept alive by
        # the formula (slices) and the supergraph (scopes), so their ids stay theirs.
        key = (
            name,
            *((id(s), id(scope)) for s, scope in own),
            None,
            *((id(s), id(scope)) for s, scope in inherited),
        )
        if key not in self.fragments:
            definition = self.operation.fragments.get(name)
            if definition is None:
                raise CostError(f"Parsed operation did not have a definition for fragment {name}")
            self.fragments[key] = _Group(
                (),
                self.selections(
                    definition.selection_set.selections,
                    definition.type_condition.name.value,
                    own,
                    inherited,
                ),
            )
        return self.fragments[key]

    def list_size(self, definition: FieldCost, node: FieldNode) -> _Slice:
        assert definition.list_size is not None
        arguments = dict(definition.defaults)
        arguments.update((arg.name.value, arg.value) for arg in node.arguments or ())
        paths = definition.list_size.slicing_arguments
        if paths is not None and any(
            _has_variable(arguments.get(path.split(".")[0])) for path in paths
        ):
            self.dynamic = True
        return _Slice(
            paths,
            definition.list_size.require_one_slicing_argument,
            definition.list_size.assumed_size,
            arguments,
        )

    def field(
        self,
        node: FieldNode,
        parent: str,
        own: _Scoped,
        inherited: _Scoped,
        conditions: _Conditions,
    ) -> _Field:
        name = node.name.value
        definition = self.schema.field(parent, name)
        if definition is None:
            raise CostError(
                f"Field {name} was found in query, but its type is missing from the schema."
            )
        descended: _Scoped = tuple(
            (list_size, below)
            for list_size, scope in own + inherited
            if scope is not None and (below := scope.descend(name)) is not None
        )
        mine: _Scoped = (
            ((self.list_size(definition, node), definition.sized),) if definition.list_size else ()
        )
        variables: VariableScores = []
        argument_cost = 0.0
        for argument in node.arguments or ():
            input_cost = definition.arguments.get(argument.name.value)
            if input_cost is None:
                raise CostError(
                    f"Argument {argument.name.value} of field {name} is missing a definition "
                    "in the schema"
                )
            argument_cost += score_literal(self.schema, argument.value, input_cost, variables)
        self.dynamic = self.dynamic or bool(variables)
        children: tuple[_Node, ...] = ()
        if node.selection_set is not None:
            children = self.selections(
                node.selection_set.selections, definition.type_name, mine, descended
            )
        requires: tuple[_Node, ...] = ()
        if definition.requires:
            # The gateway fetches what a field requires even when the client does not ask.
            requires = self.selections(parse_fieldset(definition.requires), parent, mine, ())
        if definition.weight is not None:
            weight = float(definition.weight)
        else:
            weight = 1.0 if definition.composite else 0.0
        return _Field(
            conditions=conditions,
            is_list=definition.is_list,
            from_parent=tuple(s for s, scope in own if scope and scope.is_leaf(name)),
            from_inherited=tuple(s for s, scope in inherited if scope and scope.is_leaf(name)),
            effective=tuple(s for s, _ in mine + descended),
            weight=weight,
            children=children,
            argument_cost=argument_cost,
            argument_variables=tuple(variables),
            requires=requires,
        )


def compile_operation(
    schema: CostSchema, operation: Operation, default_list_size: int
) -> CostFormula:
    """The cost formula of ``operation``; raises :class:`CostError` when it cannot be costed."""
    root = schema.root(operation.kind)
    if root is None:
        raise CostError(
            f"Cannot cost {operation.kind} operation because the schema does not support "
            "this root type"
        )
    compiler = _Compiler(schema, operation)
    try:
        nodes = compiler.selections(operation.definition.selection_set.selections, root, (), ())
    except RecursionError:
        raise CostError("Operation is too deeply nested to be costed.") from None
    base = MUTATION_COST if operation.kind == "mutation" else 0.0
    formula = CostFormula(base, nodes, default_list_size, schema)
    if compiler.dynamic:
        return formula
    # Nothing reads a variable: evaluate once (this also raises now what it always would).
    return CostFormula(base, nodes, default_list_size, schema, static=formula.evaluate({}))
