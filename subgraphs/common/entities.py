"""Checking ``_entities`` representations before a ``resolve_reference`` sees them.

A representation is ``{"__typename": ..., <key fields>}``. One that is not an object, names a
type that is not an entity of the subgraph, lacks the fields of every key of its type, or has
a key value its field's scalar refuses (``{"sku": 5}`` for ``sku: String!``) is the caller's
mistake: it becomes a ``BadUserInput`` at ``_entities.<index>``, and the other
representations of the request still resolve.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import strawberry.federation
from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
    get_named_type,
    parse,
)
from graphql.language import OperationDefinitionNode
from strawberry.federation.schema_directives import Key
from strawberry.types.base import StrawberryObjectDefinition

from subgraphs.common.errors import BadUserInput

__all__ = ["EntityKeys", "Representations"]


@dataclass(frozen=True, slots=True)
class EntityKeys:
    """What a representation of one entity type must carry: the fields of one of its keys."""

    typename: str
    # The top-level fields of each key, e.g. (("id",),) or (("sku",), ("region", "number")).
    keys: tuple[tuple[str, ...], ...]
    # The scalar of each top-level key field, to check (and coerce) a representation's value.
    scalars: Mapping[str, GraphQLScalarType]
    # The representation fields ``resolve_reference`` takes; None: every field of the type.
    accepted: frozenset[str] | None

    def check(self, index: int, representation: Mapping[str, Any]) -> dict[str, Any]:
        """The representation to resolve, key values coerced; ``BadUserInput`` if unusable."""
        where = f"representations[{index}] ({self.typename})"
        if not any(all(field in representation for field in key) for key in self.keys):
            needed = " or ".join(", ".join(key) for key in self.keys)
            raise BadUserInput(f"{where} lacks its key field(s): {needed}")
        checked: dict[str, Any] = {"__typename": self.typename}
        for field, value in representation.items():
            if field == "__typename" or (self.accepted is not None and field not in self.accepted):
                continue
            scalar = self.scalars.get(field)
            if scalar is not None:
                value = _coerce(where, field, scalar, value)
            checked[field] = value
        return checked


def _coerce(where: str, field: str, scalar: GraphQLScalarType, value: Any) -> Any:
    if value is None:
        raise BadUserInput(f"{where}: key field {field} must not be null")
    try:
        return scalar.parse_value(value)
    except (GraphQLError, TypeError, ValueError) as error:
        message = error.message if isinstance(error, GraphQLError) else str(error)
        raise BadUserInput(f"{where}: key field {field}: {message}") from None


class Representations:
    """The entity types of one schema and their keys, read once when the schema is built."""

    def __init__(self, schema: strawberry.federation.Schema) -> None:
        graphql_schema = schema._schema
        union = graphql_schema.get_type("_Entity")
        names = [t.name for t in union.types] if isinstance(union, GraphQLUnionType) else []
        self._entities: dict[str, EntityKeys] = {}
        for name in names:
            graphql_type = graphql_schema.get_type(name)
            definition = schema.get_type_by_name(name)
            assert isinstance(graphql_type, GraphQLObjectType)
            assert isinstance(definition, StrawberryObjectDefinition)
            keys = tuple(
                _top_level_fields(str(directive.fields))
                for directive in definition.directives or ()
                if isinstance(directive, Key)
            )
            scalars: dict[str, GraphQLScalarType] = {}
            for key in keys:
                for field in key:
                    named = _field_type(graphql_type, field)
                    if isinstance(named, GraphQLScalarType):
                        scalars[field] = named
            self._entities[name] = EntityKeys(
                typename=name,
                keys=keys,
                scalars=scalars,
                accepted=_accepted(
                    graphql_type, getattr(definition.origin, "resolve_reference", None)
                ),
            )

    @property
    def typenames(self) -> list[str]:
        return sorted(self._entities)

    def check(self, index: int, representation: object) -> dict[str, Any]:
        """``representation`` ready for Strawberry's entity resolver, or ``BadUserInput``."""
        where = f"representations[{index}]"
        if not isinstance(representation, Mapping):
            raise BadUserInput(f"{where} must be an object with __typename and key fields")
        typename = representation.get("__typename")
        if typename is None:
            raise BadUserInput(f"{where} has no __typename")
        entity = self._entities.get(typename) if isinstance(typename, str) else None
        if entity is None:
            raise BadUserInput(
                f"{where} has __typename {typename!r}, which is not an entity of this subgraph"
                f" (entities: {', '.join(self.typenames)})"
            )
        return entity.check(index, representation)


def _top_level_fields(field_set: str) -> tuple[str, ...]:
    """``"id"`` -> ``("id",)``; ``"number region { code }"`` -> ``("number", "region")``."""
    document = parse(f"{{ {field_set} }}")
    [operation] = document.definitions
    assert isinstance(operation, OperationDefinitionNode)
    return tuple(
        node.name.value
        for node in operation.selection_set.selections
        if isinstance(node, FieldNode)
    )


def _field_type(graphql_type: GraphQLObjectType, field: str) -> GraphQLNamedType | None:
    definition = graphql_type.fields.get(field)
    return None if definition is None else get_named_type(definition.type)


def _accepted(
    graphql_type: GraphQLObjectType, resolve_reference: Callable[..., Any] | None
) -> frozenset[str] | None:
    """The representation fields to pass on: what ``resolve_reference`` takes, or without
    one, the type's own fields (Strawberry builds the object from them)."""
    if resolve_reference is None:
        return frozenset(graphql_type.fields)
    parameters = inspect.signature(resolve_reference).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return frozenset(p.name for p in parameters if p.name != "info")
