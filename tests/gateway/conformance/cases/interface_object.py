"""``@interfaceObject``: an entity interface whose fields other subgraphs add to every
implementation, ``__typename`` found through the interface's owner, keys resolvable and not,
and ``@requires`` across an interface object (both ways)."""

from __future__ import annotations

from typing import Any

from tests.gateway.conformance.case import Case, Query, fed2
from tests.gateway.subgraph_kit import Subgraph, make_subgraph

MEDIA = fed2("""
type Query { media: [Media!]! }
interface Media @key(fields: "id") { id: ID! title: String! }
type Book implements Media @key(fields: "id") {
  id: ID!
  title: String!
  author: String!
  rating: Int! @external
  blurb: String! @requires(fields: "rating")
}
type Movie implements Media @key(fields: "id") { id: ID! title: String! director: String! }
""")

REVIEWS = fed2("""
type Query { topMedia: [Media!]! }
type Media @key(fields: "id") @interfaceObject {
  id: ID!
  rating: Int!
  reviews: [Review!]!
  title: String! @external
  headline: String! @requires(fields: "title")
}
type Review { body: String! }
""")

PRICING = fed2("""
type Media @key(fields: "id") @interfaceObject {
  id: ID!
  title: String! @external
  price: Int! @requires(fields: "title")
  rating: Int! @external
  discount: Int! @requires(fields: "rating")
}
""")

CATALOG = fed2("""
type Query { featured: Media }
type Media @key(fields: "id", resolvable: false) @interfaceObject { id: ID! }
""")

_MEDIA = {
    "b1": {"__typename": "Book", "id": "b1", "title": "Dune", "author": "Herbert"},
    "m1": {"__typename": "Movie", "id": "m1", "title": "Alien", "director": "Scott"},
}
_RATINGS = {"b1": 5, "m1": 4}


def build() -> dict[str, Subgraph]:
    def medium(rep: dict[str, Any]) -> Any:
        return _MEDIA.get(rep["id"])

    def book(rep: dict[str, Any]) -> Any:
        found = _MEDIA.get(rep["id"])
        if found is None or "rating" not in rep:
            return found
        return {**found, "blurb": f"{found['title']}, rated {rep['rating']}"}

    def reviewed(rep: dict[str, Any]) -> Any:
        rating = _RATINGS.get(rep["id"])
        if rating is None:
            return None
        reviews = [{"body": f"{rating} stars"}]
        out = {"__typename": "Media", "id": rep["id"], "rating": rating, "reviews": reviews}
        if "title" in rep:
            out["headline"] = f"{rep['title']}: {rating} stars"
        return out

    def priced(rep: dict[str, Any]) -> Any:
        out = {"__typename": "Media", "id": rep["id"]}
        if "title" in rep:
            out["price"] = 100 * len(rep["title"])
        if "rating" in rep:
            out["discount"] = 10 * rep["rating"]
        return out

    return {
        "media": make_subgraph(
            "media",
            MEDIA,
            resolvers={"Query": {"media": lambda *_: list(_MEDIA.values())}},
            # The owner resolves the interface itself: a representation typed Media comes
            # back as the Book or Movie it is.
            entities={"Media": medium, "Book": book, "Movie": medium},
        ),
        "reviews": make_subgraph(
            "reviews",
            REVIEWS,
            resolvers={
                "Query": {"topMedia": lambda *_: [reviewed({"id": "m1"}), reviewed({"id": "b1"})]}
            },
            entities={"Media": reviewed},
        ),
        "pricing": make_subgraph("pricing", PRICING, entities={"Media": priced}),
        "catalog": make_subgraph(
            "catalog",
            CATALOG,
            resolvers={"Query": {"featured": lambda *_: {"__typename": "Media", "id": "b1"}}},
        ),
    }


