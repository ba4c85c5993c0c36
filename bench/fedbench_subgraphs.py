"""The four fedbench subgraphs (accounts, inventory, products, reviews) over data.json.

They answer like the benchmark's own subgraphs, so that the benchmark query returns
``expected.json`` through a correct gateway.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.gateway.subgraph_kit import Subgraph, make_subgraph

__all__ = ["FEDBENCH", "fedbench_subgraphs"]

# A copy of ../shared/fedbench (graphql-hive/graphql-gateways-benchmark data), kept in the repo
# so that tests and benchmarks never depend on what lies beside the checkout.
FEDBENCH = Path(__file__).resolve().parent / "fedbench"


def fedbench_subgraphs(root: Path = FEDBENCH) -> dict[str, Subgraph]:
    data: dict[str, Any] = json.loads((root / "data.json").read_text())
    sdl = {p.stem: p.read_text() for p in (root / "sdl").glob("*.graphql")}
    users = {u["id"]: u for u in data["users"]}
    products = {p["upc"]: p for p in data["products"]}
    reviews = data["reviews"]

    def review(r: dict[str, Any]) -> dict[str, Any]:
        # The benchmark's reviews all have author 1, whose username the subgraph provides.
        return {
            "__typename": "Review",
            "id": r["id"],
            "body": r["body"],
            "product": {"__typename": "Product", "upc": r["upc"]},
            "author": {"__typename": "User", "id": "1", "username": users["1"]["username"]},
        }

    accounts = make_subgraph(
        "accounts",
        sdl["accounts"],
        resolvers={
            "Query": {
                "me": lambda *_: users["1"],
                "user": lambda _o, _i, id: users.get(id),
                "users": lambda *_: list(users.values()),
            }
        },
        entities={"User": lambda rep: users.get(rep["id"])},
    )
    products_sg = make_subgraph(
        "products",
        sdl["products"],
        resolvers={"Query": {"topProducts": lambda _o, _i, first=5: data["products"][:first]}},
        entities={"Product": lambda rep: products.get(rep["upc"])},
    )
    inventory = make_subgraph(
        "inventory",
        sdl["inventory"],
        resolvers={
            "Product": {
                "inStock": lambda obj, _i: data["inStock"].get(obj["upc"]),
                "shippingEstimate": lambda *_: None,
            }
        },
        entities={"Product": lambda rep: dict(rep)},
    )
    reviews_sg = make_subgraph(
        "reviews",
        sdl["reviews"],
        resolvers={
            "User": {"reviews": lambda *_: [review(r) for r in reviews[:2]]},
            "Product": {
                "reviews": lambda obj, _i: [review(r) for r in reviews if r["upc"] == obj["upc"]]
            },
        },
        entities={
            "User": lambda rep: {"id": rep["id"]},
            "Product": lambda rep: {"upc": rep["upc"]},
            "Review": lambda rep: next((review(r) for r in reviews if r["id"] == rep["id"]), None),
        },
    )
    return {
        "accounts": accounts,
        "inventory": inventory,
        "products": products_sg,
        "reviews": reviews_sg,
    }
