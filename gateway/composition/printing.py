"""Print a :class:`Supergraph` in Apollo's supergraph SDL format (join v0.3, link v1.0)."""

from __future__ import annotations

import orjson
from graphql import print_ast
from graphql.language.block_string import print_block_string

from gateway.composition.model import ArgumentDef
from gateway.composition.supergraph_model import (
    JoinField,
    JoinType,
    MergedField,
    MergedType,
    Supergraph,
)

__all__ = ["print_supergraph"]

_LINK_PURPOSE = '''scalar link__Import

enum link__Purpose {
  """
  `SECURITY` features provide metadata necessary to securely resolve fields.
  """
  SECURITY

  """
  `EXECUTION` features provide metadata necessary for operation execution.
  """
  EXECUTION
}'''

_INACCESSIBLE = (
    "directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | "
    "ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION"
)


def _string(value: str) -> str:
    return orjson.dumps(value).decode()


def print_supergraph(supergraph: Supergraph) -> str:
    """The supergraph SDL: schema with links, join machinery, join__Graph, then every type."""
    labels = any(
        join.override_label
        for t in supergraph.types.values()
        for f in t.fields.values()
        for join in f.joins or ()
    )
    join_version = "v0.4" if labels else "v0.3"
    inaccessible = _uses_inaccessible(supergraph)
    graph_enum = {name: enum for enum, name, _ in supergraph.graphs}
    links = [
        '@link(url: "https://specs.apollo.dev/link/v1.0")',
        f'@link(url: "https://specs.apollo.dev/join/{join_version}", for: EXECUTION)',
    ]
    if inaccessible:
        links.append('@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)')
    roots = "\n".join(f"  {op}: {name}" for op, name in supergraph.root_types.items())
    blocks = ["schema\n  " + "\n  ".join(links) + " {\n" + roots + "\n}"]
    blocks.extend(_join_directives(labels))
    if inaccessible:
        blocks.append(_INACCESSIBLE)
    blocks.append(
        "directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) "
        "repeatable on SCHEMA"
    )
    blocks.append("scalar join__FieldSet")
    graphs = "\n".join(
        f"  {enum} @join__graph(name: {_string(name)}, url: {_string(url)})"
        for enum, name, url in supergraph.graphs
    )
    blocks.append("enum join__Graph {\n" + graphs + "\n}")
    blocks.append(_LINK_PURPOSE)
    blocks.extend(_print_type(t, graph_enum) for t in supergraph.types.values())
    return "\n\n".join(blocks) + "\n"


def _join_directives(labels: bool) -> list[str]:
    label_arg = ", overrideLabel: String" if labels else ""
    return [
        "directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE",
        "directive @join__field(graph: join__Graph, requires: join__FieldSet, "
        "provides: join__FieldSet, type: String, external: Boolean, override: String, "
        f"usedOverridden: Boolean{label_arg}) "
        "repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION",
        "directive @join__graph(name: String!, url: String!) on ENUM_VALUE",
        "directive @join__implements(graph: join__Graph!, interface: String!) "
        "repeatable on OBJECT | INTERFACE",
        "directive @join__type(graph: join__Graph!, key: join__FieldSet, "
        "extension: Boolean! = false, resolvable: Boolean! = true, "
        "isInterfaceObject: Boolean! = false) "
        "repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR",
        "directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION",
    ]


def _uses_inaccessible(supergraph: Supergraph) -> bool:
    for merged in supergraph.types.values():
        if merged.inaccessible or any(v.inaccessible for v in merged.values):
            return True
        for field in merged.fields.values():
            if field.inaccessible or any(a.inaccessible for a in field.arguments):
                return True
    return False


def _description(text: str | None, indent: str) -> str:
    if not text:
        return ""
    lines = print_block_string(text).split("\n")
    return "\n".join(indent + line for line in lines) + "\n"


def _with_directives(head: str, directives: list[str], indent: str) -> str:
    if not directives:
        return head
    if len(directives) == 1:
        return f"{head} {directives[0]}"
    return head + "".join(f"\n{indent}  {d}" for d in directives)


