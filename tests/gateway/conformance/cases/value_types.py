"""Value types spread over subgraphs: keyless types whose fields live in several subgraphs.

``Category`` (under the ``Product`` entity) has ``name`` in both subgraphs and ``tagline`` only
in b: a reaches it by re-entering b through the nearest ancestor entity's key (``Product``) and
selecting the path down to the category there. ``Viewer`` (at the root, under a ``@shareable``
root field) has ``login`` in a and ``theme`` in b: ``viewer { login theme }`` is one root
fetch per subgraph, merged."""

from __future__ import annotations

from typing import Any

from tests.gateway.conformance.case import Case, Query, fed2
from tests.gateway.subgraph_kit import Subgraph, make_subgraph

A = fed2("""
type Query { products: [Product!]! viewer: Viewer @shareable }
type Product @key(fields: "id") {
  id: ID!
  name: String
  category: Category @shareable
  tags(first: Int): [Tag!]! @shareable
}
type Category @shareable { name: String! }
type Tag @shareable { label: String! }
type Viewer @shareable { login: String settings: Settings }
type Settings @shareable { language: String }
""")

B = fed2("""
type Query { viewer: Viewer @shareable }
type Product @key(fields: "id") {
  id: ID!
  category: Category @shareable
  tags(first: Int): [Tag!]! @shareable
}
type Category @shareable { name: String! tagline: String parent: Category }
type Tag @shareable { label: String! color: String }
type Viewer @shareable { theme: String settings: Settings }
type Settings @shareable { language: String timezone: String }
""")

C = fed2("""
type Query { reviews: [Review!]! }
type Review { body: String product: Product }
type Product @key(fields: "id", resolvable: false) { id: ID! }
""")

_OFFICE: dict[str, Any] = {
    "name": "Office",
    "tagline": "Work in comfort",
    "parent": {"name": "Home"},
}
_HOME: dict[str, Any] = {"name": "Home", "tagline": "Make yourself at home", "parent": None}
_CATEGORIES = {"Office": _OFFICE, "Home": _HOME}

PRODUCTS: list[dict[str, Any]] = [
    {"id": "1", "name": "Desk", "category": "Office", "tags": ["oak", "tall"]},
    {"id": "2", "name": "Sofa", "category": "Home", "tags": []},
    {"id": "3", "name": "Gift card", "category": None, "tags": ["new"]},
]
_COLORS = {"oak": "brown", "tall": None, "new": "green"}


def _category(name: str | None) -> dict[str, Any] | None:
    if name is None:
        return None
    category = _CATEGORIES[name]
    parent = category["parent"]
    return {**category, "parent": _CATEGORIES[parent["name"]] if parent else None}


def _product_in_b(rep: dict[str, Any]) -> dict[str, Any]:
    product = next(p for p in PRODUCTS if p["id"] == rep["id"])
    return {
        "id": product["id"],
        "category": _category(product["category"]),
        "tags": [{"label": t, "color": _COLORS[t]} for t in product["tags"]],
    }


def _first_tags(product: dict[str, Any], _info: Any, first: int | None = None) -> Any:
    tags = product["tags"]
    return tags if first is None else tags[:first]


def build() -> dict[str, Subgraph]:
    products_in_a = [
        {
            "id": p["id"],
            "name": p["name"],
            "category": {"name": p["category"]} if p["category"] else None,
            "tags": [{"label": t} for t in p["tags"]],
        }
        for p in PRODUCTS
    ]
    return {
        "a": make_subgraph(
            "a",
            A,
            resolvers={
                "Product": {"tags": _first_tags},
                "Query": {
                    "products": lambda *_: products_in_a,
                    "viewer": lambda *_: {"login": "ada", "settings": {"language": "en"}},
                },
            },
            entities={"Product": lambda r: next(p for p in products_in_a if p["id"] == r["id"])},
        ),
        "c": make_subgraph(
            "c",
            C,
            resolvers={
                "Query": {
                    "reviews": lambda *_: [
                        {"body": "Sturdy", "product": {"id": "1"}},
                        {"body": "Comfy", "product": {"id": "2"}},
                    ]
                }
            },
        ),
        "b": make_subgraph(
            "b",
            B,
            resolvers={
                "Product": {"tags": _first_tags},
                "Query": {
                    "viewer": lambda *_: {
                        "theme": "dark",
                        "settings": {"language": "en", "timezone": "UTC"},
                    }
                },
            },
            entities={"Product": _product_in_b},
        ),
    }


