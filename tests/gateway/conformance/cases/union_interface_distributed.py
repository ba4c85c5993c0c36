"""A union in one subgraph whose member implements interfaces only in another subgraph
(after the union-interface-distributed suite of the Guild's gateway audit)."""

from __future__ import annotations

from typing import Any

from tests.gateway.conformance.case import Case, Query, fed2
from tests.gateway.subgraph_kit import Subgraph, make_subgraph

A = fed2("""
type Query { products: [Product] node(id: ID!): Node nodes: [Node] toasters: [Toaster] }
union Product = Oven | Toaster
interface Node { id: ID! }
interface WithWarranty { warranty: Int }
type Oven @key(fields: "id") { id: ID! }
type Toaster implements Node & WithWarranty @key(fields: "id") { id: ID! warranty: Int }
""")

B = fed2("""
interface Node { id: ID! }
interface WithWarranty { warranty: Int }
type Oven implements Node & WithWarranty @key(fields: "id") { id: ID! warranty: Int }
""")

_PRODUCTS: list[dict[str, Any]] = [
    {"__typename": "Oven", "id": "oven1"},
    {"__typename": "Oven", "id": "oven2"},
    {"__typename": "Toaster", "id": "toaster1", "warranty": 3},
    {"__typename": "Toaster", "id": "toaster2", "warranty": 4},
]
_TOASTERS = [p for p in _PRODUCTS if p["__typename"] == "Toaster"]


def build() -> dict[str, Subgraph]:
    by_id = {p["id"]: p for p in _PRODUCTS}

    def typed(name: str) -> Any:
        def resolve(rep: dict[str, Any]) -> Any:
            found = by_id.get(rep["id"])
            return found if found and found["__typename"] == name else None

        return resolve

    def oven_b(rep: dict[str, Any]) -> Any:
        return {"id": rep["id"], "warranty": 1} if typed("Oven")(rep) else None

    return {
        "a": make_subgraph(
            "a",
            A,
            resolvers={
                "Query": {
                    "products": lambda *_: _PRODUCTS,
                    "node": lambda _o, _i, id: by_id.get(id),
                    "nodes": lambda *_: _TOASTERS,
                    "toasters": lambda *_: _TOASTERS,
                }
            },
            entities={"Oven": typed("Oven"), "Toaster": typed("Toaster")},
        ),
        "b": make_subgraph("b", B, entities={"Oven": oven_b}),
    }


_TOASTER_IDS = {"data": {"nodes": [{"id": "toaster1"}, {"id": "toaster2"}]}}
_WARRANTIES = {"data": {"nodes": [{"warranty": 3}, {"warranty": 4}]}}

CASE = Case(
    name="union_interface_distributed",
    sdls={"a": A, "b": B},
    build=build,
    queries=(
        Query(
            "a union member that is a Node only in another subgraph",
            "{ products { ... on Node { id } } }",
            {
                "data": {
                    "products": [
                        {"id": "oven1"},
                        {"id": "oven2"},
                        {"id": "toaster1"},
                        {"id": "toaster2"},
                    ]
                }
            },
            fetches=1,
            apollo_fetches=1,
        ),
        Query(
            "fragments on two implementations",
            "{ nodes { ... on Toaster { warranty } ... on Oven { id } } }",
            _WARRANTIES,
            fetches=1,
            apollo_fetches=1,
        ),
        Query("an interface field", "{ nodes { id } }", _TOASTER_IDS, fetches=1, apollo_fetches=1),
        Query(
            "a fragment on the interface itself",
            "{ nodes { ... on Node { id } } }",
            _TOASTER_IDS,
            fetches=1,
            apollo_fetches=1,
        ),
        Query(
            "a fragment on another interface inside one on the field's interface",
            "{ nodes { ... on Node { ... on WithWarranty { warranty } } } }",
            _WARRANTIES,
            fetches=1,
            apollo_fetches=1,
        ),
        Query(
            "nested fragments on interfaces",
            "{ nodes { ... on Node { id ... on Node { id ... on WithWarranty { warranty } } } } }",
            {
                "data": {
                    "nodes": [
                        {"id": "toaster1", "warranty": 3},
                        {"id": "toaster2", "warranty": 4},
                    ]
                }
            },
            fetches=1,
            apollo_fetches=1,
        ),
        Query(
            "named fragments on an object and an interface",
            "{ toasters { ...T ...N } } fragment T on Toaster { id } "
            "fragment N on Node { id __typename }",
            {
                "data": {
                    "toasters": [
                        {"id": "toaster1", "__typename": "Toaster"},
                        {"id": "toaster2", "__typename": "Toaster"},
                    ]
                }
            },
            fetches=1,
            apollo_fetches=1,
        ),
        Query(
            "an object a subgraph returns as an interface it does not implement there",
            '{ node(id: "oven1") { ... on Oven { warranty } } }',
            {
                "errors": [
                    {
                        "message": "Runtime Object type 'Oven' is not a possible type for 'Node'.",
                        "path": ["node"],
                        "extensions": {"code": "SUBGRAPH_ERROR", "serviceName": "a"},
                    }
                ],
                "data": {"node": None},
            },
            fetches=1,
            apollo_fetches=1,
        ),
        Query(
            "an implementation the subgraph returns without knowing it implements the interface",
            '{ node(id: "toaster1") { ... on Toaster { warranty } } }',
            {"data": {"node": {"warranty": 3}}},
            fetches=1,
            apollo_fetches=1,
        ),
    ),
)
