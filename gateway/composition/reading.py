"""Read one subgraph's SDL into a :class:`SubgraphSchema`, resolving federation directives.

Federation 2 subgraphs name their directives through ``@link(url: ".../federation/v2.x",
import: [...], as: ...)``: imported directives keep their (possibly renamed) name, the others are
reachable as ``federation__name``. Federation 1 subgraphs use the plain names and ``extend type``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NoReturn

from graphql import (
    BooleanValueNode,
    ConstDirectiveNode,
    DefinitionNode,
    DirectiveDefinitionNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    EnumValueDefinitionNode,
    GraphQLError,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ListValueNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ObjectValueNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    StringValueNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    ValueNode,
    parse,
)

from gateway.composition.access import DIRECTIVES as ACCESS_DIRECTIVES
from gateway.composition.access import SPECS as ACCESS_SPECS
from gateway.composition.access import read_requirement
from gateway.composition.cost import (
    COST_URL,
    DIRECTIVES,
    MINIMUM_FEDERATION,
    read_cost,
    read_list_size,
)
from gateway.composition.errors import CompositionError
from gateway.composition.model import (
    ArgumentDef,
    EnumValueDef,
    FieldDef,
    KeyDef,
    OverrideDef,
    Requirement,
    SubgraphSchema,
    TypeDef,
    TypeKind,
)
from gateway.composition.printing import locale_key

__all__ = ["read_subgraph"]

_FEDERATION_URL = re.compile(r"specs\.apollo\.dev/federation/v(\d+)\.(\d+)")
_MACHINERY_TYPES = {"_Service", "_Entity", "_Any", "_FieldSet", "FieldSet"}
_MACHINERY_PREFIXES = ("link__", "federation__", "join__")
_MACHINERY_ROOT_FIELDS = {"_entities", "_service"}
_DEFAULT_ROOTS = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}

_ObjectLike = (
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
)


def read_subgraph(name: str, url: str, sdl: str) -> SubgraphSchema:
    """Parse ``sdl`` of subgraph ``name``; raise :class:`CompositionError` when it is invalid."""
    try:
        document = parse(sdl)
    except GraphQLError as error:
        raise CompositionError("INVALID_GRAPHQL", error.message, subgraph=name) from None
    definitions = list(document.definitions)
    links = _directive_names(name, definitions)
    roots = _root_types(definitions)
    renames = {actual: _DEFAULT_ROOTS[op] for op, actual in roots.items()}
    defined = {d.name.value for d in definitions if isinstance(d, DirectiveDefinitionNode)}
    builder = _TypeBuilder(name, links, renames, defined)
    for definition in definitions:
        builder.add(definition)
    for scalar in links.own_scalars:
        builder.types.setdefault(scalar, TypeDef(scalar, "SCALAR", None))
    used = {canonical: local for local, canonical in links.names.items() if local in builder.used}
    return SubgraphSchema(
        name=name,
        url=url,
        federation2=links.federation2,
        types=builder.finish(),
        root_types={op: _DEFAULT_ROOTS[op] for op in roots},
        federation_version=links.version,
        directive_names={c: used[c] for c in _MERGED_SPEC_DIRECTIVES if c in used},
        directive_urls={c: links.urls.get(used[c], "") for c in used},
        type_order=tuple(builder.types),
    )


@dataclass(frozen=True)
class _Links:
    """What a subgraph's links say: local directive name -> canonical name, and the
    federation version (Federation 1 when nothing links federation)."""

    names: dict[str, str]
    federation2: bool
    version: tuple[int, int]
    # The subgraph's name of an access directive's argument scalar (``federation__Scope``).
    scalars: dict[str, str] = field(default_factory=dict)
    # Scalars a spec linked directly adds to the subgraph (``requiresScopes__Scope``): they
    # are the subgraph's own types, and the supergraph joins them as such.
    own_scalars: tuple[str, ...] = ()
    # The prefix of unimported federation directives (``federation``); None in Federation 1.
    prefix: str | None = None
    # Local directive name -> the URL of the link that brought it (errors name it).
    urls: dict[str, str] = field(default_factory=dict)


def _link_names(
    args: dict[str, ValueNode],
    prefix: str,
    directives: Iterable[str],
    eponymous: str | None = None,
) -> dict[str, str]:
    """A linked spec's directives by local name: imported ones as imported (or renamed), the
    others under ``prefix__``, except the spec's ``eponymous`` one (``@cost``): ``@prefix``."""
    names = {
        (prefix if canonical == eponymous else f"{prefix}__{canonical}"): canonical
        for canonical in directives
    }
    imports = args.get("import")
    for item in imports.values if isinstance(imports, ListValueNode) else ():
        if isinstance(item, StringValueNode):
            imported = item.value.lstrip("@")
            names[imported] = imported
        elif isinstance(item, ObjectValueNode):
            fields = {f.name.value: f.value for f in item.fields}
            original, alias = fields.get("name"), fields.get("as")
            if isinstance(original, StringValueNode):
                local = alias.value if isinstance(alias, StringValueNode) else original.value
                names[local.lstrip("@")] = original.value.lstrip("@")
    return names


