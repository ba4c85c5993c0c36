"""The access-control specs in composition: ``@authenticated``, ``@requiresScopes`` and
``@policy`` read, merged and printed as ``@apollo/composition`` (2.14) does.

Subgraphs import them from ``https://specs.apollo.dev/federation/v2.5`` (``@policy`` from
v2.6) or link their specs themselves; the supergraph links each spec ``for: SECURITY`` and
applies them under the names the subgraphs gave them:

- an application written alike in every subgraph is printed as its first subgraph wrote it;
- different ones are merged by Apollo's ``DNF_CONJUNCTION``: every subgraph's requirement
  must hold, so the OR-of-AND-lists are multiplied out, each AND-list sorted and the
  AND-lists that another one implies dropped;
- an interface (and an interface field) gets the requirements of every object that
  implements it (and of their fields), since a caller reaching an object through its
  interface must meet the object's requirements; subgraphs may not write them on
  interfaces themselves.

Their checks are in :mod:`gateway.composition.access_checks`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from graphql import (
    EnumValueNode,
    ListValueNode,
    NullValueNode,
    ObjectFieldNode,
    ObjectValueNode,
    StringValueNode,
    ValueNode,
)

from gateway.composition.model import Requirement, SubgraphSchema
from gateway.composition.values import print_string, print_value

__all__ = [
    "DIRECTIVES",
    "SPECS",
    "AccessSpec",
    "Terms",
    "access_definition",
    "dnf_conjunction",
    "interface_additions",
    "merge_requirements",
    "print_requirement",
    "read_requirement",
]

Terms = tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class AccessSpec:
    """One access-control spec: its URL, its directive's argument and that argument's scalar
    (``requiresScopes__Scope``), and the federation version that brought it."""

    url: str
    argument: str | None
    scalar: str | None
    since: tuple[int, int]


# In the order the federation spec registers them: a subgraph's applications are gathered,
# and the supergraph's specs linked, in this order.
DIRECTIVES = ("authenticated", "requiresScopes", "policy")
SPECS = {
    "authenticated": AccessSpec("https://specs.apollo.dev/authenticated/v0.1", None, None, (2, 5)),
    "requiresScopes": AccessSpec(
        "https://specs.apollo.dev/requiresScopes/v0.1", "scopes", "Scope", (2, 5)
    ),
    "policy": AccessSpec("https://specs.apollo.dev/policy/v0.1", "policies", "Policy", (2, 6)),
}
_LOCATIONS = "FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM"


def read_requirement(directive: str, args: Mapping[str, ValueNode]) -> Requirement | None:
    """The application of ``directive`` with ``args``; ``None`` when its argument is missing.

    Raises ValueError for a null where the lists need a value (``[null]``), which Apollo
    refuses. Enum values read as the strings they spell, as Apollo reads a custom scalar.
    """
    argument = SPECS[directive].argument
    if argument is None:
        return Requirement(directive)
    value = args.get(argument)
    if value is None:
        return None
    value = _enums_as_strings(value)
    outer = value.values if isinstance(value, ListValueNode) else ()
    for item in outer:
        inner = item.values if isinstance(item, ListValueNode) else (item,)
        if any(isinstance(v, NullValueNode) for v in inner):
            raise ValueError("a null in a list of non-null values")
    return Requirement(directive, print_value(value), _terms(value))


def _enums_as_strings(value: ValueNode) -> ValueNode:
    if isinstance(value, EnumValueNode):
        return StringValueNode(value=value.value)
    if isinstance(value, ListValueNode):
        return ListValueNode(values=tuple(_enums_as_strings(v) for v in value.values))
    if isinstance(value, ObjectValueNode):
        return ObjectValueNode(
            fields=tuple(
                ObjectFieldNode(name=f.name, value=_enums_as_strings(f.value)) for f in value.fields
            )
        )
    return value


def _terms(value: ValueNode) -> Terms | None:
    """``[[String]]`` with GraphQL's list coercion (``"a"`` is ``[["a"]]``)."""
    outer = value.values if isinstance(value, ListValueNode) else (value,)
    terms = []
    for item in outer:
        inner = item.values if isinstance(item, ListValueNode) else (item,)
        if not all(isinstance(v, StringValueNode) for v in inner):
            return None
        terms.append(tuple(v.value for v in inner if isinstance(v, StringValueNode)))
    return tuple(terms)


# -- merging --------------------------------------------------------------------------------


