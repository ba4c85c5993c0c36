"""Shape merged subgraph data into exactly the response the operation asked for."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLAbstractType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    SelectionSetNode,
    execute_sync,
    is_leaf_type,
)

from gateway.executor._merge import ResponsePath
from gateway.planner import CollectedField, Operation, collect_fields
from gateway.wire import GraphQLError

__all__ = ["shape_response"]


class _Invalid:
    """A null at a non-null position, already reported, propagating to its parent."""


_INVALID = _Invalid()


class _Shaper:
    def __init__(
        self,
        schema: GraphQLSchema,
        operation: Operation,
        variables: Mapping[str, Any],
        errors: list[GraphQLError],
        failed: Sequence[ResponsePath],
    ) -> None:
        self.schema = schema
        self.operation = operation
        self.variables = variables
        self.errors = errors
        self.quiet = [tuple(p) for p in failed]
        self.quiet.extend(tuple(e["path"]) for e in errors if "path" in e)
        self.quiet_all = any("path" not in e for e in errors)

    def null_error(self, parent: str, cf: CollectedField, path: ResponsePath) -> None:
        here = tuple(path)
        if self.quiet_all or any(here[: len(q)] == q or q[: len(here)] == here for q in self.quiet):
            return
        self.errors.append(
            {
                "message": f"Cannot return null for non-nullable field {parent}.{cf.name}.",
                "path": list(path),
            }
        )

    def object(
        self,
        obj: dict[str, Any],
        static: GraphQLObjectType | GraphQLAbstractType,
        selections: Sequence[SelectionNode],
        path: ResponsePath,
    ) -> dict[str, Any] | _Invalid | None:
        runtime: GraphQLObjectType | GraphQLInterfaceType
        typename = obj.get("__typename")
        if isinstance(static, GraphQLObjectType):
            runtime = static
        elif isinstance(static, GraphQLInterfaceType) and typename == static.name:
            # From an @interfaceObject subgraph, with no fragment that needed the real type.
            runtime = static
        else:
            found = self.schema.type_map.get(typename or "")
            if not isinstance(found, GraphQLObjectType) or not self.schema.is_sub_type(
                static, found
            ):
                return None
            runtime = found
        out: dict[str, Any] = {}
        for cf in collect_fields(
            self.schema, selections, runtime.name, self.operation.fragments, self.variables
        ):
            if cf.name == "__typename":
                out[cf.key] = runtime.name
                continue
            if not path and cf.name in ("__schema", "__type"):
                out[cf.key] = self.introspect(cf)
                continue
            field = runtime.fields.get(cf.name)
            if field is None:
                continue
            field_path = [*path, cf.key]
            value = self.value(field.type, obj.get(cf.data_key), cf, runtime.name, field_path)
            if isinstance(value, _Invalid):
                return value
            out[cf.key] = value
        return out

    def value(
        self,
        type_: GraphQLOutputType,
        raw: Any,
        cf: CollectedField,
        parent: str,
        path: ResponsePath,
    ) -> Any:
        if isinstance(type_, GraphQLNonNull):
            inner = self.value(type_.of_type, raw, cf, parent, path)
            if inner is None:
                self.null_error(parent, cf, path)
                return _INVALID
            return inner
        result = self.nullable(type_, raw, cf, parent, path)
        return None if result is _INVALID else result

    def nullable(
        self,
        type_: GraphQLOutputType,
        raw: Any,
        cf: CollectedField,
        parent: str,
        path: ResponsePath,
    ) -> Any:
        if raw is None:
            return None
        if isinstance(type_, GraphQLList):
            if not isinstance(raw, list):
                return None
            items = []
            for i, item in enumerate(raw):
                value = self.value(type_.of_type, item, cf, parent, [*path, i])
                if value is _INVALID:
                    return _INVALID
                items.append(value)
            return items
        if is_leaf_type(type_):
            return raw
        if not isinstance(raw, dict):
            return None
        assert isinstance(type_, GraphQLObjectType | GraphQLAbstractType)
        return self.object(raw, type_, cf.sub_selections(), path)

    def introspect(self, cf: CollectedField) -> Any:
        definition = OperationDefinitionNode(
            operation=OperationType.QUERY,
            selection_set=SelectionSetNode(selections=cf.nodes),
        )
        document = DocumentNode(definitions=(definition, *self.operation.fragments.values()))
        result = execute_sync(self.schema, document, variable_values=dict(self.variables))
        return (result.data or {}).get(cf.key)


def shape_response(
    schema: GraphQLSchema,
    operation: Operation,
    variables: Mapping[str, Any],
    data: dict[str, Any],
    errors: list[GraphQLError],
    failed: Sequence[ResponsePath] = (),
) -> dict[str, Any] | None:
    """The client's ``data``; nulls propagate per the spec and add errors to ``errors``."""
    root = schema.get_root_type(operation.definition.operation)
    if root is None:
        return None
    shaper = _Shaper(schema, operation, variables, errors, failed)
    result = shaper.object(data, root, operation.definition.selection_set.selections, [])
    return None if isinstance(result, _Invalid) else result