def _directive_names(subgraph: str, definitions: list[DefinitionNode]) -> _Links:
    """Map the local name of every federation (cost, access) directive to its canonical name."""
    names: dict[str, str] = {}
    scalars: dict[str, str] = {}
    own_scalars: list[str] = []
    federation_prefix = "federation"
    urls: dict[str, str] = {}
    version: tuple[int, int] | None = None
    linked_cost = False
    for definition in definitions:
        if not isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            continue
        for directive in definition.directives or ():
            if directive.name.value != "link":
                continue
            args = _arguments(directive)
            url = (_string(args.get("url")) or "").rstrip("/")
            prefix = _string(args.get("as"))
            federation = _FEDERATION_URL.search(url)
            access = next((d for d, spec in ACCESS_SPECS.items() if spec.url == url), None)
            linked: dict[str, str] = {}
            if federation and version is None:
                version = (int(federation[1]), int(federation[2]))
                federation_prefix = prefix or "federation"
                _check_imports(subgraph, args, version)
                known = tuple(d for d, since in _SINCE.items() if version >= since)
                linked = _link_names(args, prefix or "federation", _FEDERATION_DIRECTIVES + known)
                for canonical in ACCESS_DIRECTIVES:
                    scalars[canonical] = f"{prefix or 'federation'}__"
            elif url == COST_URL:
                linked_cost = True
                linked = _link_names(args, prefix or "cost", DIRECTIVES, eponymous="cost")
            elif access is not None:
                linked = _link_names(args, prefix or access, (access,), eponymous=access)
                scalars[access] = f"{prefix or access}__"
                scalar = ACCESS_SPECS[access].scalar
                if scalar is not None:
                    own_scalars.append(f"{prefix or access}__{scalar}")
            names.update(linked)
            urls.update(dict.fromkeys(linked, url))
    if version is None:
        return _Links({c: c for c in _FEDERATION_DIRECTIVES}, False, (2, 0))
    if linked_cost:
        version = max(version, MINIMUM_FEDERATION)
    return _Links(names, True, version, scalars, tuple(own_scalars), federation_prefix, urls)


# The federation version that brought each directive newer than v2.0.
_SINCE = {
    **{directive: spec.since for directive, spec in ACCESS_SPECS.items()},
    **{directive: MINIMUM_FEDERATION for directive in DIRECTIVES},
}


def _check_imports(subgraph: str, args: dict[str, ValueNode], version: tuple[int, int]) -> None:
    """Apollo refuses to import a directive the linked federation version does not have."""
    imports = args.get("import")
    for item in imports.values if isinstance(imports, ListValueNode) else ():
        imported = item
        if isinstance(item, ObjectValueNode):
            imported = next((f.value for f in item.fields if f.name.value == "name"), item)
        name = _string(imported) or ""
        since = _SINCE.get(name.lstrip("@"))
        if since is not None and version < since:
            raise CompositionError(
                "INVALID_LINK_DIRECTIVE_USAGE",
                f'Cannot import unknown element "{name}".'
                + _did_you_mean(name, _federation_elements(version)),
                subgraph=subgraph,
            )


