"""Print a :class:`Supergraph` byte for byte as ``@apollo/composition`` prints it.

Apollo's printer (``printSchema`` of federation-internals, with its supergraph options):
the schema definition, then every directive definition, then every type, each sorted by name
as JavaScript's ``localeCompare`` sorts (case-insensitive first, ``_`` before digits before
letters), separated by blank lines, with no newline at the end. A type's directives go one a
line under its name and its ``{`` on a line of its own; a field's directives follow it on
its line. The join spec is the version the newest federation version used needs.
"""

from __future__ import annotations

from collections.abc import Sequence

from graphql import print_ast

from gateway.composition.access import DIRECTIVES as ACCESS_DIRECTIVES
from gateway.composition.access import SPECS as ACCESS_SPECS
from gateway.composition.access import access_definition, print_requirement
from gateway.composition.cost import (
    COST_URL,
    cost_definition,
    list_size_definition,
    print_cost,
    print_list_size,
)
from gateway.composition.model import ArgumentDef, Requirement
from gateway.composition.supergraph_model import (
    JoinField,
    JoinType,
    MergedEnumValue,
    MergedField,
    MergedType,
    Supergraph,
)
from gateway.composition.values import print_string, print_value

__all__ = ["locale_key", "print_supergraph"]

_LINK_PURPOSE = '''enum link__Purpose {
  """
  `SECURITY` features provide metadata necessary to securely resolve fields.
  """
  SECURITY

  """
  `EXECUTION` features provide metadata necessary for operation execution.
  """
  EXECUTION
}'''

_CONTEXT_ARGUMENT = """input join__ContextArgument {
  name: String!
  type: String!
  context: String!
  selection: join__FieldValue!
}"""

_INACCESSIBLE_URL = "https://specs.apollo.dev/inaccessible/v0.2"
# The specs whose directives a supergraph keeps: (url, purpose, spec name, directives).
_SPECS = (
    (_INACCESSIBLE_URL, "SECURITY", "inaccessible", ("inaccessible",)),
    *((spec.url, "SECURITY", name, (name,)) for name, spec in ACCESS_SPECS.items()),
    (COST_URL, None, "cost", ("cost", "listSize")),
)


