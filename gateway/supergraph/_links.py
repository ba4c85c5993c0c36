"""Resolve ``@link`` / ``@core`` declarations into the names a supergraph really uses."""

from __future__ import annotations

import re
from dataclasses import dataclass

from graphql import (
    ConstDirectiveNode,
    DocumentNode,
    ListValueNode,
    ObjectValueNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    StringValueNode,
    ValueNode,
)

__all__ = ["LinkedSpec", "SpecNames", "resolve_spec_names"]

_URL = re.compile(r"/(?P<name>[A-Za-z_][A-Za-z0-9_-]*)/v(?P<version>\d+\.\d+)/?$")

# Specs whose elements are gateway machinery: stripped from the API schema.
_MACHINERY_HOST = "specs.apollo.dev"


@dataclass(frozen=True)
class LinkedSpec:
    """One ``@link``-ed (or ``@core``-ed) specification and how this document names it."""

    url: str
    name: str
    version: tuple[int, int]
    prefix: str
    # imported element name in the spec (``@inaccessible``, ``FieldSet``) -> local name
    imports: tuple[tuple[str, str], ...]

    def directive(self, element: str) -> str:
        """Local name of the spec's directive ``element`` (``type`` for ``@join__type``)."""
        for original, local in self.imports:
            if original == f"@{element}":
                return local[1:]
        if element == self.name:
            return self.prefix
        return f"{self.prefix}__{element}"

    def type_name(self, element: str) -> str:
        for original, local in self.imports:
            if original == element:
                return local
        return f"{self.prefix}__{element}"

    @property
    def is_machinery(self) -> bool:
        return _MACHINERY_HOST in self.url


@dataclass(frozen=True)
class SpecNames:
    """All specs linked by a supergraph, with the ones the gateway reads picked out."""

    specs: tuple[LinkedSpec, ...]
    link_directive: str

    def get(self, name: str) -> LinkedSpec | None:
        for spec in self.specs:
            if spec.name == name:
                return spec
        return None

    def machinery_directives(self) -> frozenset[str]:
        """Local names of every directive that belongs to an Apollo spec (join, link, tag …)."""
        names = {self.link_directive}
        for spec in self.specs:
            if not spec.is_machinery:
                continue
            names.add(spec.prefix)
            names.update(local[1:] for original, local in spec.imports if local.startswith("@"))
        return frozenset(names)

    def is_machinery_name(self, name: str) -> bool:
        """Whether a type or directive name is namespaced by an Apollo spec."""
        return any(s.is_machinery and name.startswith(f"{s.prefix}__") for s in self.specs)

    def machinery_types(self) -> frozenset[str]:
        return frozenset(
            local
            for spec in self.specs
            if spec.is_machinery
            for original, local in spec.imports
            if not local.startswith("@")
        )


def _string(value: ValueNode | None) -> str | None:
    return value.value if isinstance(value, StringValueNode) else None


def _args(directive: ConstDirectiveNode) -> dict[str, ValueNode]:
    return {arg.name.value: arg.value for arg in directive.arguments or ()}


def _imports(value: ValueNode | None) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, ListValueNode):
        return ()
    out: list[tuple[str, str]] = []
    for item in value.values:
        if isinstance(item, StringValueNode):
            out.append((item.value, item.value))
        elif isinstance(item, ObjectValueNode):
            fields = {f.name.value: _string(f.value) for f in item.fields}
            name = fields.get("name")
            if name:
                out.append((name, fields.get("as") or name))
    return tuple(out)


def _schema_directives(document: DocumentNode) -> list[ConstDirectiveNode]:
    found: list[ConstDirectiveNode] = []
    for definition in document.definitions:
        if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            found.extend(definition.directives or ())
    return found


def resolve_spec_names(document: DocumentNode) -> SpecNames:
    """Read the schema's ``@link`` (Fed 2) or ``@core`` (Fed 1) directives."""
    directives = _schema_directives(document)
    link_name = "link"
    url_arg = "url"
    for directive in directives:
        args = _args(directive)
        for arg_name in ("url", "feature"):
            url = _string(args.get(arg_name))
            match = _URL.search(url or "")
            if match and match["name"] in ("link", "core"):
                link_name = directive.name.value
                url_arg = arg_name
                break
    specs: list[LinkedSpec] = []
    for directive in directives:
        if directive.name.value != link_name:
            continue
        args = _args(directive)
        url = _string(args.get(url_arg)) or ""
        match = _URL.search(url)
        if not match:
            continue
        major, minor = match["version"].split(".")
        specs.append(
            LinkedSpec(
                url=url,
                name=match["name"],
                version=(int(major), int(minor)),
                prefix=_string(args.get("as")) or match["name"],
                imports=_imports(args.get("import")),
            )
        )
    return SpecNames(specs=tuple(specs), link_directive=link_name)
