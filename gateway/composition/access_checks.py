"""Apollo's checks of the access-control directives, with its codes and messages: where a
subgraph may not apply them, and the fields whose ``@requires`` reaches data they do not ask
the caller's right to."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from graphql import (
    FieldNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)

from gateway.composition.access import DIRECTIVES, Terms, dnf_conjunction, print_requirement
from gateway.composition.errors import CompositionError
from gateway.composition.fieldsets import named_type
from gateway.composition.model import FieldDef, Requirement, SubgraphSchema
from gateway.composition.supergraph_model import MergedType

__all__ = ["check_access_directives", "check_transitive_requirements", "external_problems"]


# -- the transitive check of @requires --------------------------------------------------------


@dataclass(frozen=True)
class _Needs:
    """What an element of the supergraph asks of a caller."""

    authenticated: bool = False
    scopes: Terms | None = None
    policies: Terms | None = None

    def satisfies(self, other: _Needs | None) -> bool:
        if other is None:
            return True
        return (
            (self.authenticated or not other.authenticated)
            and _implies(self.scopes, other.scopes)
            and _implies(self.policies, other.policies)
        )


def _implies(first: Terms | None, second: Terms | None) -> bool:
    """Whether every AND-list of ``first`` contains one of ``second``'s."""
    firsts = first or ((),)
    seconds = second or ((),)
    return all(
        any(len(set(f)) >= len(set(s)) and set(s) <= set(f) for s in seconds) for f in firsts
    )


def _needs(access: Mapping[str, Requirement]) -> _Needs | None:
    if not access:
        return None
    scopes, policies = access.get("requiresScopes"), access.get("policy")
    return _Needs(
        "authenticated" in access,
        (scopes.terms or ()) if scopes else None,
        (policies.terms or ()) if policies else None,
    )


def _both(first: Terms | None, second: Terms | None) -> Terms | None:
    given = [t for t in (first, second) if t is not None]
    if not given:
        return None
    return tuple(tuple(t) for t in dnf_conjunction(given))


def check_transitive_requirements(
    types: Mapping[str, MergedType], requiring_fields: Iterable[str]
) -> list[CompositionError]:
    """Apollo's ``MISSING_TRANSITIVE_AUTH_REQUIREMENTS``: a field that ``@requires`` others
    must ask at least what they ask, or the gateway would fetch data for a caller who may
    not read it. ``requiring_fields`` are the coordinates of the fields with ``@requires``
    in the order Apollo checks them (subgraph by subgraph, in SDL order)."""
    errors: list[CompositionError] = []
    for at in requiring_fields:
        type_name, _, field_name = at.partition(".")
        type_def = types.get(type_name)
        field = type_def.fields.get(field_name) if type_def else None
        if type_def is None or field is None:
            continue
        requiring = [j for j in field.joins or () if j.requires is not None]
        if not requiring:
            continue
        own = _needs(type_def.access) or _Needs()
        on_field = _needs(field.access) or _Needs()
        needs = _Needs(
            own.authenticated or on_field.authenticated,
            _both(own.scopes, on_field.scopes),
            _both(own.policies, on_field.policies),
        )
        for join in requiring:
            assert join.requires is not None
            problem = _selection_problem(types, type_def.name, join.requires, needs)
            if problem is not None:
                errors.append(
                    CompositionError(
                        "MISSING_TRANSITIVE_AUTH_REQUIREMENTS",
                        f'Field "{at}" does not specify necessary @authenticated, '
                        "@requiresScopes and/or @policy auth requirements to access the "
                        f"{problem} from @requires selection set.",
                        subgraph=join.graph,
                        coordinate=at,
                    )
                )
    return errors


def _selection_problem(
    types: Mapping[str, MergedType], type_name: str, field_set: str, needs: _Needs
) -> str | None:
    try:
        document = parse("{" + field_set + "}")
    except GraphQLError:
        return None  # an invalid field set is reported by the @requires checks
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return _walk(types, type_name, operation.selection_set, needs)


def _walk(
    types: Mapping[str, MergedType], type_name: str, selections: SelectionSetNode, needs: _Needs
) -> str | None:
    parent = types.get(type_name)
    if parent is None:
        return None
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            field = parent.fields.get(selection.name.value)
            if field is None:
                continue
            target = named_type(field.type)
            returned = types.get(target)
            if not needs.satisfies(_needs(field.access)) or not needs.satisfies(
                _needs(returned.access) if returned else None
            ):
                return f'transitive field "{type_name}.{field.name}" data'
            if selection.selection_set is not None:
                problem = _walk(types, target, selection.selection_set, needs)
                if problem is not None:
                    return problem
        elif isinstance(selection, InlineFragmentNode):
            typed = selection.type_condition.name.value if selection.type_condition else None
            condition = types.get(typed) if typed else None
            if condition is not None and not needs.satisfies(_needs(condition.access)):
                return f'transitive data in inline fragment type condition "{typed}"'
            problem = _walk(types, typed or type_name, selection.selection_set, needs)
            if problem is not None:
                return problem
    return None


# -- checks of one subgraph -------------------------------------------------------------------


def check_access_directives(subgraph: SubgraphSchema) -> list[CompositionError]:
    """Apollo's ``AUTH_REQUIREMENTS_APPLIED_ON_INTERFACE``: requirements go on the objects,
    and composition gives each interface those of its implementations."""
    errors: list[CompositionError] = []
    for directive in DIRECTIVES:
        local = subgraph.directive_names.get(directive)
        if local is None:
            continue
        for type_name in subgraph.type_order:
            type_def = subgraph.types[type_name]
            misplaced: list[tuple[str, str]] = []
            on_interface = type_def.kind == "INTERFACE" or type_def.interface_object
            if on_interface and any(r.directive == directive for r in type_def.access):
                kind = "interface" if type_def.kind == "INTERFACE" else "interface object"
                misplaced.append((kind, type_name))
            if type_def.kind == "INTERFACE":
                misplaced += [
                    ("field", f"{type_name}.{field.name}")
                    for field in type_def.fields.values()
                    if any(r.directive == directive for r in field.access)
                ]
            errors += [
                CompositionError(
                    "AUTH_REQUIREMENTS_APPLIED_ON_INTERFACE",
                    f'Invalid use of @{local} on {kind} "{at}": @{local} cannot be applied on '
                    "interfaces, interface fields and interface objects",
                    subgraph=subgraph.name,
                    coordinate=at,
                )
                for kind, at in misplaced
            ]
    return errors


def external_problems(subgraph: SubgraphSchema, at: str, field: FieldDef) -> list[CompositionError]:
    """Apollo's ``MERGED_DIRECTIVE_APPLICATION_ON_EXTERNAL`` for the access directives: an
    external field is resolved elsewhere, where its requirements belong."""
    return [
        CompositionError(
            "MERGED_DIRECTIVE_APPLICATION_ON_EXTERNAL",
            "Cannot apply merged directive "
            f"{print_requirement(subgraph.directive_names.get(r.directive, r.directive), r)} "
            f'to external field "{at}"',
            subgraph=subgraph.name,
            coordinate=at,
        )
        for r in field.access
    ]
