"""Progressive ``@override`` (join v0.4 ``overrideLabel``).

Apollo Router enables a ``percent(N)`` label for N% of requests, at random. The gateway
decides once per plan and deterministically instead: a label is on when it is ``percent(100)``
or one of the labels the planner is told to enable; ``percent(N)`` for N < 100 and any other
label are off, so the field stays with the subgraph it is being taken from. This is what
``@apollo/gateway`` does for labels it is not given (it evaluates no percentages).
"""

from __future__ import annotations

from tests.gateway.conformance.case import Case, Query
from tests.gateway.subgraph_kit import Subgraph, make_subgraph

_LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: '
    '["@key", "@override", "@shareable"])\n'
)

OLD = (
    _LINK
    + """
type Query { products: [Product!]! }
type Product @key(fields: "id") { id: ID! name: String price: Int stock: Int tax: Int }
"""
)

NEW = (
    _LINK
    + """
type Product @key(fields: "id") {
  id: ID!
  price: Int @override(from: "old", label: "percent(20)")
  stock: Int @override(from: "old", label: "percent(100)")
  tax: Int @override(from: "old", label: "beta-tax")
}
"""
)


def build() -> dict[str, Subgraph]:
    product = {"id": "1", "name": "Pen", "price": -1, "stock": -1, "tax": -1}
    return {
        "old": make_subgraph(
            "old",
            OLD,
            resolvers={"Query": {"products": lambda *_: [product]}},
            entities={"Product": lambda rep: product},
        ),
        "new": make_subgraph(
            "new",
            NEW,
            entities={"Product": lambda rep: {"id": rep["id"], "price": 3, "stock": 7, "tax": 1}},
        ),
    }


CASE = Case(
    name="override_labels",
    sdls={"old": OLD, "new": NEW},
    build=build,
    queries=(
        Query(
            "labels that are off leave the field with the subgraph it is taken from",
            "{ products { name price tax } }",
            {"data": {"products": [{"name": "Pen", "price": -1, "tax": -1}]}},
            fetches=1,
            apollo_fetches=1,
        ),
        Query(
            "percent(100) is on: the new owner answers",
            "{ products { name stock } }",
            {"data": {"products": [{"name": "Pen", "stock": 7}]}},
            fetches=2,
            apollo_fetches=1,
            apollo={"data": {"products": [{"name": "Pen", "stock": -1}]}},
            apollo_note=(
                "@apollo/gateway evaluates no label, so percent(100) stays off there; Apollo "
                "Router, which evaluates percentages, always enables percent(100) as we do"
            ),
        ),
    ),
)
