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
    "ListSizeDef",
    "OverrideDef",
    "Requirement",
    "SubgraphSchema",
    "TypeDef",
    "TypeKind",
    "top_level_fields",
]

TypeKind = Literal["OBJECT", "INTERFACE", "UNION", "ENUM", "INPUT_OBJECT", "SCALAR"]


@dataclass(frozen=True)
class ListSizeDef:
    """``@listSize`` as one subgraph applies it: ``None`` for an argument it does not give.

    ``written`` keeps the names of the arguments given, in the order given: a directive
    merged from one application is printed as written, as Apollo prints it.
    """

    assumed_size: int | None = None
    slicing_arguments: tuple[str, ...] | None = None
    sized_fields: tuple[str, ...] | None = None
    require_one_slicing_argument: bool | None = None
    written: tuple[str, ...] = ()


@dataclass(frozen=True)
class Requirement:
    """One application of an access-control directive (``@authenticated``,
    ``@requiresScopes``, ``@policy``), by its canonical name.

    ``value`` is its one argument as Apollo prints it (``None`` for ``@authenticated``):
    an application is printed as written when every subgraph writes it alike. ``terms`` is
    that argument read as an OR of AND-lists, coerced as GraphQL coerces a lone value to a
    list; ``None`` when it is not made of strings, and then it cannot be merged.
    """

    directive: str
    value: str | None = None
    terms: tuple[tuple[str, ...], ...] | None = None


@dataclass(frozen=True)
class ArgumentDef:
    name: str
    type: TypeNode
    default: ValueNode | None
    description: str | None
    inaccessible: bool
    cost: int | None = None  # ``@cost(weight:)``
    # Canonical names of the merged directives applied (inaccessible, deprecated, cost,
    # listSize), in the order written: the supergraph prints them in first-seen order.
    directives: tuple[str, ...] = ()


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
    cost: int | None = None
    list_size: ListSizeDef | None = None
    directives: tuple[str, ...] = ()  # as on ArgumentDef
    access: tuple[Requirement, ...] = ()  # its access-control directives, as written


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
    directives: tuple[str, ...] = ()  # as on ArgumentDef


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
    cost: int | None = None  # on objects, enums and scalars
    directives: tuple[str, ...] = ()  # as on ArgumentDef
    access: tuple[Requirement, ...] = ()  # as on FieldDef


@dataclass(frozen=True)
class SubgraphSchema:
    """One subgraph's SDL, read: its types with federation directives resolved."""

    name: str
    url: str
    federation2: bool
    types: dict[str, TypeDef]
    root_types: dict[str, str]  # "query" -> the subgraph's query type name, after renaming
    # The federation version it links (Federation 1: 2.0, as Apollo upgrades it).
    federation_version: tuple[int, int] = (2, 0)
    # Merged spec directives it applies (inaccessible, cost, listSize), canonical name -> the
    # name this subgraph gives it, in the order the spec defines them: the supergraph links
    # each spec in the order its directives are first seen.
    directive_names: dict[str, str] = field(default_factory=dict)
    # The URL of the link each of those comes from (a federation or a spec URL).
    directive_urls: dict[str, str] = field(default_factory=dict)
    # Its type names in the order its SDL defines them (``types`` is sorted by name): Apollo
    # gathers access-control applications for interfaces in that order.
    type_order: tuple[str, ...] = ()

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
