"""Typed records of one subgraph's schema, as composition reads it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from graphql import TypeNode, ValueNode

__all__ = [
    "ArgumentDef",
    "EnumValueDef",
    "FieldDef",
    "KeyDef",
    "OverrideDef",
    "SubgraphSchema",
    "TypeDef",
    "TypeKind",
    "top_level_fields",
]

TypeKind = Literal["OBJECT", "INTERFACE", "UNION", "ENUM", "INPUT_OBJECT", "SCALAR"]


@dataclass(frozen=True)
class ArgumentDef:
    name: str
    type: TypeNode
    default: ValueNode | None
    description: str | None
    inaccessible: bool


@dataclass(frozen=True)
class OverrideDef:
    from_subgraph: str
    label: str | None


@dataclass(frozen=True)
class FieldDef:
    """A field of an object, interface or input type in one subgraph."""

    name: str
    type: TypeNode
    description: str | None
    arguments: tuple[ArgumentDef, ...] = ()
    default: ValueNode | None = None  # input fields only
    external: bool = False
    shareable: bool = False
    requires: str | None = None
    provides: str | None = None
    override: OverrideDef | None = None
    inaccessible: bool = False
    deprecation: str | None = None  # the reason, when @deprecated


@dataclass(frozen=True)
class KeyDef:
    fields: str
    resolvable: bool


@dataclass(frozen=True)
class EnumValueDef:
    name: str
    description: str | None
    inaccessible: bool
    deprecation: str | None


@dataclass(frozen=True)
class TypeDef:
    """A named type as one subgraph defines it (definition and extensions folded together)."""

    name: str
    kind: TypeKind
    description: str | None
    fields: dict[str, FieldDef] = field(default_factory=dict)
    keys: tuple[KeyDef, ...] = ()
    interfaces: tuple[str, ...] = ()
    members: tuple[str, ...] = ()  # union members
    values: tuple[EnumValueDef, ...] = ()  # enum values
    shareable: bool = False  # @shareable on the type: every field is shareable
    extension: bool = False  # Federation 1 `extend type` with a key (the type's owner is elsewhere)
    interface_object: bool = False
    inaccessible: bool = False


@dataclass(frozen=True)
class SubgraphSchema:
    """One subgraph's SDL, read: its types with federation directives resolved."""

    name: str
    url: str
    federation2: bool
    types: dict[str, TypeDef]
    root_types: dict[str, str]  # "query" -> the subgraph's query type name, after renaming

    def is_key_field(self, type_name: str, field_name: str) -> bool:
        """Whether ``field_name`` is a top-level field of one of ``type_name``'s keys."""
        type_def = self.types.get(type_name)
        if type_def is None:
            return False
        return any(field_name in top_level_fields(key.fields) for key in type_def.keys)


def top_level_fields(field_set: str) -> set[str]:
    """The top-level field names of a field set such as ``"id sku owner { id }"``."""
    names: set[str] = set()
    depth = 0
    token = ""
    for char in field_set + " ":
        if char == "{":
            if token and depth == 0:
                names.add(token)
            token = ""
            depth += 1
        elif char == "}":
            depth -= 1
            token = ""
        elif char.isalnum() or char == "_":
            token += char
        else:
            if token and depth == 0:
                names.add(token)
            token = ""
    return names
