"""``@requires``: arguments on required fields, nested selections, a required field that itself
has ``@requires``."""

from __future__ import annotations

from typing import Any

from tests.gateway.conformance.case import Case, Query, fed2
from tests.gateway.subgraph_kit import Subgraph, make_subgraph

PRODUCTS = fed2("""
type Query { products: [Product!]! }
type Product @key(fields: "upc") {
  upc: String!
  price: Int
  weight(unit: String = "kg"): Int
  dims: Dims
}
type Dims @shareable { size: Int unit: String }
""")

SHIPPING = fed2("""
type Product @key(fields: "upc") {
  upc: String!
  price: Int @external
  weight(unit: String = "kg"): Int @external
  dims: Dims @external
  shippingEstimate: Int @requires(fields: "price weight(unit: \\"g\\") dims { size }")
}
type Dims @shareable { size: Int unit: String }
""")

DELIVERY = fed2("""
type Product @key(fields: "upc") {
  upc: String!
  shippingEstimate: Int @external
  deliveryDays: Int @requires(fields: "shippingEstimate")
}
""")

_PRODUCTS = [
    {"upc": "p1", "price": 1000, "kg": 2, "dims": {"size": 3, "unit": "m"}},
    {"upc": "p2", "price": 50, "kg": 1, "dims": {"size": 1, "unit": "m"}},
]


def build() -> dict[str, Subgraph]:
    by_upc = {p["upc"]: p for p in _PRODUCTS}

    def weight(obj: dict[str, Any], _info: Any, unit: str = "kg") -> int:
        return int(obj["kg"] * (1000 if unit == "g" else 1))

    def estimate(rep: dict[str, Any]) -> dict[str, Any]:
        value = rep["price"] // 10 + rep["weight"] // 100 + rep["dims"]["size"]
        return {"upc": rep["upc"], "shippingEstimate": value}

    def days(rep: dict[str, Any]) -> dict[str, Any]:
        return {"upc": rep["upc"], "deliveryDays": 1 + rep["shippingEstimate"] // 50}

    return {
        "products": make_subgraph(
            "products",
            PRODUCTS,
            resolvers={"Query": {"products": lambda *_: _PRODUCTS}, "Product": {"weight": weight}},
            entities={"Product": lambda rep: by_upc.get(rep["upc"])},
        ),
        "shipping": make_subgraph("shipping", SHIPPING, entities={"Product": estimate}),
        "delivery": make_subgraph("delivery", DELIVERY, entities={"Product": days}),
    }


CASE = Case(
    name="requires",
    sdls={"products": PRODUCTS, "shipping": SHIPPING, "delivery": DELIVERY},
    build=build,
    queries=(
        Query(
            "required fields with arguments and a nested selection",
            "{ products { upc shippingEstimate } }",
            {
                "data": {
                    "products": [
                        {"upc": "p1", "shippingEstimate": 123},
                        {"upc": "p2", "shippingEstimate": 16},
                    ]
                }
            },
            fetches=2,
            apollo_fetches=2,
        ),
        Query(
            "the client selects a required field with other arguments",
            '{ products { weight shippingEstimate grams: weight(unit: "g") } }',
            {
                "data": {
                    "products": [
                        {"weight": 2, "shippingEstimate": 123, "grams": 2000},
                        {"weight": 1, "shippingEstimate": 16, "grams": 1000},
                    ]
                }
            },
            fetches=2,
            apollo_fetches=2,
            apollo={
                "data": {
                    "products": [
                        {"weight": 2, "shippingEstimate": 103, "grams": 2000},
                        {"weight": 1, "shippingEstimate": 6, "grams": 1000},
                    ]
                }
            },
            apollo_note=(
                "Apollo is wrong: its representation carries the client's weight (kg) where "
                '@requires asks for weight(unit: "g"), so shipping computes from 2, not 2000'
            ),
        ),
        Query(
            "a required field that itself has @requires",
            "{ products { deliveryDays dims { unit } } }",
            {
                "data": {
                    "products": [
                        {"deliveryDays": 3, "dims": {"unit": "m"}},
                        {"deliveryDays": 1, "dims": {"unit": "m"}},
                    ]
                }
            },
            fetches=3,
            apollo_fetches=3,
        ),
        Query(
            "a client alias takes the name of a required field (price: upc)",
            "{ products { price: upc shippingEstimate } }",
            {
                "data": {
                    "products": [
                        {"price": "p1", "shippingEstimate": 123},
                        {"price": "p2", "shippingEstimate": 16},
                    ]
                }
            },
            fetches=2,
            apollo_fetches=2,
            apollo={
                "errors": [
                    {
                        "message": "unsupported operand type(s) for //: 'str' and 'int'",
                        "path": ["products", "@", "_entities"],
                        "extensions": {
                            "serviceName": "shipping",
                            "code": "DOWNSTREAM_SERVICE_ERROR",
                        },
                    }
                ],
                "data": {
                    "products": [
                        {"price": "p1", "shippingEstimate": None},
                        {"price": "p2", "shippingEstimate": None},
                    ]
                },
            },
            apollo_note=(
                "Apollo is wrong: the representation carries the client's price: upc (a string) "
                "as the required price, and shipping fails on it"
            ),
        ),
    ),
)
