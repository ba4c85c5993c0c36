"""The API schema: the supergraph minus join/link machinery and ``@inaccessible`` elements."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from graphql import (
    ConstDirectiveNode,
    DefinitionNode,
    DirectiveDefinitionNode,
    DocumentNode,
    GraphQLDeferDirective,
    GraphQLSchema,
    NamedTypeNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    build_ast_schema,
)

from gateway.supergraph._links import SpecNames

__all__ = ["build_api_schema"]

_N = TypeVar("_N")


class _Stripper:
    def __init__(self, document: DocumentNode, names: SpecNames) -> None:
        self.names = names
        inaccessible = names.get("inaccessible")
        self.inaccessible = inaccessible.directive("inaccessible") if inaccessible else None
        self.machinery_directives = names.machinery_directives()
        self.machinery_types = names.machinery_types()
        self.hidden_types: set[str] = set()
        for definition in document.definitions:
            if isinstance(definition, TypeDefinitionNode | TypeExtensionNode):
                name = definition.name.value
                if self.is_machinery(name) or self.hides(definition.directives):
                    self.hidden_types.add(name)

    def is_machinery(self, name: str) -> bool:
        return (
            name in self.machinery_directives
            or name in self.machinery_types
            or self.names.is_machinery_name(name)
        )

    def hides(self, directives: tuple[ConstDirectiveNode, ...] | None) -> bool:
        return bool(
            self.inaccessible and any(d.name.value == self.inaccessible for d in directives or ())
        )

    def directives(
        self, directives: tuple[ConstDirectiveNode, ...] | None
    ) -> tuple[ConstDirectiveNode, ...]:
        return tuple(d for d in directives or () if not self.is_machinery(d.name.value))

    def visible(self, nodes: tuple[_N, ...] | None) -> tuple[_N, ...]:
        return tuple(
            self.clean(n)
            for n in nodes or ()
            if not self.hides(getattr(n, "directives", None))
            and not (isinstance(n, NamedTypeNode) and n.name.value in self.hidden_types)
        )

    def clean(self, node: _N) -> _N:
        changes: dict[str, Any] = {}
        for attr in ("fields", "values", "arguments", "interfaces", "types"):
            if getattr(node, attr, None) is not None:
                changes[attr] = self.visible(getattr(node, attr))
        if getattr(node, "directives", None) is not None:
            changes["directives"] = self.directives(node.directives)  # type: ignore[attr-defined]
        return dataclasses.replace(node, **changes) if changes else node  # type: ignore[type-var]

    def definition(self, definition: DefinitionNode) -> DefinitionNode | None:
        if isinstance(definition, DirectiveDefinitionNode):
            return None if self.is_machinery(definition.name.value) else definition
        if isinstance(definition, TypeDefinitionNode | TypeExtensionNode):
            if definition.name.value in self.hidden_types:
                return None
            return self.clean(definition)
        if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            operations = tuple(
                op
                for op in definition.operation_types or ()
                if op.type.name.value not in self.hidden_types
            )
            return dataclasses.replace(
                definition,
                directives=self.directives(definition.directives),
                operation_types=operations,
            )
        return definition


def build_api_schema(document: DocumentNode, names: SpecNames) -> GraphQLSchema:
    """Build the schema clients validate and introspect against."""
    stripper = _Stripper(document, names)
    definitions = tuple(
        cleaned
        for definition in document.definitions
        if (cleaned := stripper.definition(definition)) is not None
    )
    schema = build_ast_schema(DocumentNode(definitions=definitions), assume_valid_sdl=True)
    if schema.get_directive("defer") is not None:
        return schema
    # The gateway serves @defer (gateway.planner._defer): clients see it in introspection,
    # and validation checks its uses (static, unique labels; not on a mutation's or
    # subscription's root, not in a subscription).
    kwargs = schema.to_kwargs()
    kwargs["directives"] = (*schema.directives, GraphQLDeferDirective)
    return GraphQLSchema(**kwargs)
