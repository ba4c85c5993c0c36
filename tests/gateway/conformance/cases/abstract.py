"""Interfaces and unions whose implementations and members differ per subgraph; type
conditions that exist only in some subgraphs; ``__typename``."""

from __future__ import annotations

from tests.gateway.conformance.case import Case, Query, fed2
from tests.gateway.subgraph_kit import Subgraph, make_subgraph

MEDIA = fed2("""
type Query { media: [Media!]! search: [Result!]! }
interface Media { id: ID! title: String }
type Book implements Media @key(fields: "id") { id: ID! title: String @shareable }
type Movie implements Media @key(fields: "id") { id: ID! title: String }
union Result = Book | Movie
""")

EXTRAS = fed2("""
type Query { featured: [Media!]! }
interface Media { id: ID! title: String }
type Book implements Media @key(fields: "id") { id: ID! title: String @shareable pages: Int }
type Song implements Media @key(fields: "id") { id: ID! title: String length: Int }
union Result = Book | Song
""")

_MEDIA = [
    {"__typename": "Book", "id": "b1", "title": "Dune"},
    {"__typename": "Movie", "id": "m1", "title": "Alien"},
]
_FEATURED = [
    {"__typename": "Book", "id": "b1", "title": "Dune", "pages": 412},
    {"__typename": "Song", "id": "s1", "title": "Help", "length": 139},
]


def build() -> dict[str, Subgraph]:
    return {
        "media": make_subgraph(
            "media",
            MEDIA,
            resolvers={"Query": {"media": lambda *_: _MEDIA, "search": lambda *_: _MEDIA}},
            entities={"Book": lambda rep: None, "Movie": lambda rep: None},
        ),
        "extras": make_subgraph(
            "extras",
            EXTRAS,
            resolvers={"Query": {"featured": lambda *_: _FEATURED}},
            entities={
                "Book": lambda rep: {"id": rep["id"], "pages": 412},
                "Song": lambda rep: None,
            },
        ),
    }


CASE = Case(
    name="abstract",
    sdls={"media": MEDIA, "extras": EXTRAS},
    build=build,
    queries=(
        Query(
            "interface field, a type condition completed by another subgraph",
            "{ media { __typename id title ... on Book { pages } } }",
            {
                "data": {
                    "media": [
                        {"__typename": "Book", "id": "b1", "title": "Dune", "pages": 412},
                        {"__typename": "Movie", "id": "m1", "title": "Alien"},
                    ]
                }
            },
            fetches=2,
            apollo_fetches=2,
        ),
        Query(
            "union whose members differ per subgraph; a member only another subgraph has",
            "{ search { ... on Book { title pages } ... on Movie { title } "
            "... on Song { length } kind: __typename } }",
            {
                "data": {
                    "search": [
                        {"title": "Dune", "pages": 412, "kind": "Book"},
                        {"title": "Alien", "kind": "Movie"},
                    ]
                }
            },
            fetches=2,
            apollo_fetches=2,
        ),
        Query(
            "implementations only one subgraph knows, fragments on interface and types",
            "query Featured { featured { id ...M ... on Song { length } } } "
            "fragment M on Media { title ... on Movie { title } }",
            {
                "data": {
                    "featured": [
                        {"id": "b1", "title": "Dune"},
                        {"id": "s1", "title": "Help", "length": 139},
                    ]
                }
            },
            fetches=1,
            apollo_fetches=1,
        ),
    ),
)