def _federation_elements(version: tuple[int, int]) -> list[str]:
    """What a federation version lets a subgraph import (Apollo's ``allElementNames``)."""
    directives = ["key", "requires", "provides", "external", "tag", "extends", "shareable"]
    directives += ["inaccessible", "override"]
    types = ["FieldSet"]
    for since, more, more_types in _FEDERATION_ELEMENTS:
        if version >= since:
            directives += more
            types += more_types
    return [f"@{d}" for d in directives] + types


_FEDERATION_ELEMENTS: tuple[tuple[tuple[int, int], tuple[str, ...], tuple[str, ...]], ...] = (
    ((2, 1), ("composeDirective",), ()),
    ((2, 3), ("interfaceObject",), ()),
    ((2, 5), ("authenticated", "requiresScopes"), ("Scope",)),
    ((2, 6), ("policy",), ("Policy",)),
    ((2, 8), ("context", "fromContext"), ("ContextFieldValue",)),
    ((2, 9), ("cost", "listSize"), ()),
)


def _did_you_mean(name: str, options: list[str]) -> str:
    """Apollo's suggestions: options within a Levenshtein distance of 40% of the name, the
    closest first, at most five."""
    threshold = len(name) * 4 // 10 + 1
    close: dict[str, int] = {}
    for option in options:
        distance = 1 if name.lower() == option.lower() else _levenshtein(name, option)
        if distance <= threshold:
            close[option] = distance
    ranked = [f'"{o}"' for o in sorted(close, key=lambda o: (close[o], locale_key(o)))]
    if not ranked:
        return ""
    if len(ranked) <= 2:
        return " Did you mean " + " or ".join(ranked) + "?"
    shown = ranked[:5]
    return " Did you mean " + ", ".join(shown[:-1]) + ", or " + shown[-1] + "?"


def _levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]


# Spec directives whose applications the supergraph keeps, in the order the federation spec
# registers them (@inaccessible, then the access-control specs, then the cost spec).
_MERGED_SPEC_DIRECTIVES = ("inaccessible", *ACCESS_DIRECTIVES, *DIRECTIVES)

_FEDERATION_DIRECTIVES = (
    "key",
    "external",
    "requires",
    "provides",
    "shareable",
    "override",
    "inaccessible",
    "interfaceObject",
    "extends",
    "tag",
)


def _root_types(definitions: list[DefinitionNode]) -> dict[str, str]:
    roots: dict[str, str] = {}
    for definition in definitions:
        if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            for operation in definition.operation_types or ():
                roots[operation.operation.value] = operation.type.name.value
    if roots:
        return roots
    declared = {
        d.name.value
        for d in definitions
        if isinstance(d, ObjectTypeDefinitionNode | ObjectTypeExtensionNode)
    }
    return {op: type_name for op, type_name in _DEFAULT_ROOTS.items() if type_name in declared}


def _arguments(directive: ConstDirectiveNode) -> dict[str, ValueNode]:
    return {arg.name.value: arg.value for arg in directive.arguments or ()}


def _string(value: ValueNode | None) -> str | None:
    return value.value if isinstance(value, StringValueNode) else None


def _is_machinery(type_name: str) -> bool:
    return type_name in _MACHINERY_TYPES or type_name.startswith(_MACHINERY_PREFIXES)


