"""Read the federation auth directives out of a supergraph: ``@authenticated``,
``@requiresScopes`` and ``@policy`` (``https://specs.apollo.dev/authenticated/v0.1``,
``requiresScopes/v0.1``, ``policy/v0.1``), under the names their ``@link`` gives them.

What a type or field asks of a caller is a :class:`Requirement`; :class:`Authorization` holds
them all, folded so a reader needs no schema walk: an interface asks what it asks itself and
what every type implementing it asks, and an interface's field what each implementation's
field asks. Apollo's composition writes the same into the supergraph it composes; folding it
here again keeps a supergraph composed otherwise from letting a field through an interface
that one implementation guards.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from graphql import (
    ConstDirectiveNode,
    DocumentNode,
    GraphQLInterfaceType,
    GraphQLSchema,
    ListValueNode,
    StringValueNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    ValueNode,
    print_ast,
)

from gateway.supergraph._links import SpecNames

__all__ = [
    "NO_AUTHORIZATION",
    "AnyOf",
    "Authorization",
    "Requirement",
    "UnreadableRequirement",
    "read_authorization",
]


class UnreadableRequirement(ValueError):
    """A directive's argument that is not lists of strings (``[[1]]``, ``null``, an object):
    read as asking nothing it would let everyone through, so the supergraph is refused."""


# One ``scopes:`` or ``policies:`` argument: met when every name of one of its sets is held.
AnyOf = tuple[frozenset[str], ...]


def _met(any_of: AnyOf, held: frozenset[str]) -> bool:
    return any(names <= held for names in any_of)


def _union(a: tuple[AnyOf, ...], b: tuple[AnyOf, ...]) -> tuple[AnyOf, ...]:
    return a + tuple(x for x in b if x not in a)


@dataclass(frozen=True)
class Requirement:
    """What a caller must have to see an element: each part must hold (AND).

    ``scopes`` and ``policies`` hold one :data:`AnyOf` per directive applied (or folded in):
    ``@requiresScopes(scopes: [["a", "b"], ["c"]])`` is ``({"a", "b"}, {"c"})``, (a AND b) OR c.
    """

    authenticated: bool = False
    scopes: tuple[AnyOf, ...] = ()
    policies: tuple[AnyOf, ...] = ()

    def __bool__(self) -> bool:
        return self.authenticated or bool(self.scopes) or bool(self.policies)

    def __and__(self, other: Requirement) -> Requirement:
        if not other:
            return self
        if not self:
            return other
        return Requirement(
            self.authenticated or other.authenticated,
            _union(self.scopes, other.scopes),
            _union(self.policies, other.policies),
        )

    @property
    def policy_names(self) -> frozenset[str]:
        return frozenset(name for any_of in self.policies for names in any_of for name in names)

    def met(self, authenticated: bool, scopes: frozenset[str], policies: frozenset[str]) -> bool:
        """Whether a caller (authenticated or not, with ``scopes``, granted ``policies``) may
        see the element."""
        if self.authenticated and not authenticated:
            return False
        return all(_met(s, scopes) for s in self.scopes) and all(
            _met(p, policies) for p in self.policies
        )


@dataclass(frozen=True)
class Authorization:
    """Every requirement of a supergraph, by type and by field (folded, see the module)."""

    types: Mapping[str, Requirement] = field(default_factory=dict)
    fields: Mapping[str, Mapping[str, Requirement]] = field(default_factory=dict)
    # The directives' local names in the supergraph (``@authenticated``, …) that it applies.
    applied: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        """Whether the supergraph applies any auth directive: without, nothing is checked."""
        return bool(self.types) or bool(self.fields)

    def of_type(self, name: str) -> Requirement | None:
        return self.types.get(name)

    def of_field(self, parent: str, name: str) -> Requirement | None:
        fields = self.fields.get(parent)
        return fields.get(name) if fields is not None else None

    @property
    def policies(self) -> frozenset[str]:
        """Every policy name the supergraph's ``@policy`` directives use."""
        names: set[str] = set()
        for requirement in self.types.values():
            names |= requirement.policy_names
        for fields in self.fields.values():
            for requirement in fields.values():
                names |= requirement.policy_names
        return frozenset(names)


NO_AUTHORIZATION = Authorization()


