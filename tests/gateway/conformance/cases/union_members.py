"""Unions whose members differ between subgraphs, under ``@shareable`` fields (after the
union-intersection suite of the Guild's gateway audit).

a has ``Media = Book | Song``, b ``Media = Book | Film``; both resolve ``Query.media`` and
``Viewer.media``, and the supergraph's ``Media`` has all three. A shareable field answers the
same from either subgraph, so its value is a member both agree on (a ``Book``): only their
fragments are fetched, whichever subgraph is asked. A subgraph that sends another member
anyway (a's ``pick``, against the contract) has that member's fields unfetched: a non-null
one is an error, as for any missing value. Fields only one subgraph can answer (``aMedia``,
``Viewer.song``) answer all of its members; ``Viewer.book`` is a ``Book`` in a and the union
in b.
"""

from __future__ import annotations

from typing import Any

from tests.gateway.conformance.case import Case, Query
from tests.gateway.subgraph_kit import Subgraph, make_subgraph

_LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", '
    'import: ["@shareable", "@key"])\n'
)

A = (
    _LINK
    + """
type Query {
  media: Media @shareable
  aMedia: Media @shareable
  book: Book @shareable
  pick: Media @shareable
  viewer: Viewer @shareable
}
union Media = Book | Song
union ViewerMedia = Book | Song
type Book @key(fields: "id") { id: ID! title: String! @shareable aTitle: String! }
type Song @key(fields: "id") { id: ID! title: String! @shareable aTitle: String! }
type Viewer {
  media: ViewerMedia @shareable
  aMedia: ViewerMedia
  book: Book @shareable
  song: ViewerMedia @shareable
}
"""
)

B = (
    _LINK
    + """
type Query {
  media: Media @shareable
  bMedia: Media @shareable
  book: Media @shareable
  pick: Media @shareable
  viewer: Viewer @shareable
}
union Media = Book | Film
union ViewerMedia = Book | Film
type Book @key(fields: "id") { id: ID! title: String! @shareable bTitle: String! }
type Film @key(fields: "id") { id: ID! title: String! @shareable bTitle: String! }
type Viewer { media: ViewerMedia @shareable bMedia: ViewerMedia book: ViewerMedia @shareable }
"""
)

BOOK = {
    "__typename": "Book",
    "id": "k1",
    "title": "Solaris",
    "aTitle": "a: Solaris",
    "bTitle": "b: Solaris",
}
SONG = {"__typename": "Song", "id": "s1", "title": "Blackbird", "aTitle": "a: Blackbird"}
FILM = {"__typename": "Film", "id": "f1", "title": "Stalker", "bTitle": "b: Stalker"}
OTHER_BOOK = {
    "__typename": "Book",
    "id": "k2",
    "title": "Ubik",
    "aTitle": "a: Ubik",
    "bTitle": "b: Ubik",
}
_BY_ID = {o["id"]: o for o in (BOOK, OTHER_BOOK, SONG, FILM)}


def build() -> dict[str, Subgraph]:
    return {
        "a": make_subgraph(
            "a",
            A,
            resolvers={
                "Query": {
                    "media": lambda *_: BOOK,
                    "aMedia": lambda *_: BOOK,
                    "book": lambda *_: BOOK,
                    # Against the contract of a shareable field: b cannot send a Song.
                    "pick": lambda *_: SONG,
                    "viewer": lambda *_: {
                        "media": BOOK,
                        "aMedia": BOOK,
                        "book": OTHER_BOOK,
                        "song": SONG,
                    },
                }
            },
            entities={"Book": lambda r: _BY_ID.get(r["id"]), "Song": lambda r: _BY_ID.get(r["id"])},
        ),
        "b": make_subgraph(
            "b",
            B,
            resolvers={
                "Query": {
                    "media": lambda *_: BOOK,
                    "bMedia": lambda *_: BOOK,
                    "book": lambda *_: BOOK,
                    "pick": lambda *_: FILM,
                    "viewer": lambda *_: {"media": BOOK, "bMedia": FILM, "book": OTHER_BOOK},
                }
            },
            entities={"Book": lambda r: _BY_ID.get(r["id"]), "Film": lambda r: _BY_ID.get(r["id"])},
        ),
    }


_EVERY = "{ __typename ... on Song { title } ... on Film { title } ... on Book { title } }"
_BOOK: dict[str, Any] = {"__typename": "Book", "title": "Solaris"}
_ALL = (
    "{ __typename ... on Song { title aTitle } ... on Film { title bTitle } "
    "... on Book { title aTitle bTitle } }"
)

