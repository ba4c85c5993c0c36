"""Small federation subgraphs for tests: SDL + resolvers in, a Starlette app out.

Built on graphql-core: the federation directives are declared, ``_service`` and ``_entities``
are added, and every abstract type resolves by the ``__typename`` its resolvers put in objects.
Each subgraph records the operations it receives so tests can count fetches.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import (
    GraphQLAbstractType,
    GraphQLObjectType,
    GraphQLResolveInfo,
    build_ast_schema,
    graphql,
    parse,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

__all__ = ["Resolver", "Subgraph", "make_subgraph"]

Resolver = Callable[..., Any]
EntityResolver = Callable[[dict[str, Any]], Any]

_FEDERATION = """
scalar _Any
type _Service { sdl: String }
directive @key(fields: String!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE
directive @requires(fields: String!) on FIELD_DEFINITION
directive @provides(fields: String!) on FIELD_DEFINITION
directive @external(reason: String) on OBJECT | FIELD_DEFINITION
directive @shareable repeatable on OBJECT | FIELD_DEFINITION
directive @override(from: String!, label: String) on FIELD_DEFINITION
directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION \
| SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION
directive @interfaceObject on OBJECT
directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION \
| ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION
directive @extends on OBJECT | INTERFACE
directive @link(url: String!, as: String, import: [_Any]) repeatable on SCHEMA
"""


@dataclass
class Subgraph:
    """A running test subgraph's app and the operations it has been sent."""

    name: str
    sdl: str
    app: Starlette
    requests: list[dict[str, Any]] = field(default_factory=list)
    down: bool = False

    def operations(self) -> list[str]:
        return [r["query"] for r in self.requests]


def _has_query(sdl: str) -> bool:
    return "type Query" in sdl.replace("extend type Query", "")


def make_subgraph(
    name: str,
    sdl: str,
    *,
    resolvers: Mapping[str, Mapping[str, Resolver]] | None = None,
    entities: Mapping[str, EntityResolver] | None = None,
) -> Subgraph:
    """A subgraph serving ``sdl`` (Fed 2 syntax) with ``resolvers`` (type -> field -> fn).

    ``entities`` maps a type name to a function from a representation to an object (a dict,
    or ``None`` for an entity that does not exist). Objects are dicts; unresolved fields are
    read from them by response key.
    """
    entities = dict(entities or {})
    query_ext = "_service: _Service!"
    if entities:
        query_ext += " _entities(representations: [_Any!]!): [_Entity]!"
    extra = _FEDERATION
    if entities:
        # An entity interface resolves to its implementations, which are the union's members.
        members = " | ".join(e for e in entities if not re.search(rf"\binterface {e}\b", sdl))
        extra += f"union _Entity = {members}\n"
    extra += ("extend type Query {" if _has_query(sdl) else "type Query {") + query_ext + "}\n"
    body = "\n".join(line for line in sdl.splitlines() if not line.startswith("extend schema"))
    schema = build_ast_schema(parse(body + "\n" + extra), assume_valid_sdl=True)

    def resolve_type(value: Any, info: GraphQLResolveInfo[Any], abstract: Any) -> str | None:
        return value.get("__typename") if isinstance(value, dict) else None

    for type_ in schema.type_map.values():
        if isinstance(type_, GraphQLAbstractType):
            type_.resolve_type = resolve_type
    for type_name, fields in (resolvers or {}).items():
        type_ = schema.type_map[type_name]
        assert isinstance(type_, GraphQLObjectType)
        for field_name, fn in fields.items():
            type_.fields[field_name].resolve = fn

    def resolve_entities(_: Any, info: GraphQLResolveInfo[Any], representations: list[Any]) -> Any:
        out = []
        for rep in representations:
            typename = rep["__typename"]
            obj = entities[typename](rep)
            if isinstance(obj, dict) and "__typename" not in obj:
                obj = {**obj, "__typename": typename}
            out.append(obj)
        return out

    query = schema.query_type
    assert query is not None
    query.fields["_service"].resolve = lambda *_: {"sdl": sdl}
    if entities:
        query.fields["_entities"].resolve = resolve_entities
    subgraph = Subgraph(name, sdl, Starlette())

    async def endpoint(request: Request) -> Response:
        body = orjson.loads(await request.body())
        subgraph.requests.append(body)
        if subgraph.down:
            return Response(b"down", status_code=503)
        result = await graphql(
            schema,
            body["query"],
            variable_values=body.get("variables"),
            operation_name=body.get("operationName"),
        )
        return Response(orjson.dumps(result.formatted), media_type="application/json")

    subgraph.app = Starlette(routes=[Route("/graphql", endpoint, methods=["POST"])])
    return subgraph