def _strings(value: ValueNode) -> frozenset[str]:
    """An inner list, coerced as GraphQL input: a lone string is a list of one."""
    if isinstance(value, StringValueNode):
        return frozenset({value.value})
    if isinstance(value, ListValueNode) and all(
        isinstance(v, StringValueNode) for v in value.values
    ):
        return frozenset(v.value for v in value.values if isinstance(v, StringValueNode))
    raise UnreadableRequirement(print_ast(value))


def _any_of(value: ValueNode | None) -> AnyOf:
    """``[[String!]!]!`` as GraphQL input coercion reads it: ``"a"`` is ``[["a"]]``.
    Anything else (a number, ``null``, an object) raises :class:`UnreadableRequirement`."""
    if value is None:
        raise UnreadableRequirement("no value")
    if isinstance(value, ListValueNode):
        return tuple(_strings(v) for v in value.values)
    return (_strings(value),)


class _Reader:
    def __init__(self, names: SpecNames) -> None:
        authenticated = names.feature("authenticated")
        scopes = names.feature("requiresScopes")
        policy = names.feature("policy")
        self.authenticated = authenticated.directive("authenticated") if authenticated else None
        self.scopes = scopes.directive("requiresScopes") if scopes else None
        self.policy = policy.directive("policy") if policy else None
        self.applied: set[str] = set()

    def requirement(
        self, directives: Iterable[ConstDirectiveNode] | None, where: str
    ) -> Requirement:
        """What ``directives`` (of the element ``where`` names) ask, together."""
        required = Requirement()
        for directive in directives or ():
            name = directive.name.value
            if name not in (self.authenticated, self.scopes, self.policy):
                continue
            self.applied.add(f"@{name}")
            try:
                required = required & self._one(directive, name)
            except UnreadableRequirement as error:
                raise UnreadableRequirement(
                    f"@{name} on {where}: its argument must be lists of strings, not {error}"
                ) from None
        return required

    def _one(self, directive: ConstDirectiveNode, name: str) -> Requirement:
        if name == self.authenticated:
            return Requirement(authenticated=True)
        args = {a.name.value: a.value for a in directive.arguments or ()}
        argument = "scopes" if name == self.scopes else "policies"
        # An empty list asks nothing, as Apollo Router reads it.
        any_of = _any_of(args.get(argument))
        if not any_of:
            return Requirement()
        if argument == "scopes":
            return Requirement(scopes=(any_of,))
        return Requirement(policies=(any_of,))


def read_authorization(
    document: DocumentNode, names: SpecNames, schema: GraphQLSchema
) -> Authorization:
    """The auth requirements of a supergraph ``document`` (``schema`` built from it)."""
    reader = _Reader(names)
    if reader.authenticated is None and reader.scopes is None and reader.policy is None:
        return NO_AUTHORIZATION
    types: dict[str, Requirement] = {}
    fields: dict[str, dict[str, Requirement]] = defaultdict(dict)
    for definition in document.definitions:
        if not isinstance(definition, TypeDefinitionNode | TypeExtensionNode):
            continue
        name = definition.name.value
        own = reader.requirement(definition.directives, name)
        if own:
            types[name] = types.get(name, Requirement()) & own
        for field_node in getattr(definition, "fields", None) or ():
            required = reader.requirement(field_node.directives, f"{name}.{field_node.name.value}")
            if required:
                fields[name][field_node.name.value] = required
    _fold_interfaces(schema, types, fields)
    return Authorization(
        types=types,
        fields={parent: dict(by_name) for parent, by_name in fields.items() if by_name},
        applied=tuple(sorted(reader.applied)),
    )


def _fold_interfaces(
    schema: GraphQLSchema,
    types: dict[str, Requirement],
    fields: dict[str, dict[str, Requirement]],
) -> None:
    """An interface asks what its implementations ask, and so does each of its fields."""
    for interface in schema.type_map.values():
        if not isinstance(interface, GraphQLInterfaceType):
            continue
        implementations = schema.get_possible_types(interface)
        folded = types.get(interface.name, Requirement())
        for implementation in implementations:
            folded = folded & types.get(implementation.name, Requirement())
        if folded:
            types[interface.name] = folded
        for field_name in interface.fields:
            own = fields.get(interface.name, {}).get(field_name, Requirement())
            for implementation in implementations:
                own = own & fields.get(implementation.name, {}).get(field_name, Requirement())
            if own:
                fields[interface.name][field_name] = own