CASE = Case(
    name="union_members",
    sdls={"a": A, "b": B},
    build=build,
    queries=(
        Query(
            "a fragment on a member only one subgraph has",
            "{ media { ... on Film { title } } }",
            {"data": {"media": {}}},
            fetches=1,
            apollo_fetches=1,
        ),
        Query(
            "a fragment on the member both have",
            "{ media { ... on Book { title } } }",
            {"data": {"media": {"title": "Solaris"}}},
            fetches=1,
            apollo_fetches=1,
        ),
        Query(
            "fragments on both",
            "{ media { ... on Book { title } ... on Film { title } } }",
            {"data": {"media": {"title": "Solaris"}}},
            fetches=1,
            apollo_fetches=1,
        ),
        Query(
            "fragments on every member, under a shareable value type",
            f"{{ viewer {{ media {_EVERY} book {_EVERY} song {_EVERY} }} }}",
            {
                "data": {
                    "viewer": {
                        "media": _BOOK,
                        "book": {"__typename": "Book", "title": "Ubik"},
                        "song": {"__typename": "Song", "title": "Blackbird"},
                    }
                }
            },
            fetches=1,
            apollo_fetches=1,
        ),
        Query(
            "a field whose type is an object in one subgraph and the union in the other",
            f"{{ book {_EVERY} }}",
            {"data": {"book": _BOOK}},
            fetches=1,
            apollo_fetches=1,
        ),
        Query(
            "under the value type, only b's member",
            "{ viewer { media { ... on Film { title } } } }",
            {"data": {"viewer": {"media": {}}}},
            fetches=1,
            apollo_fetches=1,
        ),
        Query(
            "members and fields of both subgraphs, through their keys",
            f"{{ viewer {{ media {_ALL} book {_ALL} }} }}",
            {
                "data": {
                    "viewer": {
                        "media": {
                            "__typename": "Book",
                            "title": "Solaris",
                            "aTitle": "a: Solaris",
                            "bTitle": "b: Solaris",
                        },
                        "book": {
                            "__typename": "Book",
                            "title": "Ubik",
                            "aTitle": "a: Ubik",
                            "bTitle": "b: Ubik",
                        },
                    }
                }
            },
            fetches=2,  # b's fetches for media and book are one (gateway.planner._batch)
            apollo_fetches=2,
        ),
        Query(
            "a's field of the union, with a's member and b's",
            "{ viewer { song { __typename ... on Song { title aTitle } "
            "... on Film { title bTitle } } } }",
            {
                "data": {
                    "viewer": {
                        "song": {
                            "__typename": "Song",
                            "title": "Blackbird",
                            "aTitle": "a: Blackbird",
                        }
                    }
                }
            },
            fetches=1,
            apollo_fetches=1,
        ),
        Query(
            "a's field of the union: b's member never comes from it",
            "{ aMedia { ... on Film { title bTitle } } }",
            {"data": {"aMedia": {}}},
            fetches=1,
            apollo_fetches=1,
        ),
        Query(
            "a's field, the member both have, a field of each",
            "{ aMedia { ... on Book { title aTitle bTitle } } }",
            {
                "data": {
                    "aMedia": {"title": "Solaris", "aTitle": "a: Solaris", "bTitle": "b: Solaris"}
                }
            },
            fetches=2,
            apollo_fetches=2,
        ),
        Query(
            "each subgraph's own field of the value type, and its own member",
            "{ viewer { aMedia { ... on Film { title bTitle } } "
            "bMedia { ... on Film { title bTitle } } } }",
            {
                "data": {
                    "viewer": {"aMedia": {}, "bMedia": {"title": "Stalker", "bTitle": "b: Stalker"}}
                }
            },
            fetches=2,
            apollo_fetches=2,
        ),
        Query(
            "a shareable field's value outside the members both agree on: not fetched",
            "{ pick { __typename ... on Song { title } ... on Film { title } } }",
            {
                "errors": [
                    {
                        "message": "Cannot return null for non-nullable field Song.title.",
                        "path": ["pick", "title"],
                    }
                ],
                "data": {"pick": None},
            },
            fetches=1,
            apollo_fetches=1,
            apollo={
                "data": {"pick": None},
                "extensions": {
                    "valueCompletion": [
                        {
                            "message": "Cannot return null for non-nullable field Song.title.",
                            "path": ["pick", "title"],
                            "extensions": {"code": "INVALID_GRAPHQL"},
                        }
                    ]
                },
            },
            apollo_note="the same null; Apollo notes the error in extensions.valueCompletion",
        ),
        Query(
            "and its type name, which is all that is asked",
            "{ pick { __typename ... on Film { title } } }",
            {"data": {"pick": {"__typename": "Song"}}},
            fetches=1,
            apollo_fetches=1,
        ),
    ),
)
