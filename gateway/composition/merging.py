"""Merge subgraph schemas into a :class:`Supergraph`, collecting Apollo's composition errors."""

from __future__ import annotations

import re
from collections.abc import Sequence

from graphql import ListTypeNode, NamedTypeNode, NonNullTypeNode, TypeNode, print_ast

from gateway.composition.access import DIRECTIVES as ACCESS_DIRECTIVES
from gateway.composition.access import interface_additions, merge_requirements
from gateway.composition.access_checks import (
    check_access_directives,
    check_transitive_requirements,
    external_problems,
)
from gateway.composition.applied import (
    merged_cost,
    merged_description,
    merged_directives,
    merged_list_size,
)
from gateway.composition.cost import check_demand_directives
from gateway.composition.errors import CompositionError, CompositionFailed
from gateway.composition.fieldsets import field_set_problem, named_type
from gateway.composition.model import (
    ArgumentDef,
    EnumValueDef,
    FieldDef,
    Requirement,
    SubgraphSchema,
    TypeDef,
    top_level_fields,
)
from gateway.composition.supergraph_model import (
    JoinField,
    JoinType,
    MergedEnumValue,
    MergedField,
    MergedType,
    Supergraph,
)

__all__ = ["merge"]

_Defs = list[tuple[SubgraphSchema, TypeDef]]
_MERGE_KINDS = ("UNION", "SCALAR", "INPUT_OBJECT", "INTERFACE", "OBJECT", "ENUM")
_FEDERATION_VERSION = re.compile(r"specs\.apollo\.dev/federation/v(\d+)\.(\d+)")


def _subgraph_names(names: list[str]) -> str:
    """Apollo's ``printSubgraphNames``: ``subgraph "a"``, ``subgraphs "a", "b" and "c"``
    (cut with ``...`` past 100 characters)."""
    quoted = [f'"{name}"' for name in names]
    if len(quoted) == 1:
        return f"subgraph {quoted[0]}"
    shown, length = 0, 0
    for name in quoted:
        length += len(name)
        if length <= 100:
            shown += 1
    shown = max(1, shown)
    if shown == len(quoted):
        return "subgraphs " + ", ".join(quoted[:-1]) + " and " + quoted[-1]
    return "subgraphs " + ", ".join(quoted[:shown]) + ", ..."


def merge(subgraphs: Sequence[SubgraphSchema]) -> Supergraph:
    """Compose ``subgraphs``; raise :class:`CompositionFailed` listing every problem found."""
    return _Merger(subgraphs).run()


# Join spec versions by the federation version that first needs them (Apollo's table).
_JOIN_VERSIONS = (((2, 8), (0, 5)), ((2, 7), (0, 4)), ((2, 0), (0, 3)))


def join_version(federation: tuple[int, int]) -> tuple[int, int]:
    """The join spec version a supergraph of subgraphs linking ``federation`` is printed in."""
    return next((join for since, join in _JOIN_VERSIONS if federation >= since), (0, 3))


def graph_enum_name(subgraph: str) -> str:
    """The ``join__Graph`` value of a subgraph, sanitized as Apollo does it."""
    cleaned = re.sub(r"[^0-9A-Za-z_]", "_", subgraph)
    if not cleaned or cleaned[0].isdigit():
        cleaned = f"_{cleaned}"
    if re.search(r"_\d+$", cleaned):
        cleaned += "_"  # so that no name looks like a de-duplicated one (``A_1``)
    return cleaned.upper()


