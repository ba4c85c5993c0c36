"""Two ``@requires`` that ask one field with other arguments (after the
requires-with-argument-conflict suite of the Guild's gateway audit): one representation cannot
carry both values, so each field gets its own entity fetch."""

from __future__ import annotations

from typing import Any

from tests.gateway.conformance.case import Case, Query, fed2
from tests.gateway.subgraph_kit import Subgraph, make_subgraph

PRODUCTS = fed2("""
type Query { products: [Product] }
type Product @key(fields: "upc") {
  upc: String!
  name: String
  price(currency: String!): Int
  weight: Int
  category: Category
}
type Category { averagePrice(currency: String!): Int }
""")

SHIPPING = fed2("""
type Product @key(fields: "upc") {
  upc: String!
  weight: Int @external
  price(currency: String!): Int @external
  shippingEstimate: Int @requires(fields: "price(currency: \\"USD\\") weight")
  shippingEstimateEUR: Int @requires(fields: "price(currency: \\"EUR\\") weight")
  category: Category @external
  isExpensiveCategory: Boolean @requires(fields: "category { averagePrice(currency: \\"USD\\") }")
}
type Category @external { averagePrice(currency: String!): Int }
""")

_PRODUCTS = [
    {"upc": "p1", "name": "p-name-1", "usd": 11, "weight": 1, "category": {"usd": 11}},
    {"upc": "p2", "name": "p-name-2", "usd": 22, "weight": 2, "category": {"usd": 22}},
]
_RATE = {"USD": 1, "EUR": 2}


def build() -> dict[str, Subgraph]:
    by_upc = {p["upc"]: p for p in _PRODUCTS}

    def price(obj: dict[str, Any], _info: Any, currency: str) -> int:
        return int(obj["usd"] * _RATE[currency])

    def shipped(rep: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"upc": rep["upc"]}
        if "price" in rep:
            # Which estimate the representation is for shows in its price: EUR is twice USD.
            usd = by_upc[rep["upc"]]["usd"]
            field = "shippingEstimate" if rep["price"] == usd else "shippingEstimateEUR"
            out[field] = rep["price"] * rep["weight"] * 10
        if "category" in rep:
            out["isExpensiveCategory"] = rep["category"]["averagePrice"] > 11
        return out

    return {
        "products": make_subgraph(
            "products",
            PRODUCTS,
            resolvers={
                "Query": {"products": lambda *_: _PRODUCTS},
                "Product": {"price": price},
                "Category": {"averagePrice": price},
            },
            entities={"Product": lambda rep: by_upc.get(rep["upc"])},
        ),
        "shipping": make_subgraph("shipping", SHIPPING, entities={"Product": shipped}),
    }


CASE = Case(
    name="requires_conflict",
    sdls={"products": PRODUCTS, "shipping": SHIPPING},
    build=build,
    queries=(
        Query(
            "the audit's query: USD and EUR prices required by two fields",
            "{ products { upc name shippingEstimate shippingEstimateEUR isExpensiveCategory } }",
            {
                "data": {
                    "products": [
                        {
                            "upc": "p1",
                            "name": "p-name-1",
                            "shippingEstimate": 110,
                            "shippingEstimateEUR": 220,
                            "isExpensiveCategory": False,
                        },
                        {
                            "upc": "p2",
                            "name": "p-name-2",
                            "shippingEstimate": 440,
                            "shippingEstimateEUR": 880,
                            "isExpensiveCategory": True,
                        },
                    ]
                }
            },
            fetches=3,
            apollo_fetches=2,
            apollo={
                "data": {
                    "products": [
                        {
                            "upc": "p1",
                            "name": "p-name-1",
                            "shippingEstimate": None,
                            "shippingEstimateEUR": 220,
                            "isExpensiveCategory": False,
                        },
                        {
                            "upc": "p2",
                            "name": "p-name-2",
                            "shippingEstimate": None,
                            "shippingEstimateEUR": 880,
                            "isExpensiveCategory": True,
                        },
                    ]
                }
            },
            apollo_note=(
                "Apollo is wrong: one fetch, one representation with one price (EUR), so the "
                "USD estimate cannot be computed; the fetch it saves is the one that is needed"
            ),
        ),
    ),
)