CASE = Case(
    name="value_types",
    sdls={"a": A, "b": B, "c": C},
    build=build,
    queries=(
        Query(
            "a value type's field only another subgraph has, through the entity above it",
            "{ products { name category { name tagline } } }",
            {
                "data": {
                    "products": [
                        {
                            "name": "Desk",
                            "category": {"name": "Office", "tagline": "Work in comfort"},
                        },
                        {
                            "name": "Sofa",
                            "category": {"name": "Home", "tagline": "Make yourself at home"},
                        },
                        {"name": "Gift card", "category": None},
                    ]
                }
            },
            fetches=2,
            apollo_fetches=2,
        ),
        Query(
            "nested value types, an alias on the way down",
            "{ products { id cat: category { name up: parent { name tagline } } } }",
            {
                "data": {
                    "products": [
                        {
                            "id": "1",
                            "cat": {
                                "name": "Office",
                                "up": {"name": "Home", "tagline": "Make yourself at home"},
                            },
                        },
                        {"id": "2", "cat": {"name": "Home", "up": None}},
                        {"id": "3", "cat": None},
                    ]
                }
            },
            fetches=2,
            apollo_fetches=2,
        ),
        Query(
            "a list of value types, merged item by item",
            "{ products { name tags { label color } } }",
            {
                "data": {
                    "products": [
                        {
                            "name": "Desk",
                            "tags": [
                                {"label": "oak", "color": "brown"},
                                {"label": "tall", "color": None},
                            ],
                        },
                        {"name": "Sofa", "tags": []},
                        {"name": "Gift card", "tags": [{"label": "new", "color": "green"}]},
                    ]
                }
            },
            fetches=2,
            apollo_fetches=2,
        ),
        Query(
            "under an entity an entity fetch reached: re-entered from that fetch",
            "{ reviews { body product { name category { tagline } } } }",
            {
                "data": {
                    "reviews": [
                        {
                            "body": "Sturdy",
                            "product": {"name": "Desk", "category": {"tagline": "Work in comfort"}},
                        },
                        {
                            "body": "Comfy",
                            "product": {
                                "name": "Sofa",
                                "category": {"tagline": "Make yourself at home"},
                            },
                        },
                    ]
                }
            },
            fetches=3,
            apollo_fetches=3,
        ),
        Query(
            "a shareable root field whose selection spans two subgraphs",
            "{ viewer { login theme } }",
            {"data": {"viewer": {"login": "ada", "theme": "dark"}}},
            fetches=2,
            apollo_fetches=2,
        ),
        Query(
            "deeper under the root field: a nested value type spanning both",
            "{ viewer { login settings { language timezone } } }",
            {
                "data": {
                    "viewer": {
                        "login": "ada",
                        "settings": {"language": "en", "timezone": "UTC"},
                    }
                }
            },
            fetches=2,
            apollo_fetches=2,
        ),
        Query(
            "what one subgraph has alone stays one fetch",
            "{ viewer { theme settings { timezone } } }",
            {"data": {"viewer": {"theme": "dark", "settings": {"timezone": "UTC"}}}},
            fetches=1,
            apollo_fetches=1,
        ),
        Query(
            "arguments and variables on the way down are sent again with the path",
            "query Tags($n: Int) { products { name tags(first: $n) { color } } }",
            {
                "data": {
                    "products": [
                        {"name": "Desk", "tags": [{"color": "brown"}]},
                        {"name": "Sofa", "tags": []},
                        {"name": "Gift card", "tags": [{"color": "green"}]},
                    ]
                }
            },
            fetches=2,
            variables={"n": 1},
            operation_name="Tags",
            apollo_fetches=2,
        ),
    ),
)