class _TypeBuilder:
    """Folds definitions and extensions of each type into one :class:`TypeDef`."""

    def __init__(
        self, subgraph: str, links: _Links, renames: dict[str, str], defined: set[str]
    ) -> None:
        self.subgraph = subgraph
        self.links = links
        self.defined = defined
        self.names = links.names
        self.scalars = links.scalars
        self.federation2 = links.federation2
        self.renames = renames
        self.types: dict[str, TypeDef] = {}
        # Local names of the directives applied somewhere (the supergraph links what is used).
        self.used: set[str] = set()

    def _directives(
        self, nodes: Iterable[ConstDirectiveNode] | None
    ) -> list[tuple[str, dict[str, ValueNode]]]:
        found = []
        for node in nodes or ():
            canonical = self.names.get(node.name.value)
            if canonical is None and node.name.value == "deprecated":
                canonical = "deprecated"
            if canonical is None and node.name.value in _KNOWN_DIRECTIVES:
                self._unknown(node.name.value)
            if canonical is not None:
                self.used.add(node.name.value)
                found.append((canonical, _arguments(node)))
        return found

    def _access(
        self, nodes: Iterable[ConstDirectiveNode] | None, location: str, at: str = ""
    ) -> tuple[Requirement, ...]:
        """The access-control directives applied to an element at ``location``, with the
        errors Apollo's GraphQL validation gives for misuse."""
        found: list[Requirement] = []
        for node in nodes or ():
            local = node.name.value
            canonical = self.names.get(local)
            if canonical not in ACCESS_SPECS:
                continue
            if location not in _ACCESS_LOCATIONS:
                self._invalid(f'Directive "@{local}" may not be used on {location}.')
            if any(r.directive == canonical for r in found):
                self._invalid(f'The directive "@{local}" can only be used once at this location.')
            spec = ACCESS_SPECS[canonical]
            scalar = f"{self.scalars.get(canonical, '')}{spec.scalar}"
            try:
                requirement = read_requirement(canonical, _arguments(node))
            except ValueError:
                self._invalid(
                    f'Invalid value for "@{local}({spec.argument}:)" of type "[[{scalar}!]!]!" '
                    f'in application of "@{local}" to "{at}".'
                )
            if requirement is None:
                self._invalid(
                    f'Directive "@{local}" argument "{spec.argument}" of type '
                    f'"[[{scalar}!]!]!" is required, but it was not provided.'
                )
            else:
                found.append(requirement)
        return tuple(found)

    def _unknown(self, name: str) -> None:
        """A federation directive applied under a name the subgraph does not give it would be
        composed as if absent (an access directive as no requirement at all): refused, as
        Apollo refuses it."""
        if name in self.defined:
            return  # the subgraph's own directive of that name, which composition drops
        message = f'Unknown directive "@{name}".'
        prefix = self.links.prefix
        imported = [local for local, canonical in self.names.items() if canonical == name]
        renamed = [local for local in imported if local != f"{prefix}__{name}"]
        if prefix is None:
            message += (
                f' If you meant the "@{name}" federation 2 directive, note that this schema is '
                "a federation 1 schema. To be a federation 2 schema, it needs to @link to the "
                "federation specifcation v2."
            )
        elif renamed:
            message += (
                f' If you meant the "@{name}" federation directive, you should use '
                f'"@{renamed[0]}" as it is imported under that name in the @link to the '
                "federation specification of this schema."
            )
        elif prefix == "federation":
            message += (
                f' If you meant the "@{name}" federation directive, you should use '
                f'fully-qualified name "@{prefix}__{name}" or add "@{name}" to the `import` '
                "argument of the @link to the federation specification."
            )
        else:
            message += f' Did you mean "@{prefix}__{name}"?'
        self._invalid(message)

    def _invalid(self, message: str) -> NoReturn:
        raise CompositionError("INVALID_GRAPHQL", message, subgraph=self.subgraph)

    def add(self, node: DefinitionNode) -> None:
        name_node = getattr(node, "name", None)
        if name_node is None or _is_machinery(name_node.value):
            return
        name = self.renames.get(name_node.value, name_node.value)
        kind = _kind(node)
        if kind is None:
            return
        existing = self.types.get(name)
        if existing is not None and existing.kind != kind:
            raise CompositionError(
                "TYPE_KIND_MISMATCH",
                f"{name} is declared both as {existing.kind} and {kind}",
                subgraph=self.subgraph,
                coordinate=name,
            )
        directives = self._directives(node.directives)  # type: ignore[attr-defined]
        access = self._access(node.directives, kind, name)  # type: ignore[attr-defined]
        if existing is not None:
            for node_directive in node.directives or ():  # type: ignore[attr-defined]
                local = node_directive.name.value
                if any(r.directive == self.names.get(local) for r in existing.access):
                    self._invalid(
                        f'The directive "@{local}" can only be used once at this location.'
                    )
            access = existing.access + access
        keys = tuple(
            KeyDef(_string(args.get("fields")) or "", _bool(args.get("resolvable"), True))
            for directive, args in directives
            if directive == "key"
        )
        is_extension = isinstance(
            node,
            ObjectTypeExtensionNode | InterfaceTypeExtensionNode | UnionTypeExtensionNode,
        ) or any(d == "extends" for d, _ in directives)
        type_shareable = any(d == "shareable" for d, _ in directives)
        # Federation 2's @external on a type marks every field it defines there external.
        type_external = self.federation2 and any(d == "external" for d, _ in directives)
        fields = dict(existing.fields) if existing else {}
        if isinstance(node, _ObjectLike):
            for field_node in node.fields or ():
                if name == "Query" and field_node.name.value in _MACHINERY_ROOT_FIELDS:
                    continue
                fields[field_node.name.value] = self._field(
                    field_node, type_shareable, name, type_external
                )
        elif isinstance(node, InputObjectTypeDefinitionNode | InputObjectTypeExtensionNode):
            for input_node in node.fields or ():
                input_directives = self._directives(input_node.directives)
                self._access(input_node.directives, "INPUT_FIELD_DEFINITION")
                fields[input_node.name.value] = FieldDef(
                    name=input_node.name.value,
                    type=input_node.type,
                    description=_description(input_node),
                    default=input_node.default_value,
                    inaccessible=any(d == "inaccessible" for d, _ in input_directives),
                    cost=_cost(input_directives),
                    directives=_merged(input_directives),
                )
        values = existing.values if existing else ()
        if isinstance(node, EnumTypeDefinitionNode | EnumTypeExtensionNode):
            values = values + tuple(self._enum_value(v) for v in node.values or ())
        members = existing.members if existing else ()
        if isinstance(node, UnionTypeDefinitionNode | UnionTypeExtensionNode):
            members = members + tuple(m.name.value for m in node.types or ())
        interfaces = existing.interfaces if existing else ()
        if isinstance(node, _ObjectLike):
            interfaces = interfaces + tuple(i.name.value for i in node.interfaces or ())
        self.types[name] = TypeDef(
            name=name,
            kind=kind,
            description=(existing.description if existing else None) or _description(node),
            fields=fields,
            keys=(existing.keys if existing else ()) + keys,
            interfaces=interfaces,
            members=members,
            values=values,
            shareable=(existing.shareable if existing else False) or type_shareable,
            extension=(existing.extension if existing else False) or (is_extension and bool(keys)),
            interface_object=(existing.interface_object if existing else False)
            or any(d == "interfaceObject" for d, _ in directives),
            inaccessible=(existing.inaccessible if existing else False)
            or any(d == "inaccessible" for d, _ in directives),
            cost=_cost(directives) if existing is None or existing.cost is None else existing.cost,
            directives=tuple(
                dict.fromkeys((existing.directives if existing else ()) + _merged(directives))
            ),
            access=access,
        )

    def _enum_value(self, node: EnumValueDefinitionNode) -> EnumValueDef:
        directives = self._directives(node.directives)
        self._access(node.directives, "ENUM_VALUE")
        return EnumValueDef(
            name=node.name.value,
            description=_description(node),
            inaccessible=any(d == "inaccessible" for d, _ in directives),
            deprecation=_deprecation(directives),
            directives=_merged(directives),
        )

    def _field(
        self, node: object, type_shareable: bool, type_name: str, type_external: bool = False
    ) -> FieldDef:
        from graphql import FieldDefinitionNode

        assert isinstance(node, FieldDefinitionNode)
        directives = self._directives(node.directives)
        by_name = {d: args for d, args in directives}
        override = None
        if "override" in by_name:
            args = by_name["override"]
            override = OverrideDef(_string(args.get("from")) or "", _string(args.get("label")))
        return FieldDef(
            name=node.name.value,
            type=node.type,
            description=_description(node),
            arguments=tuple(self._argument(arg) for arg in node.arguments or ()),
            external="external" in by_name or type_external,
            # Federation 1 has no @shareable: every field may be resolved by several subgraphs.
            shareable="shareable" in by_name or type_shareable or not self.federation2,
            requires=_string(by_name.get("requires", {}).get("fields")),
            provides=_string(by_name.get("provides", {}).get("fields")),
            override=override,
            inaccessible="inaccessible" in by_name,
            deprecation=_deprecation(directives),
            cost=_cost(directives),
            list_size=read_list_size(by_name["listSize"]) if "listSize" in by_name else None,
            directives=_merged(directives),
            access=self._access(
                node.directives, "FIELD_DEFINITION", f"{type_name}.{node.name.value}"
            ),
        )

    def _argument(self, node: InputValueDefinitionNode) -> ArgumentDef:
        directives = self._directives(node.directives)
        self._access(node.directives, "ARGUMENT_DEFINITION")
        return ArgumentDef(
            name=node.name.value,
            type=node.type,
            default=node.default_value,
            description=_description(node),
            inaccessible=any(d == "inaccessible" for d, _ in directives),
            cost=_cost(directives),
            directives=_merged(directives),
        )

    def finish(self) -> dict[str, TypeDef]:
        return dict(sorted(self.types.items()))