CASE = Case(
    name="interface_object",
    sdls={"media": MEDIA, "reviews": REVIEWS, "pricing": PRICING, "catalog": CATALOG},
    build=build,
    queries=(
        Query(
            "fields an interface-object subgraph adds, on implementations from the owner",
            "{ media { title rating reviews { body } } }",
            {
                "data": {
                    "media": [
                        {"title": "Dune", "rating": 5, "reviews": [{"body": "5 stars"}]},
                        {"title": "Alien", "rating": 4, "reviews": [{"body": "4 stars"}]},
                    ]
                }
            },
            fetches=2,
            apollo_fetches=2,
        ),
        Query(
            "__typename and type conditions through the interface's owner",
            "{ topMedia { __typename id rating ... on Book { author } "
            "... on Movie { director } } }",
            {
                "data": {
                    "topMedia": [
                        {"__typename": "Movie", "id": "m1", "rating": 4, "director": "Scott"},
                        {"__typename": "Book", "id": "b1", "rating": 5, "author": "Herbert"},
                    ]
                }
            },
            fetches=2,
            apollo_fetches=2,
        ),
        Query(
            "only fields of the interface object itself",
            "{ topMedia { id rating } }",
            {"data": {"topMedia": [{"id": "m1", "rating": 4}, {"id": "b1", "rating": 5}]}},
            fetches=1,
            apollo_fetches=1,
        ),
        Query(
            "@requires on an interface object, the required field from the owner",
            "{ media { id price } }",
            {"data": {"media": [{"id": "b1", "price": 400}, {"id": "m1", "price": 500}]}},
            fetches=2,
            apollo_fetches=2,
        ),
        Query(
            "@requires on an interface object reached through another interface object",
            "{ topMedia { price } }",
            {"data": {"topMedia": [{"price": 500}, {"price": 400}]}},
            fetches=3,
            apollo_fetches=3,
        ),
        Query(
            "@requires on an interface object, the required field from another one",
            "{ media { ... on Book { author } discount } }",
            {
                "data": {
                    "media": [
                        {"author": "Herbert", "discount": 50},
                        {"discount": 40},
                    ]
                }
            },
            fetches=3,
            apollo_fetches=3,
        ),
        Query(
            "@requires on an implementation, the required field from an interface object",
            "{ media { ... on Book { blurb } } }",
            {"data": {"media": [{"blurb": "Dune, rated 5"}, {}]}},
            fetches=3,
            apollo_fetches=3,
        ),
        Query(
            "@requires on a root field's interface object, back to the same subgraph",
            "{ topMedia { id title headline } }",
            {
                "data": {
                    "topMedia": [
                        {"id": "m1", "title": "Alien", "headline": "Alien: 4 stars"},
                        {"id": "b1", "title": "Dune", "headline": "Dune: 5 stars"},
                    ]
                }
            },
            fetches=3,
            apollo_fetches=3,
        ),
        Query(
            "@requires on an interface object, asked in a fragment on an implementation",
            "{ topMedia { ... on Book { headline } } }",
            {"data": {"topMedia": [{}, {"headline": "Dune: 5 stars"}]}},
            fetches=3,
            apollo_fetches=3,
            apollo={
                "errors": [
                    {
                        "message": "'id'",
                        "path": ["topMedia", "@", "_entities"],
                        "extensions": {
                            "serviceName": "reviews",
                            "code": "DOWNSTREAM_SERVICE_ERROR",
                        },
                    }
                ],
                "data": None,
            },
            apollo_note=(
                "Apollo is wrong: its representations (... on Book { id } ... on Media { title })"
                " also send the Movie, with a title and no key, and reviews fails on it"
            ),
        ),
        Query(
            "a non-resolvable interface-object key: fields from the owner and another",
            "{ featured { title rating ... on Book { author } } }",
            {"data": {"featured": {"title": "Dune", "rating": 5, "author": "Herbert"}}},
            fetches=3,
            apollo_fetches=3,
        ),
        Query(
            "an interface-object field inside a fragment on an implementation",
            "{ media { ... on Book { rating } ... on Movie { title } } }",
            {"data": {"media": [{"rating": 5}, {"title": "Alien"}]}},
            fetches=2,
            apollo_fetches=2,
        ),
    ),
)