def _code_units(text: str) -> bytes:
    """JavaScript's default sort compares UTF-16 code units."""
    return text.encode("utf-16-be", "surrogatepass")


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def dnf_conjunction(values: Sequence[Terms]) -> list[list[str]]:
    """The AND of several OR-of-AND-lists, step for step as Apollo's ``dnfConjunction``: the
    order of its result is what the supergraph prints."""
    if not values:
        return []
    copies = [[list(term) for term in value] or [[]] for value in values]
    filtered: list[list[list[str]]] = []
    seen: set[str] = set()
    for value in copies:
        for term in value:
            term.sort(key=_code_units)
        value.sort(key=lambda term: _code_units(_json(term)))
        key = _json(value)
        if key not in seen:
            seen.add(key)
            filtered.append(value)
    result = filtered[0]
    for current in filtered[1:]:
        products: list[list[str]] = []
        keys: set[str] = set()
        for left in result:
            for right in current:
                candidate = sorted([*left, *(e for e in right if e not in left)], key=_code_units)
                key = _json(candidate)
                if key not in keys:
                    keys.add(key)
                    products.append(candidate)
        result = _without_implied(products)
    return result


def _without_implied(terms: list[list[str]]) -> list[list[str]]:
    kept: list[list[str]] = []
    for candidate in sorted(terms, key=len):  # stable, as Array.prototype.sort is
        if not any(set(term) <= set(candidate) for term in kept):
            kept.append(candidate)
    return kept


def _print_terms(terms: Iterable[Iterable[str]]) -> str:
    return "[" + ", ".join("[" + ", ".join(map(print_string, t)) + "]" for t in terms) + "]"


def merge_requirements(applications: Sequence[Requirement]) -> Requirement:
    """One application from every subgraph's (all of one directive), in subgraph order.

    Raises ValueError when different applications cannot be merged because one is not
    made of strings (Apollo's composition throws a TypeError there).
    """
    distinct: list[Requirement] = []
    for application in applications:
        if all(application.value != seen.value for seen in distinct):
            distinct.append(application)
    if len(distinct) == 1:
        return distinct[0]
    terms = [application.terms for application in distinct]
    if any(t is None for t in terms):
        raise ValueError("its lists are not all lists of strings, which cannot be merged")
    merged = dnf_conjunction([t for t in terms if t is not None])
    return Requirement(distinct[0].directive, _print_terms(merged), tuple(tuple(t) for t in merged))


# -- printing -------------------------------------------------------------------------------


def print_requirement(name: str, requirement: Requirement) -> str:
    argument = SPECS[requirement.directive].argument
    if argument is None or requirement.value is None:
        return f"@{name}"
    return f"@{name}({argument}: {requirement.value})"


def access_definition(directive: str, name: str) -> str:
    spec = SPECS[directive]
    if spec.argument is None:
        return f"directive @{name} on {_LOCATIONS}"
    return f"directive @{name}({spec.argument}: [[{directive}__{spec.scalar}!]!]!) on {_LOCATIONS}"


# -- interfaces ----------------------------------------------------------------------------


def interface_additions(
    subgraphs: Sequence[SubgraphSchema],
) -> dict[tuple[str, str], list[Requirement]]:
    """The requirements an interface, or an interface's field, takes from its
    implementations, and an implementation's field from an @interfaceObject: (coordinate,
    directive) -> applications, in the order Apollo gathers them (subgraph by subgraph,
    directive by directive, in SDL order)."""
    interfaces_of: dict[str, list[str]] = {}
    implementations: dict[str, list[str]] = {}
    for subgraph in subgraphs:
        for type_def in subgraph.types.values():
            if type_def.kind != "OBJECT" or type_def.interface_object:
                continue
            for interface in type_def.interfaces:
                if interface not in interfaces_of.setdefault(type_def.name, []):
                    interfaces_of[type_def.name].append(interface)
                if type_def.name not in implementations.setdefault(interface, []):
                    implementations[interface].append(type_def.name)
    found: dict[tuple[str, str], list[Requirement]] = {}

    def add(at: str, requirement: Requirement) -> None:
        found.setdefault((at, requirement.directive), []).append(requirement)

    for subgraph in subgraphs:
        for directive in DIRECTIVES:
            for type_name in subgraph.type_order:
                type_def = subgraph.types[type_name]
                if type_def.kind != "OBJECT":
                    continue
                for requirement in type_def.access:
                    if requirement.directive == directive:
                        for interface in interfaces_of.get(type_name, ()):
                            add(interface, requirement)
                for field in type_def.fields.values():
                    if field.external:
                        continue
                    for requirement in field.access:
                        if requirement.directive != directive:
                            continue
                        if type_def.interface_object:
                            impls = implementations.get(type_name, [])
                            others = dict.fromkeys(
                                i for impl in impls for i in interfaces_of.get(impl, ())
                            )
                            others.pop(type_name, None)
                            for target in [*impls, *others]:
                                add(f"{target}.{field.name}", requirement)
                        else:
                            for interface in interfaces_of.get(type_name, ()):
                                add(f"{interface}.{field.name}", requirement)
    return found
