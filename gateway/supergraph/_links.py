"""Resolve ``@link`` / ``@core`` declarations into the names a supergraph really uses, and
find the features linked ``for: SECURITY`` or ``for: EXECUTION`` the gateway does not implement
(the link spec requires refusing those: served without them, a supergraph is served unsafely or
wrongly)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from graphql import (
    ConstDirectiveNode,
    DocumentNode,
    EnumValueNode,
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

# The purposes a reader must understand a feature for, or refuse the document.
_PURPOSES = ("SECURITY", "EXECUTION")

# The features of specs.apollo.dev the gateway implements, and the versions it reads.
_IMPLEMENTED: dict[str, frozenset[tuple[int, int]]] = {
    "link": frozenset({(1, 0)}),
    "core": frozenset({(0, 1), (0, 2)}),
    "join": frozenset({(0, 1), (0, 2), (0, 3), (0, 4), (0, 5)}),
    "inaccessible": frozenset({(0, 1), (0, 2)}),
    "tag": frozenset({(0, 1), (0, 2), (0, 3)}),
    "cost": frozenset({(0, 1)}),
    "authenticated": frozenset({(0, 1)}),
    "requiresScopes": frozenset({(0, 1)}),
    "policy": frozenset({(0, 1)}),
}


@dataclass(frozen=True)
class LinkedSpec:
    """One ``@link``-ed (or ``@core``-ed) specification and how this document names it."""

    url: str
    name: str
    version: tuple[int, int]
    prefix: str
    # imported element name in the spec (``@inaccessible``, ``FieldSet``) -> local name
    imports: tuple[tuple[str, str], ...]
    # ``for:`` (``SECURITY``, ``EXECUTION``), if given.
    purpose: str | None = None

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

    @property
    def implemented(self) -> bool:
        """Whether the gateway implements this feature at this version."""
        return self.is_machinery and self.version in _IMPLEMENTED.get(self.name, frozenset())


@dataclass(frozen=True)
class SpecNames:
    """All specs linked by a supergraph, with the ones the gateway reads picked out."""

    specs: tuple[LinkedSpec, ...]
    link_directive: str
    # (url, purpose) of links with a purpose whose URL names no feature and version.
    opaque: tuple[tuple[str, str], ...] = ()

    def get(self, name: str) -> LinkedSpec | None:
        for spec in self.specs:
            if spec.name == name:
                return spec
        return None

    def feature(self, name: str) -> LinkedSpec | None:
        """The specs.apollo.dev feature ``name`` (``authenticated``), if linked."""
        for spec in self.specs:
            if spec.name == name and spec.is_machinery:
                return spec
        return None

    def unimplemented(self) -> str | None:
        """Why the document must be refused: the first feature linked for SECURITY or
        EXECUTION that the gateway does not implement; ``None`` when there is none."""
        for url, purpose in self.opaque:
            return f"supergraph links {url} for {purpose}, which this gateway does not implement"
        for spec in self.specs:
            if spec.purpose in _PURPOSES and not spec.implemented:
                return (
                    f"supergraph links {spec.url} for {spec.purpose}, "
                    "which this gateway does not implement"
                )
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


def _purpose(value: ValueNode | None) -> str | None:
    """``for:``: an enum value, or a string as hand-written documents sometimes have it."""
    if isinstance(value, EnumValueNode | StringValueNode):
        return value.value
    return None


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
    opaque: list[tuple[str, str]] = []
    for directive in directives:
        if directive.name.value != link_name:
            continue
        args = _args(directive)
        url = _string(args.get(url_arg)) or ""
        purpose = _purpose(args.get("for"))
        match = _URL.search(url)
        if not match:
            if purpose in _PURPOSES:
                opaque.append((url, purpose))
            continue
        major, minor = match["version"].split(".")
        specs.append(
            LinkedSpec(
                url=url,
                name=match["name"],
                version=(int(major), int(minor)),
                prefix=_string(args.get("as")) or match["name"],
                imports=_imports(args.get("import")),
                purpose=purpose,
            )
        )
    return SpecNames(specs=tuple(specs), link_directive=link_name, opaque=tuple(opaque))
