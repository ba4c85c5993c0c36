"""The supergraph as demand control reads it: each field's and input's weight, list-ness and
``@listSize``, looked up once per (type, field) and kept for the supergraph's lifetime."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from graphql import (
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLUnionType,
    ValueNode,
    get_named_type,
)

from gateway.demand._sized import SizedScope, sized_scope
from gateway.supergraph import ListSize, Supergraph

__all__ = ["CostSchema", "FieldCost", "InputCost"]


@dataclass(frozen=True)
class InputCost:
    """An argument or input field: its type, and its weight (its own ``@cost``, else its
    type's)."""

    name: str
    type_name: str
    input_object: bool
    weight: int | None


@dataclass(frozen=True)
class FieldCost:
    """An output field as the cost of a selection of it needs it."""

    name: str
    type_name: str  # the named type under lists and non-nulls
    is_list: bool
    composite: bool  # an object, interface or union: 1 by default, where scalars are 0
    weight: int | None  # the field's @cost, else its type's
    list_size: ListSize | None
    sized: SizedScope | None  # the list size's sizedFields
    arguments: Mapping[str, InputCost]
    # Argument defaults from the schema: a slicing argument the client leaves out has one.
    defaults: Mapping[str, ValueNode]
    requires: str | None  # the @requires field set the gateway fetches along


def _is_list(type_: GraphQLOutputType) -> bool:
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    return isinstance(inner, GraphQLList)


class CostSchema:
    """Lookups over one supergraph; an instance lives as long as the supergraph is served."""

    def __init__(self, supergraph: Supergraph) -> None:
        self.supergraph = supergraph
        # The whole supergraph, not the API schema: a field's @requires may select fields
        # clients cannot (@inaccessible), and the gateway fetches them all the same.
        self.schema = supergraph.schema
        self._fields: dict[tuple[str, str], FieldCost | None] = {}
        self._inputs: dict[tuple[str, str], InputCost | None] = {}

    def root(self, kind: str) -> str | None:
        return {
            "query": self.supergraph.query_type,
            "mutation": self.supergraph.mutation_type,
            "subscription": self.supergraph.subscription_type,
        }.get(kind)

    def _type_weight(self, name: str) -> int | None:
        info = self.supergraph.types.get(name)
        return info.cost if info else None

    def _input(self, name: str, type_: GraphQLInputType, own: int | None) -> InputCost:
        named = get_named_type(type_)
        return InputCost(
            name=name,
            type_name=named.name,
            input_object=isinstance(named, GraphQLInputObjectType),
            weight=own if own is not None else self._type_weight(named.name),
        )

    def field(self, parent: str, name: str) -> FieldCost | None:
        key = (parent, name)
        if key not in self._fields:
            self._fields[key] = self._field(parent, name)
        return self._fields[key]

    def _field(self, parent: str, name: str) -> FieldCost | None:
        parent_type = self.schema.type_map.get(parent)
        if not isinstance(parent_type, GraphQLObjectType | GraphQLInterfaceType):
            return None
        definition: GraphQLField | None = parent_type.fields.get(name)
        if definition is None:
            return None
        info = self.supergraph.field(parent, name)
        named = get_named_type(definition.type)
        own = info.cost if info else None
        list_size = info.list_size if info else None
        argument_costs = info.argument_costs if info else {}
        defaults = {
            arg_name: arg.ast_node.default_value
            for arg_name, arg in definition.args.items()
            if arg.ast_node is not None and arg.ast_node.default_value is not None
        }
        return FieldCost(
            name=name,
            type_name=named.name,
            is_list=_is_list(definition.type),
            composite=isinstance(
                named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType
            ),
            weight=own if own is not None else self._type_weight(named.name),
            list_size=list_size,
            sized=sized_scope(list_size.sized_fields) if list_size else None,
            arguments={
                arg_name: self._input(arg_name, arg.type, argument_costs.get(arg_name))
                for arg_name, arg in definition.args.items()
            },
            defaults=defaults,
            requires=next((s.requires for s in info.sources[:1] if s.requires), None)
            if info
            else None,
        )

    def input_field(self, type_name: str, name: str) -> InputCost | None:
        key = (type_name, name)
        if key not in self._inputs:
            input_type = self.schema.type_map.get(type_name)
            found = None
            if isinstance(input_type, GraphQLInputObjectType) and name in input_type.fields:
                info = self.supergraph.field(type_name, name)
                found = self._input(name, input_type.fields[name].type, info.cost if info else None)
            self._inputs[key] = found
        return self._inputs[key]
