"""``@override``: the new owner answers; an override from a subgraph without the field."""

from __future__ import annotations

from tests.gateway.conformance.case import Case, Query, fed2
from tests.gateway.subgraph_kit import Subgraph, make_subgraph

OLD = fed2("""
type Query { products: [Product!]! }
type Product @key(fields: "id") { id: ID! name: String price: Int }
""")

NEW = fed2("""
type Product @key(fields: "id") { id: ID! price: Int @override(from: "old") }
""")

STOCK = fed2("""
type Product @key(fields: "id") { id: ID! stock: Int @override(from: "new") }
""")


def build() -> dict[str, Subgraph]:
    return {
        "old": make_subgraph(
            "old",
            OLD,
            resolvers={"Query": {"products": lambda *_: [{"id": "1", "name": "Pen", "price": -1}]}},
            entities={"Product": lambda rep: {"id": rep["id"], "name": "Pen", "price": -1}},
        ),
        "new": make_subgraph(
            "new", NEW, entities={"Product": lambda rep: {"id": rep["id"], "price": 3}}
        ),
        "stock": make_subgraph(
            "stock", STOCK, entities={"Product": lambda rep: {"id": rep["id"], "stock": 7}}
        ),
    }


CASE = Case(
    name="override",
    sdls={"old": OLD, "new": NEW, "stock": STOCK},
    build=build,
    queries=(
        Query(
            "overridden field comes from the new owner",
            "{ products { id name price stock } }",
            {"data": {"products": [{"id": "1", "name": "Pen", "price": 3, "stock": 7}]}},
            fetches=3,
            apollo_fetches=3,
        ),
    ),
)
