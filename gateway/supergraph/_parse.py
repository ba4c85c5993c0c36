"""Read a supergraph SDL (join v0.1 to v0.5, Fed 1 or Fed 2 composed) into the model."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from graphql import (
    BooleanValueNode,
    ConstDirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    EnumValueNode,
    GraphQLError,
    GraphQLSchema,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    StringValueNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    TypeNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    ValueNode,
    build_ast_schema,
    parse,
)

from gateway.supergraph._api_schema import build_api_schema
from gateway.supergraph._auth import UnreadableRequirement, read_authorization
from gateway.supergraph._cost import CostReader
from gateway.supergraph._fieldsets import field_set_problem
from gateway.supergraph._links import LinkedSpec, SpecNames, resolve_spec_names
from gateway.supergraph._model import (
    EntityKey,
    FieldInfo,
    FieldSource,
    Subgraph,
    Supergraph,
    TypeInfo,
    TypeKind,
    TypeSource,
)

__all__ = ["SupergraphError", "parse_supergraph"]


class SupergraphError(ValueError):
    """The SDL is not a supergraph the gateway can serve."""


_KINDS: dict[type[object], TypeKind] = {
    ObjectTypeDefinitionNode: "object",
    ObjectTypeExtensionNode: "object",
    InterfaceTypeDefinitionNode: "interface",
    InterfaceTypeExtensionNode: "interface",
    UnionTypeDefinitionNode: "union",
    UnionTypeExtensionNode: "union",
    EnumTypeDefinitionNode: "enum",
    EnumTypeExtensionNode: "enum",
    InputObjectTypeDefinitionNode: "input",
    InputObjectTypeExtensionNode: "input",
    ScalarTypeDefinitionNode: "scalar",
    ScalarTypeExtensionNode: "scalar",
}


def type_ref(node: TypeNode) -> str:
    """``[Int!]!`` style text of a type reference."""
    if isinstance(node, NonNullTypeNode):
        return f"{type_ref(node.type)}!"
    if isinstance(node, ListTypeNode):
        return f"[{type_ref(node.type)}]"
    assert isinstance(node, NamedTypeNode)
    return node.name.value


def _args(directive: ConstDirectiveNode) -> dict[str, ValueNode]:
    return {arg.name.value: arg.value for arg in directive.arguments or ()}


def _str(args: dict[str, ValueNode], name: str) -> str | None:
    value = args.get(name)
    return value.value if isinstance(value, StringValueNode) else None


def _bool(args: dict[str, ValueNode], name: str, default: bool = False) -> bool:
    value = args.get(name)
    return value.value if isinstance(value, BooleanValueNode) else default


def _enum(args: dict[str, ValueNode], name: str) -> str | None:
    value = args.get(name)
    return value.value if isinstance(value, EnumValueNode) else None


def _named(directives: Iterable[ConstDirectiveNode] | None, name: str) -> list[ConstDirectiveNode]:
    return [d for d in directives or () if d.name.value == name]


class _Reader:
    def __init__(
        self,
        document: DocumentNode,
        names: SpecNames,
        join: LinkedSpec,
        override_labels: frozenset[str] = frozenset(),
    ) -> None:
        self.document = document
        self.override_labels = override_labels
        self.names = names
        self.join = join
        inaccessible = names.get("inaccessible")
        self.inaccessible = inaccessible.directive("inaccessible") if inaccessible else None
        self.costs = CostReader(names)
        self.graphs: dict[str, str] = {}  # enum value -> subgraph name

    def directives(
        self, nodes: Iterable[ConstDirectiveNode] | None, element: str
    ) -> list[dict[str, ValueNode]]:
        return [_args(d) for d in _named(nodes, self.join.directive(element))]

    def graph(self, args: dict[str, ValueNode], where: str = "") -> str | None:
        """The subgraph a ``graph:`` argument names; one ``join__Graph`` lacks is an error."""
        value = _enum(args, "graph")
        if value is None:
            return None
        name = self.graphs.get(value)
        if name is None:
            raise SupergraphError(
                f"{where or 'a join directive'} names graph {value}, "
                f"which is not a value of {self.join.type_name('Graph')}"
            )
        return name

    def is_inaccessible(self, nodes: Iterable[ConstDirectiveNode] | None) -> bool:
        return bool(self.inaccessible and _named(nodes, self.inaccessible))

    def subgraphs(self) -> dict[str, Subgraph]:
        enum_name = self.join.type_name("Graph")
        found: dict[str, Subgraph] = {}
        for definition in self.document.definitions:
            if not isinstance(definition, EnumTypeDefinitionNode):
                continue
            if definition.name.value != enum_name:
                continue
            for value in definition.values or ():
                for args in self.directives(value.directives, "graph"):
                    name = _str(args, "name") or value.name.value.lower()
                    url = _str(args, "url") or ""
                    self.graphs[value.name.value] = name
                    found[name] = Subgraph(name, value.name.value, url)
        if not found:
            raise SupergraphError(f"no {enum_name} enum with @{self.join.directive('graph')}")
        return found

    def type_info(
        self, name: str, nodes: Sequence[TypeDefinitionNode | TypeExtensionNode]
    ) -> TypeInfo:
        kind = _KINDS[type(nodes[0])]
        keys: dict[str, list[EntityKey]] = defaultdict(list)
        extension: dict[str, bool] = {}
        interface_object: dict[str, bool] = {}
        implements: dict[str, set[str]] = defaultdict(set)
        members: dict[str, set[str]] = defaultdict(set)
        owner: str | None = None
        enum_values: dict[str, frozenset[str]] = {}
        field_nodes: list[object] = []
        inaccessible = False
        cost: int | None = None
        for node in nodes:
            inaccessible = inaccessible or self.is_inaccessible(node.directives)
            cost = self.costs.weight(node.directives) if cost is None else cost
            for args in self.directives(node.directives, "type"):
                graph = self.graph(args, f"@{self.join.directive('type')} on {name}")
                if graph is None:
                    continue
                keys.setdefault(graph, [])
                key = _str(args, "key")
                if key is not None:
                    keys[graph].append(EntityKey(graph, key, _bool(args, "resolvable", True)))
                extension[graph] = extension.get(graph, False) or _bool(args, "extension")
                interface_object[graph] = interface_object.get(graph, False) or _bool(
                    args, "isInterfaceObject"
                )
            for args in self.directives(node.directives, "owner"):
                owner = self.graph(args, f"@{self.join.directive('owner')} on {name}")
            for args in self.directives(node.directives, "implements"):
                graph = self.graph(args, f"@{self.join.directive('implements')} on {name}")
                interface = _str(args, "interface")
                if graph and interface:
                    implements[graph].add(interface)
            for args in self.directives(node.directives, "unionMember"):
                graph = self.graph(args, f"@{self.join.directive('unionMember')} on {name}")
                member = _str(args, "member")
                if graph and member:
                    members[graph].add(member)
            if isinstance(node, EnumTypeDefinitionNode | EnumTypeExtensionNode):
                for value in node.values or ():
                    where = f"@{self.join.directive('enumValue')} on {name}.{value.name.value}"
                    graphs = {
                        self.graph(a, where) for a in self.directives(value.directives, "enumValue")
                    }
                    enum_values[value.name.value] = frozenset(g for g in graphs if g)
            field_nodes.extend(getattr(node, "fields", None) or ())
        sources = {
            graph: TypeSource(
                graph,
                tuple(graph_keys),
                extension.get(graph, False),
                interface_object.get(graph, False),
            )
            for graph, graph_keys in keys.items()
        }
        fields: dict[str, FieldInfo] = {}
        for field_node in field_nodes:
            info = self.field_info(name, field_node, owner)
            fields[info.name] = info
        return TypeInfo(
            name=name,
            kind=kind,
            sources=sources,
            fields=fields,
            implements={g: frozenset(i) for g, i in implements.items()},
            members={g: frozenset(m) for g, m in members.items()},
            enum_values=enum_values,
            inaccessible=inaccessible,
            cost=cost,
        )

    def field_info(self, parent: str, node: object, owner: str | None) -> FieldInfo:
        name: str = node.name.value  # type: ignore[attr-defined]
        directives = node.directives  # type: ignore[attr-defined]
        sources: list[FieldSource] = []
        bare = False
        for args in self.directives(directives, "field"):
            graph = self.graph(args, f"@{self.join.directive('field')} on {parent}.{name}")
            if graph is None:
                bare = True
                continue
            sources.append(
                FieldSource(
                    graph=graph,
                    requires=_str(args, "requires"),
                    provides=_str(args, "provides"),
                    external=_bool(args, "external"),
                    override=_str(args, "override"),
                    override_label=_str(args, "overrideLabel"),
                    used_overridden=_bool(args, "usedOverridden"),
                    type=_str(args, "type"),
                )
            )
        resolvers: frozenset[str] | None
        if sources:
            resolvers = frozenset(s.graph for s in sources if s.resolves(self.override_labels))
        elif bare:
            resolvers = frozenset()
        elif owner is not None:
            resolvers = frozenset({owner})
        else:
            resolvers = None
        return FieldInfo(
            name=name,
            parent=parent,
            type=type_ref(node.type),  # type: ignore[attr-defined]
            sources=tuple(sources),
            resolvers=resolvers,
            inaccessible=self.is_inaccessible(directives),
            cost=self.costs.weight(directives),
            argument_costs=self.costs.argument_weights(getattr(node, "arguments", None)),
            list_size=self.costs.list_size_of(directives),
        )


def parse_supergraph(sdl: str | DocumentNode, *, override_labels: Iterable[str] = ()) -> Supergraph:
    """Parse supergraph SDL into a :class:`Supergraph`; raise :class:`SupergraphError`.

    ``override_labels``: progressive ``@override`` labels to enable (see ``label_enabled``).
    """
    try:
        document = parse(sdl) if isinstance(sdl, str) else sdl
    except GraphQLError as error:
        raise SupergraphError(f"supergraph does not parse: {error.message}") from error
    names = resolve_spec_names(document)
    refused = names.unimplemented()
    if refused is not None:
        raise SupergraphError(refused)
    join = names.get("join")
    if join is None:
        raise SupergraphError("not a supergraph: no join spec is linked")
    reader = _Reader(document, names, join, frozenset(override_labels))
    subgraphs = reader.subgraphs()
    by_name: dict[str, list[TypeDefinitionNode | TypeExtensionNode]] = defaultdict(list)
    for definition in document.definitions:
        if isinstance(definition, TypeDefinitionNode | TypeExtensionNode):
            by_name[definition.name.value].append(definition)
    types = {
        name: reader.type_info(name, nodes)
        for name, nodes in by_name.items()
        if not names.is_machinery_name(name)
    }
    try:
        schema = build_ast_schema(document, assume_valid_sdl=True)
        api_schema = build_api_schema(document, names)
    except (GraphQLError, TypeError) as error:
        raise SupergraphError(f"supergraph does not build: {error}") from error
    if schema.query_type is None:
        raise SupergraphError("supergraph has no query type")
    _check_field_sets(schema, types)
    try:
        authorization = read_authorization(document, names, schema)
    except UnreadableRequirement as error:
        raise SupergraphError(f"cannot enforce: {error}") from None
    return Supergraph(
        subgraphs=subgraphs,
        types=types,
        schema=schema,
        api_schema=api_schema,
        query_type=schema.query_type.name,
        mutation_type=schema.mutation_type.name if schema.mutation_type else None,
        subscription_type=schema.subscription_type.name if schema.subscription_type else None,
        join_version=join.version,
        authorization=authorization,
    )


def _check_field_sets(schema: GraphQLSchema, types: dict[str, TypeInfo]) -> None:
    """Every ``@key``, ``@requires`` and ``@provides`` must select fields that exist: the
    planner copies them into subgraph operations, so a bad one would fail every request."""
    for type_name, info in types.items():
        for source in info.sources.values():
            for key in source.keys:
                _field_set(schema, type_name, key.fields, f"key of {type_name} in {key.graph}")
        for field_info in info.fields.values():
            coordinate = f"{type_name}.{field_info.name}"
            for field_source in field_info.sources:
                where = f"{coordinate} in {field_source.graph}"
                if field_source.requires is not None:
                    _field_set(schema, type_name, field_source.requires, f"@requires of {where}")
                if field_source.provides is not None:
                    target = field_info.type.strip("[]!")
                    _field_set(schema, target, field_source.provides, f"@provides of {where}")


def _field_set(schema: GraphQLSchema, type_name: str, field_set: str, where: str) -> None:
    problem = field_set_problem(schema, type_name, field_set)
    if problem is not None:
        raise SupergraphError(f"{where}: {problem}")
