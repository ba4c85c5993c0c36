"""``@requires`` with fragments on abstract types; ``@provides`` on interfaces and unions."""

from __future__ import annotations

from typing import Any

from tests.gateway.conformance.case import Case, Query, fed2
from tests.gateway.subgraph_kit import Subgraph, make_subgraph

CATALOG = fed2("""
type Query { products: [Product!]! }
interface Product { id: ID! title: String }
type Book implements Product @key(fields: "id") {
  id: ID! title: String @shareable pages: Int owner: Owner party: Party
}
type Film implements Product @key(fields: "id") { id: ID! title: String @shareable minutes: Int }
interface Owner { name: String! }
type Person implements Owner @shareable { name: String! age: Int }
type Company implements Owner @shareable { name: String! staff: Int }
union Party = Person | Company
""")

SHIPPING = fed2("""
type Book @key(fields: "id") {
  id: ID!
  owner: Owner @external
  party: Party @external
  fee: Int @requires(fields: "owner { name ... on Company { staff } ... on Person { age } }")
  label: String @requires(fields: "party { ... on Person { name } ... on Company { name } }")
}
interface Owner { name: String! }
type Person implements Owner @shareable { name: String! age: Int }
type Company implements Owner @shareable { name: String! staff: Int }
union Party = Person | Company
""")

REVIEWS = fed2("""
type Query { reviews: [Review!]! }
type Review {
  body: String!
  product: Product @provides(fields: "... on Book { title } ... on Film { title }")
  pick: Pick @provides(fields: "... on Book { title } ... on Film { title }")
}
interface Product { id: ID! title: String }
type Book implements Product @key(fields: "id") { id: ID! title: String @external }
type Film implements Product @key(fields: "id") { id: ID! title: String @external }
union Pick = Book | Film
""")

_PRODUCTS = {
    "b1": {
        "__typename": "Book",
        "id": "b1",
        "title": "Dune",
        "pages": 412,
        "owner": {"__typename": "Company", "name": "Ace", "staff": 40},
        "party": {"__typename": "Person", "name": "Ann", "age": 30},
    },
    "b2": {
        "__typename": "Book",
        "id": "b2",
        "title": "Emma",
        "pages": 300,
        "owner": {"__typename": "Person", "name": "Jo", "age": 50},
        "party": {"__typename": "Company", "name": "Bee", "staff": 2},
    },
    "f1": {"__typename": "Film", "id": "f1", "title": "Alien", "minutes": 117},
}


def build() -> dict[str, Subgraph]:
    def shipped(rep: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"id": rep["id"]}
        owner = rep.get("owner")
        if owner is not None:  # the fee depends on the kind of owner, read from fragments
            out["fee"] = len(owner["name"]) + owner.get("staff", 0) + owner.get("age", 0)
        party = rep.get("party")
        if party is not None:
            out["label"] = f"to {party['name']}"
        return out

    def review(product_id: str, body: str) -> dict[str, Any]:
        product = _PRODUCTS[product_id]
        # What this subgraph knows of the product: its key and the provided title.
        known = {"__typename": product["__typename"], "id": product_id, "title": product["title"]}
        return {"body": body, "product": known, "pick": known}

    return {
        "catalog": make_subgraph(
            "catalog",
            CATALOG,
            resolvers={"Query": {"products": lambda *_: list(_PRODUCTS.values())}},
            entities={
                "Book": lambda r: _PRODUCTS.get(r["id"]),
                "Film": lambda r: _PRODUCTS.get(r["id"]),
            },
        ),
        "shipping": make_subgraph("shipping", SHIPPING, entities={"Book": shipped}),
        "reviews": make_subgraph(
            "reviews",
            REVIEWS,
            resolvers={
                "Query": {"reviews": lambda *_: [review("b1", "Epic"), review("f1", "Tense")]}
            },
            entities={"Book": lambda r: None, "Film": lambda r: None},
        ),
    }


CASE = Case(
    name="abstract_fields",
    sdls={"catalog": CATALOG, "shipping": SHIPPING, "reviews": REVIEWS},
    build=build,
    queries=(
        Query(
            "@requires with fragments on the implementations of an interface",
            "{ products { ... on Book { id fee } } }",
            {"data": {"products": [{"id": "b1", "fee": 43}, {"id": "b2", "fee": 52}, {}]}},
            fetches=2,
            apollo_fetches=2,
        ),
        Query(
            "@requires with fragments on the members of a union, next to the client's own",
            "{ products { ... on Book { label party { ... on Company { staff } } } } }",
            {
                "data": {
                    "products": [
                        {"label": "to Ann", "party": {}},
                        {"label": "to Bee", "party": {"staff": 2}},
                        {},
                    ]
                }
            },
            fetches=2,
            apollo_fetches=2,
        ),
        Query(
            "@provides on an interface-typed field: the provided field needs no fetch",
            "{ reviews { body product { __typename title } } }",
            {
                "data": {
                    "reviews": [
                        {"body": "Epic", "product": {"__typename": "Book", "title": "Dune"}},
                        {"body": "Tense", "product": {"__typename": "Film", "title": "Alien"}},
                    ]
                }
            },
            fetches=1,
            apollo_fetches=1,
        ),
        Query(
            "@provides on an interface: a field it does not provide comes from the owner",
            "{ reviews { product { title ... on Book { pages } } } }",
            {
                "data": {
                    "reviews": [
                        {"product": {"title": "Dune", "pages": 412}},
                        {"product": {"title": "Alien"}},
                    ]
                }
            },
            fetches=2,
            apollo_fetches=2,
        ),
        Query(
            "@provides on a union, per member",
            "{ reviews { pick { ... on Book { title } ... on Film { title } } } }",
            {"data": {"reviews": [{"pick": {"title": "Dune"}}, {"pick": {"title": "Alien"}}]}},
            fetches=1,
            apollo_fetches=1,
        ),
        Query(
            "@provides on a union: a member field it does not provide",
            "{ reviews { pick { ... on Film { title minutes } } } }",
            {"data": {"reviews": [{"pick": {}}, {"pick": {"title": "Alien", "minutes": 117}}]}},
            fetches=2,
            apollo_fetches=2,
        ),
    ),
)