def _join_type(join: JoinType, graph_enum: dict[str, str]) -> str:
    args = [f"graph: {graph_enum[join.graph]}"]
    if join.key is not None:
        args.append(f"key: {_string(join.key)}")
    if join.extension:
        args.append("extension: true")
    if not join.resolvable:
        args.append("resolvable: false")
    if join.interface_object:
        args.append("isInterfaceObject: true")
    return f"@join__type({', '.join(args)})"


def _join_field(join: JoinField, graph_enum: dict[str, str]) -> str:
    args = [f"graph: {graph_enum[join.graph]}"]
    if join.requires is not None:
        args.append(f"requires: {_string(join.requires)}")
    if join.provides is not None:
        args.append(f"provides: {_string(join.provides)}")
    if join.type is not None:
        args.append(f"type: {_string(join.type)}")
    if join.external:
        args.append("external: true")
    if join.override is not None:
        args.append(f"override: {_string(join.override)}")
    if join.override_label is not None:
        args.append(f"overrideLabel: {_string(join.override_label)}")
    if join.used_overridden:
        args.append("usedOverridden: true")
    return f"@join__field({', '.join(args)})"


def _common(inaccessible: bool, deprecation: str | None) -> list[str]:
    directives = ["@inaccessible"] if inaccessible else []
    if deprecation is not None:
        directives.append(f"@deprecated(reason: {_string(deprecation)})")
    return directives


def _arguments(arguments: list[ArgumentDef]) -> str:
    if not arguments:
        return ""
    printed = []
    for arg in arguments:
        text = f"{arg.name}: {print_ast(arg.type)}"
        if arg.default is not None:
            text += f" = {print_ast(arg.default)}"
        if arg.inaccessible:
            text += " @inaccessible"
        printed.append((arg.description, text))
    if any(description for description, _ in printed):
        body = "".join(f"\n{_description(d, '    ')}    {t}" for d, t in printed)
        return f"({body}\n  )"
    return "(" + ", ".join(t for _, t in printed) + ")"


def _print_field(field: MergedField, graph_enum: dict[str, str]) -> str:
    head = f"  {field.name}{_arguments(field.arguments)}: {print_ast(field.type)}"
    if field.default is not None:
        head += f" = {print_ast(field.default)}"
    directives = [_join_field(j, graph_enum) for j in field.joins or ()]
    directives += _common(field.inaccessible, field.deprecation)
    return _description(field.description, "  ") + _with_directives(head, directives, "  ")


def _print_type(merged: MergedType, graph_enum: dict[str, str]) -> str:
    keyword = {
        "OBJECT": "type",
        "INTERFACE": "interface",
        "UNION": "union",
        "ENUM": "enum",
        "INPUT_OBJECT": "input",
        "SCALAR": "scalar",
    }[merged.kind]
    head = f"{keyword} {merged.name}"
    if merged.interfaces:
        head += " implements " + " & ".join(merged.interfaces)
    directives = [_join_type(j, graph_enum) for j in merged.joins]
    directives += [
        f"@join__implements(graph: {graph_enum[g]}, interface: {_string(i)})"
        for g, i in merged.implements
    ]
    directives += [
        f"@join__unionMember(graph: {graph_enum[g]}, member: {_string(m)})"
        for g, m in merged.members
    ]
    directives += _common(merged.inaccessible, None)
    text = _description(merged.description, "") + _with_directives(head, directives, "")
    if merged.kind == "UNION":
        members = list(dict.fromkeys(m for _, m in merged.members))
        return f"{text} = {' | '.join(members)}" if members else text
    if merged.kind == "SCALAR":
        return text
    if merged.kind == "ENUM":
        body = []
        for value in merged.values:
            value_directives = [f"@join__enumValue(graph: {graph_enum[g]})" for g in value.graphs]
            value_directives += _common(value.inaccessible, value.deprecation)
            line = _with_directives(f"  {value.name}", value_directives, "  ")
            body.append(_description(value.description, "  ") + line)
        return text + " {\n" + "\n".join(body) + "\n}"
    body = [_print_field(f, graph_enum) for f in merged.fields.values()]
    return text + " {\n" + "\n".join(body) + "\n}"