def _kind(node: DefinitionNode) -> TypeKind | None:
    if isinstance(node, ObjectTypeDefinitionNode | ObjectTypeExtensionNode):
        return "OBJECT"
    if isinstance(node, InterfaceTypeDefinitionNode | InterfaceTypeExtensionNode):
        return "INTERFACE"
    if isinstance(node, UnionTypeDefinitionNode | UnionTypeExtensionNode):
        return "UNION"
    if isinstance(node, EnumTypeDefinitionNode | EnumTypeExtensionNode):
        return "ENUM"
    if isinstance(node, InputObjectTypeDefinitionNode | InputObjectTypeExtensionNode):
        return "INPUT_OBJECT"
    if isinstance(node, ScalarTypeDefinitionNode | ScalarTypeExtensionNode):
        return "SCALAR"
    return None


# Federation directives composition reads: applied under their own name without being
# imported, they are refused rather than ignored.
_KNOWN_DIRECTIVES = frozenset({*_FEDERATION_DIRECTIVES, *ACCESS_DIRECTIVES, *DIRECTIVES})

# Directives whose applications the supergraph keeps, merged across subgraphs.
_MERGED = frozenset({"inaccessible", "deprecated", *ACCESS_DIRECTIVES, *DIRECTIVES})
# Where the access-control directives may be applied (type kinds and field definitions).
_ACCESS_LOCATIONS = frozenset({"FIELD_DEFINITION", "OBJECT", "INTERFACE", "SCALAR", "ENUM"})


def _merged(directives: list[tuple[str, dict[str, ValueNode]]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for name, _ in directives if name in _MERGED))


def _cost(directives: list[tuple[str, dict[str, ValueNode]]]) -> int | None:
    for name, args in directives:
        if name == "cost":
            return read_cost(args)
    return None


def _description(node: object) -> str | None:
    description = getattr(node, "description", None)
    return description.value if isinstance(description, StringValueNode) else None


def _bool(value: ValueNode | None, default: bool) -> bool:
    return value.value if isinstance(value, BooleanValueNode) else default


def _deprecation(directives: list[tuple[str, dict[str, ValueNode]]]) -> str | None:
    for name, args in directives:
        if name == "deprecated":
            return _string(args.get("reason")) or "No longer supported"
    return None