def locale_key(name: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Sort key of a GraphQL name as ``String.prototype.localeCompare`` orders it (ICU root
    collation): letters compare without case first, ``_`` before digits before letters, and
    only names equal but for case put the lower-case one first."""
    primary = tuple(
        0 if c == "_" else 1 + ord(c) - 48 if c.isdigit() else 11 + ord(c.lower()) - 97
        for c in name
    )
    return primary, tuple(1 if c.isupper() else 0 for c in name)


def _block_string(text: str, prefer_multiple_lines: bool) -> str:
    single_line = "\n" not in text
    leading_space = text[:1] in (" ", "\t")
    multiple = not single_line or text.endswith('"') or text.endswith("\\") or prefer_multiple_lines
    result = "\n" if multiple and not (single_line and leading_space) else ""
    result += text
    if multiple:
        result += "\n"
    return '"""' + result.replace('"""', '\\"""') + '"""'


def _description(text: str | None, indent: str = "", first: bool = True) -> str:
    """A description and its newline; in a block, a blank line before all but the first."""
    if text is None:
        return ""
    block = _block_string(text, len(text) > 70)
    prefix = "\n" + indent if indent and not first else indent
    return prefix + block.replace("\n", "\n" + indent) + "\n"


def _on_lines(directives: Sequence[str], then_block: bool) -> str:
    """A type's directives, one a line; the block that follows opens on a line of its own."""
    if not directives:
        return " " if then_block else ""
    return "\n  " + "\n  ".join(directives) + ("\n" if then_block else "")


def _inline(directives: Sequence[str]) -> str:
    return "".join(f" {d}" for d in directives)


def _block(items: Sequence[str]) -> str:
    return "{\n" + "\n".join(items) + "\n}" if items else ""


class _Printer:
    def __init__(self, supergraph: Supergraph) -> None:
        self.supergraph = supergraph
        self.graph_enum = {name: enum for enum, name, _ in supergraph.graphs}
        self.names = dict(supergraph.directive_names)
        # Directives of a linked spec that no subgraph applies keep the spec's default name.
        for _, _, spec, directives in self._linked_specs():
            for directive in directives:
                self.names.setdefault(directive, _default_name(spec, directive))
        # Fields and interfaces apply the access directives before any other, in the order
        # their specs are linked.
        self.access_order = [d for d in supergraph.directive_names if d in ACCESS_DIRECTIVES]

    def _linked_specs(self) -> list[tuple[str, str | None, str, tuple[str, ...]]]:
        """The specs some subgraph applies a directive of, in the order first applied."""
        used = list(self.supergraph.directive_names)
        linked = [spec for spec in _SPECS if any(d in used for d in spec[3])]
        return sorted(linked, key=lambda s: min(used.index(d) for d in s[3] if d in used))

    def print(self) -> str:
        directives = [
            *self._join_directives(),
            "directive @link(url: String, as: String, for: link__Purpose, "
            "import: [link__Import]) repeatable on SCHEMA",
        ]
        for _, _, _, spec_directives in self._linked_specs():
            directives += [self._definition(d) for d in spec_directives]
        types = [(t.name, self._type(t)) for t in self.supergraph.types.values()]
        types += self._machinery_types()
        blocks = [self._schema()]
        blocks += sorted(directives, key=lambda d: locale_key(_directive_name(d)))
        blocks += [text for _, text in sorted(types, key=lambda t: locale_key(t[0]))]
        return "\n\n".join(blocks)

    # -- the schema and its machinery --------------------------------------------------------

    def _schema(self) -> str:
        major, minor = self.supergraph.join_version
        links = [
            '@link(url: "https://specs.apollo.dev/link/v1.0")',
            f'@link(url: "https://specs.apollo.dev/join/v{major}.{minor}", for: EXECUTION)',
        ]
        for url, purpose, spec, spec_directives in self._linked_specs():
            args = [f"url: {print_string(url)}"]
            imports = []
            for directive in spec_directives:
                name = self.names[directive]
                if name == _default_name(spec, directive):
                    continue
                imports.append(
                    print_string(f"@{directive}")
                    if name == directive
                    else f'{{name: "@{directive}", as: "@{name}"}}'
                )
            if purpose is not None:
                args.append(f"for: {purpose}")
            if imports:
                args.append(f"import: [{', '.join(imports)}]")
            links.append(f"@link({', '.join(args)})")
        order = ("query", "mutation", "subscription")
        roots = [
            f"  {op}: {self.supergraph.root_types[op]}"
            for op in order
            if op in self.supergraph.root_types
        ]
        return "schema" + _on_lines(links, True) + _block(roots)

    def _definition(self, directive: str) -> str:
        name = self.names[directive]
        if directive == "cost":
            return cost_definition(name)
        if directive == "listSize":
            return list_size_definition(name)
        if directive in ACCESS_SPECS:
            return access_definition(directive, name)
        return (
            f"directive @{name} on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | "
            "ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | "
            "INPUT_FIELD_DEFINITION"
        )

    def _join_directives(self) -> list[str]:
        version = self.supergraph.join_version
        field_args = (
            "graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, "
            "type: String, external: Boolean, override: String, usedOverridden: Boolean"
        )
        if version >= (0, 4):
            field_args += ", overrideLabel: String"
        if version >= (0, 5):
            field_args += ", contextArguments: [join__ContextArgument!]"
        directives = [
            "directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE",
            f"directive @join__field({field_args}) "
            "repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION",
            "directive @join__graph(name: String!, url: String!) on ENUM_VALUE",
            "directive @join__implements(graph: join__Graph!, interface: String!) "
            "repeatable on OBJECT | INTERFACE",
            "directive @join__type(graph: join__Graph!, key: join__FieldSet, "
            "extension: Boolean! = false, resolvable: Boolean! = true, "
            "isInterfaceObject: Boolean! = false) "
            "repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR",
            "directive @join__unionMember(graph: join__Graph!, member: String!) "
            "repeatable on UNION",
        ]
        if version >= (0, 4):
            directives.append(
                "directive @join__directive(graphs: [join__Graph!], name: String!, "
                "args: join__DirectiveArguments) "
                "repeatable on SCHEMA | OBJECT | INTERFACE | FIELD_DEFINITION"
            )
        return directives

    def _machinery_types(self) -> list[tuple[str, str]]:
        graphs = "\n".join(
            f"  {enum} @join__graph(name: {print_string(name)}, url: {print_string(url)})"
            for enum, name, url in self.supergraph.graphs
        )
        types = [
            ("join__FieldSet", "scalar join__FieldSet"),
            ("join__Graph", "enum join__Graph {\n" + graphs + "\n}"),
            ("link__Import", "scalar link__Import"),
            ("link__Purpose", _LINK_PURPOSE),
        ]
        if self.supergraph.join_version >= (0, 4):
            types.append(("join__DirectiveArguments", "scalar join__DirectiveArguments"))
        if self.supergraph.join_version >= (0, 5):
            types.append(("join__FieldValue", "scalar join__FieldValue"))
            types.append(("join__ContextArgument", _CONTEXT_ARGUMENT))
        for directive in self.access_order:
            scalar = ACCESS_SPECS[directive].scalar
            name = f"{directive}__{scalar}"
            # A subgraph that links the spec itself has the scalar as its own type.
            if scalar is not None and name not in self.supergraph.types:
                types.append((name, f"scalar {name}"))
        return types

    # -- directive applications --------------------------------------------------------------

    def _applied(
        self,
        order: Sequence[str],
        *,
        deprecation: str | None = None,
        cost: int | None = None,
        list_size: object = None,
        access: dict[str, Requirement] | None = None,
    ) -> list[str]:
        """The merged directives other than ``@inaccessible``, in the order first seen; the
        access directives too when ``access`` is given (else they are printed apart)."""
        printed = []
        for directive in order:
            if access is not None and directive in access:
                printed.append(print_requirement(self.names[directive], access[directive]))
            elif directive == "deprecated" and deprecation is not None:
                printed.append(f"@deprecated(reason: {print_string(deprecation)})")
            elif directive == "cost" and cost is not None:
                printed.append(print_cost(self.names["cost"], cost))
            elif directive == "listSize" and list_size is not None:
                printed.append(print_list_size(self.names["listSize"], list_size))  # type: ignore[arg-type]
        return printed

    def _access(self, access: dict[str, Requirement]) -> list[str]:
        return [
            print_requirement(self.names[directive], access[directive])
            for directive in self.access_order
            if directive in access
        ]

    def _inaccessible(self, inaccessible: bool) -> list[str]:
        # Apollo applies @inaccessible as soon as it merges an element, before the rest.
        return [f"@{self.names['inaccessible']}"] if inaccessible else []

    def _join_type(self, join: JoinType) -> str:
        args = [f"graph: {self.graph_enum[join.graph]}"]
        if join.key is not None:
            args.append(f"key: {print_string(join.key)}")
        if join.extension:
            args.append("extension: true")
        if not join.resolvable:
            args.append("resolvable: false")
        if join.interface_object:
            args.append("isInterfaceObject: true")
        return f"@join__type({', '.join(args)})"

    def _join_field(self, join: JoinField) -> str:
        args = [] if join.graph is None else [f"graph: {self.graph_enum[join.graph]}"]
        if join.requires is not None:
            args.append(f"requires: {print_string(join.requires)}")
        if join.provides is not None:
            args.append(f"provides: {print_string(join.provides)}")
        if join.type is not None:
            args.append(f"type: {print_string(join.type)}")
        if join.external:
            args.append("external: true")
        if join.override is not None:
            args.append(f"override: {print_string(join.override)}")
        if join.used_overridden:
            args.append("usedOverridden: true")
        if join.override_label is not None:
            args.append(f"overrideLabel: {print_string(join.override_label)}")
        return f"@join__field({', '.join(args)})" if args else "@join__field"

    # -- types -------------------------------------------------------------------------------

    def _arguments(self, arguments: Sequence[ArgumentDef]) -> str:
        if not arguments:
            return ""
        texts = []
        for arg in arguments:
            text = f"{arg.name}: {print_ast(arg.type)}"
            if arg.default is not None:
                text += f" = {print_value(arg.default)}"
            directives = self._inaccessible(arg.inaccessible) + self._applied(
                arg.directives, cost=arg.cost
            )
            texts.append(text + _inline(directives))
        if not any(arg.description for arg in arguments):
            return "(" + ", ".join(texts) + ")"
        lines = [
            _description(arg.description, "    ", i == 0) + "    " + text
            for i, (arg, text) in enumerate(zip(arguments, texts, strict=True))
        ]
        return "(\n" + "\n".join(lines) + "\n  )"

    def _field(self, field: MergedField, first: bool, input_field: bool) -> str:
        head = f"  {field.name}{self._arguments(field.arguments)}: {print_ast(field.type)}"
        if input_field and field.default is not None:
            head += f" = {print_value(field.default)}"
        joins = [self._join_field(j) for j in field.joins or ()]
        applied = self._applied(
            field.directives,
            deprecation=field.deprecation,
            cost=field.cost,
            list_size=field.list_size,
        )
        if field.propagated:  # Apollo copies the interface's directives, then joins it
            directives = self._access(field.access) + self._inaccessible(field.inaccessible)
            directives += applied + joins
        else:
            directives = self._inaccessible(field.inaccessible) + joins
            directives += self._access(field.access) + applied
        return _description(field.description, "  ", first) + head + _inline(directives)

    def _enum_value(self, value: MergedEnumValue, first: bool) -> str:
        directives = self._inaccessible(value.inaccessible)
        directives += [f"@join__enumValue(graph: {self.graph_enum[g]})" for g in value.graphs]
        directives += self._applied(value.directives, deprecation=value.deprecation)
        return (
            _description(value.description, "  ", first) + f"  {value.name}" + _inline(directives)
        )

    def _type(self, merged: MergedType) -> str:
        keyword = {
            "OBJECT": "type",
            "INTERFACE": "interface",
            "UNION": "union",
            "ENUM": "enum",
            "INPUT_OBJECT": "input",
            "SCALAR": "scalar",
        }[merged.kind]
        head = _description(merged.description) + f"{keyword} {merged.name}"
        if merged.interfaces:
            head += " implements " + " & ".join(merged.interfaces)
        # Apollo merges implementations before anything else of a type.
        directives = [
            f"@join__implements(graph: {self.graph_enum[g]}, interface: {print_string(i)})"
            for g, i in merged.implements
        ]
        directives += [self._join_type(j) for j in merged.joins]
        directives += self._inaccessible(merged.inaccessible)
        members = list(dict.fromkeys(m for _, m in merged.members))
        directives += [
            f"@join__unionMember(graph: {self.graph_enum[g]}, member: {print_string(m)})"
            for m in members
            for g, member in merged.members
            if member == m
        ]
        if merged.kind == "INTERFACE":
            directives += self._access(merged.access)
            directives += self._applied(merged.directives, cost=merged.cost)
        else:
            directives += self._applied(merged.directives, cost=merged.cost, access=merged.access)
        if merged.kind == "UNION":
            text = head + ("\n  " + "\n  ".join(directives) if directives else "")
            if members:
                text += ("\n" if directives else "") + " = " + " | ".join(members)
            return text
        if merged.kind == "SCALAR":
            return head + _on_lines(directives, False)
        if merged.kind == "ENUM":
            items = [self._enum_value(v, i == 0) for i, v in enumerate(merged.values)]
        else:
            items = [
                self._field(f, i == 0, merged.kind == "INPUT_OBJECT")
                for i, f in enumerate(merged.fields.values())
            ]
        return head + _on_lines(directives, bool(items)) + _block(items)


def _directive_name(definition: str) -> str:
    """``link`` of ``directive @link(url: String …) …``."""
    return definition.split()[1][1:].split("(")[0]


def _default_name(spec: str, directive: str) -> str:
    """How a supergraph names a spec directive it does not import: ``@cost``, and
    ``@cost__listSize``."""
    return spec if directive == spec else f"{spec}__{directive}"


def print_supergraph(supergraph: Supergraph) -> str:
    """The supergraph SDL, as ``@apollo/composition`` prints it."""
    return _Printer(supergraph).print()
