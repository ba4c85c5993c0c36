"""The systems' codes as GraphQL enums: a connector's plain ``Enum``, described for the graph.

The connectors know nothing of GraphQL, so their records carry plain ``Enum`` members; a
subgraph makes one of those classes a GraphQL enum with :func:`graphql_enum`, described by the
class's docstring. The class stays the same object, so the members its records carry are the
GraphQL enum's values. Each class is registered once, in its subgraph's ``enums`` module, which
every use in the graph imports.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

import strawberry
from strawberry.types.enum import StrawberryEnumDefinition

__all__ = ["graphql_enum"]

E = TypeVar("E", bound=type[Enum])


def graphql_enum(cls: E, *, values: Mapping[str, str] | None = None) -> E:
    """``cls`` as a GraphQL enum described by its docstring; ``values`` describes members.

    Registering a class twice is a programming error (two subgraphs would disagree on it).
    """
    if hasattr(cls, "__strawberry_definition__"):
        raise TypeError(f"{cls.__name__} is a GraphQL enum already")
    description = (cls.__doc__ or "").strip()
    if not description:
        raise TypeError(f"{cls.__name__} needs a docstring to describe it in the graph")
    registered = strawberry.enum(cls, description=description)
    definition: StrawberryEnumDefinition = registered.__strawberry_definition__  # type: ignore[attr-defined]
    described = dict(values or {})
    unknown = sorted(set(described) - {value.name for value in definition.values})
    if unknown:
        raise ValueError(f"{cls.__name__} has no member {', '.join(unknown)}")
    for value in definition.values:
        if value.name in described:
            value.description = described[value.name]
    return registered