class _Merger:
    def __init__(self, subgraphs: Sequence[SubgraphSchema]) -> None:
        # Apollo merges subgraphs in the order of their names, whatever order they came in.
        self.subgraphs = sorted(subgraphs, key=lambda s: s.name)
        self.errors: list[CompositionError] = []
        self.supertypes: dict[
            str, set[str]
        ] = {}  # type -> interfaces it implements, unions it is in
        for subgraph in self.subgraphs:
            for type_def in subgraph.types.values():
                self.supertypes.setdefault(type_def.name, set()).update(type_def.interfaces)
                for member in type_def.members:
                    self.supertypes.setdefault(member, set()).add(type_def.name)

    def error(
        self, code: str, message: str, subgraph: str | None = None, at: str | None = None
    ) -> None:
        self.errors.append(CompositionError(code, message, subgraph=subgraph, coordinate=at))

    def run(self) -> Supergraph:
        names = [s.name for s in self.subgraphs]
        if len(set(names)) != len(names):
            self.error("INVALID_SUBGRAPH_NAME", "two subgraphs share a name")
        enum_names = [graph_enum_name(n) for n in names]
        if len(set(enum_names)) != len(enum_names):
            self.error("INVALID_SUBGRAPH_NAME", "subgraph names collide once upper-cased")
        self._check_field_sets()
        for subgraph in self.subgraphs:
            self.errors.extend(check_demand_directives(subgraph))
            self.errors.extend(check_access_directives(subgraph))
        # Apollo validates each subgraph, and links the specs, before it merges anything.
        if self.errors:
            raise CompositionFailed(self.errors)
        directive_names = self._directive_names()
        if self.errors:
            raise CompositionFailed(self.errors)
        self.additions = interface_additions(self.subgraphs)
        by_type: dict[str, _Defs] = {}
        for subgraph in self.subgraphs:
            for type_def in subgraph.types.values():
                by_type.setdefault(type_def.name, []).append((subgraph, type_def))
        if "Query" not in by_type:
            self.error("NO_QUERIES", "no subgraph defines a query root type with fields")
        usage = self._enum_usage()
        merged: dict[str, MergedType] = {}
        for name in self._merge_order(by_type):
            result = self._merge_type(name, by_type[name], usage)
            if result is not None:
                merged[name] = result
        self._propagate_interface_objects(merged, by_type)
        if not self.errors and any(d in directive_names for d in ACCESS_DIRECTIVES):
            requiring = dict.fromkeys(
                f"{name}.{field.name}"
                for subgraph in self.subgraphs
                for name in subgraph.type_order or subgraph.types
                for field in subgraph.types[name].fields.values()
                if field.requires is not None
            )
            self.errors.extend(check_transitive_requirements(merged, requiring))
        if self.errors:
            raise CompositionFailed(self.errors)
        roots = {op: t for s in self.subgraphs for op, t in s.root_types.items() if t in merged}
        graphs = tuple((graph_enum_name(s.name), s.name, s.url) for s in self.subgraphs)
        return Supergraph(
            graphs=graphs,
            types=merged,
            root_types=dict(sorted(roots.items())),
            join_version=join_version(max(s.federation_version for s in self.subgraphs)),
            directive_names=directive_names,
        )

    def _merge_order(self, by_type: dict[str, _Defs]) -> list[str]:
        """Types in the order Apollo merges them, which is the order of its errors: unions,
        scalars, input types, interfaces, objects, enums, each kind in the order the
        subgraphs (by name) first define them."""
        seen: dict[str, None] = {}
        for subgraph in self.subgraphs:
            seen.update(dict.fromkeys(subgraph.type_order or subgraph.types))
        seen.update(dict.fromkeys(sorted(by_type)))

        def kind(name: str) -> int:
            kinds = {"INTERFACE" if d.interface_object else d.kind for _, d in by_type[name]}
            return min(_MERGE_KINDS.index(k) for k in kinds)

        return sorted((name for name in seen if name in by_type), key=kind)

    def _directive_names(self) -> dict[str, str]:
        """The supergraph name of each spec directive applied, in the order first seen: the
        name its subgraphs give it, which must be the same in all of them (Apollo reports
        the first directive that is not, and stops)."""
        names: dict[str, str] = {}
        for subgraph in self.subgraphs:
            for canonical, local in subgraph.directive_names.items():
                first = names.setdefault(canonical, local)
                if local != first:
                    self._name_mismatch(canonical, local)
                    return names
        return names

    def _name_mismatch(self, canonical: str, local: str) -> None:
        """Apollo's error names every subgraph, by the name each gives the directive."""
        using = [s for s in self.subgraphs if canonical in s.directive_names]
        by_name: dict[str, list[str]] = {local: []}
        for s in using:
            by_name.setdefault(s.directive_names[canonical], []).append(s.name)
        parts = [f'"@{name}" in {_subgraph_names(graphs)}' for name, graphs in by_name.items()]
        urls = [s.directive_urls.get(canonical, "") for s in using]
        versions = [_FEDERATION_VERSION.search(u) for u in urls]
        if all(versions):
            newest = max((int(v[1]), int(v[2])) for v in versions if v)
            url = f"https://specs.apollo.dev/federation/v{newest[0]}.{newest[1]}"
        else:
            url = urls[0]
        self.error(
            "LINK_IMPORT_NAME_MISMATCH",
            f'The "@{canonical}" directive (from {url}) is imported with mismatched name between '
            "subgraphs: it is imported as "
            + parts[0]
            + (" but " + " and ".join(parts[1:]) if len(parts) > 1 else ""),
        )

    def _access(
        self, at: str, sources: Sequence[Sequence[Requirement]], interface: bool = False
    ) -> dict[str, Requirement]:
        """The merged access directives of the element at ``at``: its subgraphs' and, for an
        interface or its fields (or a field an @interfaceObject brings), those it takes
        from elsewhere."""
        merged: dict[str, Requirement] = {}
        for directive in ACCESS_DIRECTIVES:
            applications = [r for source in sources for r in source if r.directive == directive]
            if interface:
                applications += self.additions.get((at, directive), [])
            if not applications:
                continue
            try:
                merged[directive] = merge_requirements(applications)
            except ValueError as problem:
                self.error(
                    "AUTH_REQUIREMENTS_NOT_MERGEABLE",
                    f'@{directive} is applied to "{at}" with different arguments, but {problem}',
                    at=at,
                )
        return merged

    # -- checks that need one subgraph only --------------------------------------------------

    def _check_field_sets(self) -> None:
        for subgraph in self.subgraphs:
            for type_def in subgraph.types.values():
                for key in type_def.keys:
                    problem = field_set_problem(subgraph, type_def.name, key.fields)
                    if problem:
                        self.error(
                            "KEY_INVALID_FIELDS",
                            f'on type "{type_def.name}", @key(fields: "{key.fields}") '
                            f"is invalid: {problem}",
                            subgraph.name,
                            type_def.name,
                        )
                for field_def in type_def.fields.values():
                    self._check_requires_provides(subgraph, type_def, field_def)

    def _check_requires_provides(
        self, subgraph: SubgraphSchema, type_def: TypeDef, field_def: FieldDef
    ) -> None:
        at = f"{type_def.name}.{field_def.name}"
        if field_def.requires is not None:
            problem = field_set_problem(subgraph, type_def.name, field_def.requires)
            if problem:
                self.error(
                    "REQUIRES_INVALID_FIELDS",
                    f'@requires(fields: "{field_def.requires}") is invalid: {problem}',
                    subgraph.name,
                    at,
                )
            elif subgraph.federation2:
                for name in sorted(top_level_fields(field_def.requires)):
                    required = type_def.fields.get(name)
                    if required is not None and not required.external:
                        self.error(
                            "REQUIRES_FIELDS_MISSING_EXTERNAL",
                            f'@requires(fields: "{field_def.requires}") selects '
                            f'"{type_def.name}.{name}", which is not marked @external',
                            subgraph.name,
                            at,
                        )
        if field_def.provides is not None:
            target = named_type(field_def.type)
            problem = field_set_problem(subgraph, target, field_def.provides)
            if problem:
                self.error(
                    "PROVIDES_INVALID_FIELDS",
                    f'@provides(fields: "{field_def.provides}") is invalid: {problem}',
                    subgraph.name,
                    at,
                )

    def _enum_usage(self) -> dict[str, set[str]]:
        """For every enum, whether it is used as ``output``, ``input`` or both."""
        usage: dict[str, set[str]] = {}
        for subgraph in self.subgraphs:
            for type_def in subgraph.types.values():
                for field_def in type_def.fields.values():
                    position = "input" if type_def.kind == "INPUT_OBJECT" else "output"
                    usage.setdefault(named_type(field_def.type), set()).add(position)
                    for argument in field_def.arguments:
                        usage.setdefault(named_type(argument.type), set()).add("input")
        return usage

    # -- merging one type --------------------------------------------------------------------

    def _merge_type(self, name: str, defs: _Defs, usage: dict[str, set[str]]) -> MergedType | None:
        kinds = {d.kind for _, d in defs if not d.interface_object}
        if not kinds:
            self.error(
                "INTERFACE_OBJECT_USAGE_ERROR",
                f'"{name}" is an @interfaceObject in every subgraph; one must define the interface',
                at=name,
            )
            return None
        if len(kinds) > 1:
            listed = ", ".join(f"{d.kind} in {s.name}" for s, d in defs)
            self.error(
                "TYPE_KIND_MISMATCH",
                f'"{name}" is declared with different kinds: {listed}',
                at=name,
            )
            return None
        kind = kinds.pop()
        merged = MergedType(
            name=name,
            kind=kind,
            description=merged_description(d for _, d in defs),
            inaccessible=any(d.inaccessible for _, d in defs),
            cost=merged_cost([d.cost for _, d in defs]),
            directives=merged_directives(d for _, d in defs),
            access=self._access(name, [d.access for _, d in defs], kind == "INTERFACE"),
        )
        owners = [s.name for s, _ in defs]
        if name == "Query":
            owners = [s.name for s in self.subgraphs]
        for subgraph_name in owners:
            type_def = next((d for s, d in defs if s.name == subgraph_name), None)
            if type_def is None or not type_def.keys:
                merged.joins.append(JoinType(subgraph_name))
                continue
            merged.joins.extend(
                JoinType(
                    subgraph_name,
                    key.fields,
                    key.resolvable,
                    type_def.extension,
                    type_def.interface_object,
                )
                for key in type_def.keys
            )
        if kind in ("OBJECT", "INTERFACE"):
            self._merge_fields(merged, defs, owners)
            for subgraph, type_def in defs:
                for interface in type_def.interfaces:
                    merged.implements.append((subgraph.name, interface))
                    if interface not in merged.interfaces:
                        merged.interfaces.append(interface)
        elif kind == "INPUT_OBJECT":
            self._merge_input_fields(merged, defs)
        elif kind == "UNION":
            merged.members = [(s.name, m) for s, d in defs for m in d.members]
        elif kind == "ENUM":
            self._merge_enum_values(merged, defs, usage.get(name, set()))
        return merged

    def _merge_fields(self, merged: MergedType, defs: _Defs, owners: list[str]) -> None:
        order: list[str] = []
        for _, type_def in defs:
            order.extend(n for n in type_def.fields if n not in order)
        for field_name in order:
            field_defs = [(s, d.fields[field_name]) for s, d in defs if field_name in d.fields]
            result = self._merge_field(merged, field_defs, owners)
            if result is not None:
                merged.fields[field_name] = result

    def _merge_field(
        self,
        merged: MergedType,
        field_defs: list[tuple[SubgraphSchema, FieldDef]],
        owners: list[str],
    ) -> MergedField | None:
        at = f"{merged.name}.{field_defs[0][1].name}"
        field_type = self._merge_types([f.type for _, f in field_defs], output=True, at=at)
        if field_type is None:
            return None
        printed = print_ast(field_type)
        types_differ = any(print_ast(f.type) != printed for _, f in field_defs)
        overridden: set[str] = set()
        # A progressive override (with a label) keeps the old subgraph, under the same label.
        labels: dict[str, str] = {}
        for subgraph, field_def in field_defs:
            if field_def.override is None:
                continue
            source = field_def.override.from_subgraph
            if source == subgraph.name:
                self.error(
                    "OVERRIDE_FROM_SELF_ERROR", f'"{at}" cannot override itself', subgraph.name, at
                )
            overridden.add(source)
            if field_def.override.label is not None:
                labels[source] = field_def.override.label
        joins: list[JoinField] = []
        for subgraph, field_def in field_defs:
            own_type = print_ast(field_def.type) if types_differ else None
            if subgraph.name in labels and not field_def.external:
                joins.append(
                    JoinField(
                        subgraph.name,
                        requires=field_def.requires,
                        provides=field_def.provides,
                        type=own_type,
                        override_label=labels[subgraph.name],
                    )
                )
                continue
            if subgraph.name in overridden and not field_def.external:
                if self._still_used(subgraph, merged.name, field_def.name):
                    joins.append(JoinField(subgraph.name, type=own_type, used_overridden=True))
                continue
            joins.append(
                JoinField(
                    subgraph.name,
                    external=field_def.external,
                    requires=field_def.requires,
                    provides=field_def.provides,
                    type=own_type,
                    override=field_def.override.from_subgraph if field_def.override else None,
                    override_label=field_def.override.label if field_def.override else None,
                )
            )
        # Where every subgraph's is external, that is the only error (below).
        if not all(f.external for _, f in field_defs):
            for subgraph, field_def in field_defs:
                if field_def.external:
                    self.errors.extend(external_problems(subgraph, at, field_def))
        resolving = [(s, f) for s, f in field_defs if not f.external and s.name not in overridden]
        if not resolving and not self._through_interface_object(merged.name, field_defs):
            self.error(
                "EXTERNAL_MISSING_ON_BASE",
                f'"{at}" is marked @external in every subgraph that defines it '
                f"({', '.join(s.name for s, _ in field_defs)}); no subgraph resolves it",
                field_defs[0][0].name,
                at,
            )
            return None
        if merged.kind == "OBJECT" and len(resolving) > 1:
            unshared = [
                s.name
                for s, f in resolving
                if not (f.shareable or s.is_key_field(merged.name, f.name))
            ]
            if unshared:
                self.error(
                    "INVALID_FIELD_SHARING",
                    f'non-shareable field "{at}" is resolved from several subgraphs '
                    f"({', '.join(s.name for s, _ in resolving)}) "
                    f"and is not @shareable in {', '.join(unshared)}",
                    unshared[0],
                    at,
                )
        plain = (
            not types_differ
            and not overridden
            and {s.name for s, _ in field_defs} == set(owners)
            and all(
                not (f.external or f.requires or f.provides or f.override) for _, f in field_defs
            )
        )
        return MergedField(
            name=field_defs[0][1].name,
            type=field_type,
            description=merged_description(f for _, f in field_defs),
            arguments=self._merge_arguments([f for _, f in resolving], at),
            inaccessible=any(f.inaccessible for _, f in field_defs),
            deprecation=next((f.deprecation for _, f in field_defs if f.deprecation), None),
            joins=None if plain else joins,
            cost=merged_cost([f.cost for _, f in field_defs]),
            list_size=merged_list_size([f.list_size for _, f in field_defs]),
            directives=merged_directives(f for _, f in field_defs),
            access=self._access(at, [f.access for _, f in field_defs if not f.external], True),
        )

    def _through_interface_object(
        self, type_name: str, field_defs: list[tuple[SubgraphSchema, FieldDef]]
    ) -> bool:
        """Whether a subgraph that does not define the field resolves it for every
        implementation, through an @interfaceObject of an interface the type implements."""
        field_name = field_defs[0][1].name
        defining = {s.name for s, _ in field_defs}
        for subgraph in self.subgraphs:
            if subgraph.name in defining:
                continue
            for interface in self.supertypes.get(type_name, ()):
                type_def = subgraph.types.get(interface)
                field = type_def.fields.get(field_name) if type_def else None
                if type_def and type_def.interface_object and field and not field.external:
                    return True
        return False

    def _still_used(self, subgraph: SubgraphSchema, type_name: str, field_name: str) -> bool:
        """Whether an overridden field is still needed by its old subgraph (a key or @requires)."""
        if subgraph.is_key_field(type_name, field_name):
            return True
        type_def = subgraph.types[type_name]
        return any(
            f.requires is not None and field_name in top_level_fields(f.requires)
            for f in type_def.fields.values()
        )

    def _merge_arguments(self, fields: list[FieldDef], at: str) -> list[ArgumentDef]:
        if not fields:
            return []
        merged: list[ArgumentDef] = []
        for argument in fields[0].arguments:
            same = [next((a for a in f.arguments if a.name == argument.name), None) for f in fields]
            present = [a for a in same if a is not None]
            if len(present) < len(fields):
                if any(isinstance(a.type, NonNullTypeNode) and a.default is None for a in present):
                    self.error(
                        "REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH",
                        f'argument "{at}({argument.name}:)" is required in some subgraphs '
                        "but missing in others",
                        at=at,
                    )
                continue
            arg_type = self._merge_types(
                [a.type for a in present], output=False, at=f"{at}({argument.name}:)"
            )
            if arg_type is None:
                continue
            merged.append(
                ArgumentDef(
                    name=argument.name,
                    type=arg_type,
                    default=next((a.default for a in present if a.default is not None), None),
                    description=merged_description(present),
                    inaccessible=any(a.inaccessible for a in present),
                    cost=merged_cost([a.cost for a in present]),
                    directives=merged_directives(present),
                )
            )
        return merged

    def _merge_input_fields(self, merged: MergedType, defs: _Defs) -> None:
        first = defs[0][1]
        names = [n for n in first.fields]
        for _, type_def in defs[1:]:
            names.extend(n for n in type_def.fields if n not in names)
        for name in names:
            present = [d.fields[name] for _, d in defs if name in d.fields]
            at = f"{merged.name}.{name}"
            if len(present) < len(defs):
                if any(isinstance(f.type, NonNullTypeNode) and f.default is None for f in present):
                    self.error(
                        "REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH",
                        f'input field "{at}" is required in some subgraphs but missing in others',
                        at=at,
                    )
                continue
            field_type = self._merge_types([f.type for f in present], output=False, at=at)
            if field_type is None:
                continue
            merged.fields[name] = MergedField(
                name=name,
                type=field_type,
                description=merged_description(present),
                default=next((f.default for f in present if f.default is not None), None),
                inaccessible=any(f.inaccessible for f in present),
                cost=merged_cost([f.cost for f in present]),
                directives=merged_directives(present),
            )

    def _merge_enum_values(self, merged: MergedType, defs: _Defs, usage: set[str]) -> None:
        values: dict[str, MergedEnumValue] = {}
        sources: dict[str, list[EnumValueDef]] = {}
        for subgraph, type_def in defs:
            for value in type_def.values:
                entry = values.setdefault(value.name, MergedEnumValue(value.name, None, []))
                entry.graphs.append(subgraph.name)
                entry.inaccessible = entry.inaccessible or value.inaccessible
                entry.deprecation = entry.deprecation or value.deprecation
                sources.setdefault(value.name, []).append(value)
        for name, entry in values.items():
            entry.description = merged_description(sources[name])
            entry.directives = merged_directives(sources[name])
        everywhere = [v for v in values.values() if len(v.graphs) == len(defs)]
        if usage == {"input", "output"} and len(everywhere) != len(values):
            partial = sorted(v.name for v in values.values() if len(v.graphs) != len(defs))
            self.error(
                "ENUM_VALUE_MISMATCH",
                f'enum "{merged.name}" is used as both input and output, '
                "so every subgraph must define the same values; "
                f"some lack {', '.join(partial)}",
                at=merged.name,
            )
        chosen = everywhere if usage == {"input"} else list(values.values())
        if not chosen:
            self.error(
                "EMPTY_MERGED_ENUM_TYPE",
                f'enum "{merged.name}" has no value defined in every subgraph',
                at=merged.name,
            )
        merged.values = chosen

    def _merge_types(self, types: list[TypeNode], *, output: bool, at: str) -> TypeNode | None:
        result = types[0]
        for other in types[1:]:
            combined = self._combine(result, other, output)
            if combined is None:
                printed = ", ".join(sorted({print_ast(t) for t in types}))
                self.error(
                    "FIELD_TYPE_MISMATCH",
                    f'"{at}" has incompatible types across subgraphs: {printed}',
                    at=at,
                )
                return None
            result = combined
        return result

    def _combine(self, a: TypeNode, b: TypeNode, output: bool) -> TypeNode | None:
        """The supergraph type of two subgraph types: output positions take the more general,
        input positions the stricter."""
        a_required, b_required = isinstance(a, NonNullTypeNode), isinstance(b, NonNullTypeNode)
        inner_a = a.type if isinstance(a, NonNullTypeNode) else a
        inner_b = b.type if isinstance(b, NonNullTypeNode) else b
        if isinstance(inner_a, ListTypeNode) and isinstance(inner_b, ListTypeNode):
            item = self._combine(inner_a.type, inner_b.type, output)
            inner: ListTypeNode | NamedTypeNode | None = (
                None if item is None else ListTypeNode(type=item)
            )
        elif isinstance(inner_a, NamedTypeNode) and isinstance(inner_b, NamedTypeNode):
            inner = self._combine_named(inner_a, inner_b, output)
        else:
            inner = None
        if inner is None:
            return None
        required = (a_required and b_required) if output else (a_required or b_required)
        return NonNullTypeNode(type=inner) if required else inner

    def _combine_named(
        self, a: NamedTypeNode, b: NamedTypeNode, output: bool
    ) -> NamedTypeNode | None:
        if a.name.value == b.name.value:
            return a
        if output and b.name.value in self.supertypes.get(a.name.value, set()):
            return b
        if output and a.name.value in self.supertypes.get(b.name.value, set()):
            return a
        return None

    def _propagate_interface_objects(
        self, merged: dict[str, MergedType], by_type: dict[str, _Defs]
    ) -> None:
        """Fields an @interfaceObject adds to an interface resolve on every implementation."""
        for name, defs in by_type.items():
            interface = merged.get(name)
            if interface is None or interface.kind != "INTERFACE":
                continue
            for _, type_def in defs:
                if not type_def.interface_object:
                    continue
                keyed = set().union(*(top_level_fields(k.fields) for k in type_def.keys))
                for implementation in merged.values():
                    if name not in implementation.interfaces:
                        continue
                    for field_name, field_def in type_def.fields.items():
                        if field_name in keyed or field_name in implementation.fields:
                            continue
                        source = interface.fields.get(field_name)
                        implementation.fields[field_name] = MergedField(
                            name=field_name,
                            type=field_def.type,
                            description=field_def.description,
                            arguments=list(source.arguments)
                            if source
                            else list(field_def.arguments),
                            inaccessible=field_def.inaccessible,
                            deprecation=source.deprecation if source else field_def.deprecation,
                            cost=field_def.cost,
                            list_size=field_def.list_size,
                            directives=field_def.directives,
                            joins=[JoinField(None)],
                            access=self._access(
                                f"{implementation.name}.{field_name}", [], interface=True
                            ),
                            propagated=True,
                        )
