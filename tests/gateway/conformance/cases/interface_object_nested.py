"""``@interfaceObject`` below a root field, and an implementation extended by a third subgraph
(after the interface-object-indirect-extension suite of the Guild's gateway audit)."""

from __future__ import annotations

from typing import Any

from tests.gateway.conformance.case import Case, Query, fed2
from tests.gateway.subgraph_kit import Subgraph, make_subgraph

MEDIA = fed2("""
type Query { media: Media }
interface Media @key(fields: "id") { id: ID! title: String }
type Video implements Media @key(fields: "id") { id: ID! title: String duration: Int }
type Article implements Media @key(fields: "id") { id: ID! title: String wordCount: Int }
""")

AUTHOR = fed2("""
type Query { author: Author }
type Author @key(fields: "id") { id: ID! name: String }
type Video @key(fields: "id") { id: ID! authorName: String }
""")

PLAYLIST = fed2("""
type Query { playlist: Playlist }
type Playlist @key(fields: "id") { id: ID! name: String media: Media }
type Media @key(fields: "id") @interfaceObject { id: ID! }
""")


def build() -> dict[str, Subgraph]:
    def video(rep: dict[str, Any]) -> dict[str, Any]:
        number = int(rep["id"])
        return {
            "__typename": "Video",
            "id": rep["id"],
            "title": f"title for {number}",
            "duration": 100 * number,
        }

    return {
        "media": make_subgraph(
            "media",
            MEDIA,
            resolvers={"Query": {"media": lambda *_: video({"id": "1"})}},
            entities={"Media": video, "Video": video, "Article": lambda rep: None},
        ),
        "author": make_subgraph(
            "author",
            AUTHOR,
            resolvers={"Query": {"author": lambda *_: {"id": "1", "name": "name for 1"}}},
            entities={
                "Author": lambda rep: {"id": rep["id"], "name": f"name for {rep['id']}"},
                "Video": lambda rep: {"id": rep["id"], "authorName": "John Doe"},
            },
        ),
        "playlist": make_subgraph(
            "playlist",
            PLAYLIST,
            resolvers={
                "Query": {
                    "playlist": lambda *_: {
                        "id": "1",
                        "name": "name for 1",
                        "media": {"__typename": "Media", "id": "2"},
                    }
                }
            },
            entities={"Media": lambda rep: {"__typename": "Media", "id": rep["id"]}},
        ),
    }


CASE = Case(
    name="interface_object_nested",
    sdls={"media": MEDIA, "author": AUTHOR, "playlist": PLAYLIST},
    build=build,
    queries=(
        Query(
            "the audit's query: three roots, an implementation's field from a third subgraph",
            "{ media { id title ... on Video { duration authorName } ... on Article { wordCount } }"
            " author { id name } playlist { id name media { id ... on Video { duration } } } }",
            {
                "data": {
                    "media": {
                        "id": "1",
                        "title": "title for 1",
                        "duration": 100,
                        "authorName": "John Doe",
                    },
                    "author": {"id": "1", "name": "name for 1"},
                    "playlist": {
                        "id": "1",
                        "name": "name for 1",
                        "media": {"id": "2", "duration": 200},
                    },
                }
            },
            fetches=5,
            apollo_fetches=5,
        ),
        Query(
            "an interface object below a root field: its type, then a field of the implementation",
            "{ playlist { media { __typename ... on Video { title authorName } } } }",
            {
                "data": {
                    "playlist": {
                        "media": {
                            "__typename": "Video",
                            "title": "title for 2",
                            "authorName": "John Doe",
                        }
                    }
                }
            },
            fetches=3,
            apollo_fetches=3,
        ),
    ),
)
