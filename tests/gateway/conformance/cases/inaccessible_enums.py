"""``@inaccessible`` enum values a subgraph sends: the API schema has no such value, so they
are null, with an error (and the null propagating) where the field is non-null."""

from __future__ import annotations

from typing import Any

from tests.gateway.conformance.case import Case, Query, fed2
from tests.gateway.subgraph_kit import Subgraph, make_subgraph

CATALOG = fed2("""
type Query { items: [Item!]! boxes: [Box] }
type Item @key(fields: "id") {
  id: ID!
  kind: Kind
  sure: Kind!
  kinds: [Kind!]
  maybe: [Kind]
}
type Box { label: String item: Item }
enum Kind { A B HIDDEN @inaccessible }
""")

ITEMS: list[dict[str, Any]] = [
    {"id": "1", "kind": "A", "sure": "B", "kinds": ["A", "B"], "maybe": ["A", None]},
    {"id": "2", "kind": "HIDDEN", "sure": "A", "kinds": ["A"], "maybe": ["HIDDEN", "B"]},
    {"id": "3", "kind": "B", "sure": "HIDDEN", "kinds": ["B", "HIDDEN"], "maybe": []},
]


def build() -> dict[str, Subgraph]:
    return {
        "catalog": make_subgraph(
            "catalog",
            CATALOG,
            resolvers={
                "Query": {
                    "items": lambda *_: ITEMS,
                    "boxes": lambda *_: [{"label": f"box {i['id']}", "item": i} for i in ITEMS],
                }
            },
            entities={"Item": lambda rep: None},
        )
    }


CASE = Case(
    name="inaccessible_enums",
    sdls={"catalog": CATALOG},
    build=build,
    queries=(
        Query(
            "a hidden value in a nullable field or list item is null, without an error",
            "{ items { id kind maybe } }",
            {
                "data": {
                    "items": [
                        {"id": "1", "kind": "A", "maybe": ["A", None]},
                        {"id": "2", "kind": None, "maybe": [None, "B"]},
                        {"id": "3", "kind": "B", "maybe": []},
                    ]
                }
            },
            fetches=1,
            apollo_fetches=1,
            apollo={
                "data": {
                    "items": [
                        {"id": "1", "kind": "A", "maybe": ["A", None]},
                        {"id": "2", "kind": None, "maybe": [None, "B"]},
                        {"id": "3", "kind": "B", "maybe": []},
                    ]
                },
                "extensions": {
                    "valueCompletion": [
                        {
                            "message": "Invalid value found for field Item.kind.",
                            "path": ["items", 1, "kind"],
                            "extensions": {"code": "INVALID_GRAPHQL"},
                        },
                        {
                            "message": "Invalid value found for array element of type Kind at "
                            "index 0.",
                            "path": ["items", 1, "maybe", 0],
                            "extensions": {"code": "INVALID_GRAPHQL"},
                        },
                    ]
                },
            },
            apollo_note="same data; Apollo notes each hidden value in extensions.valueCompletion",
        ),
        Query(
            "a hidden value in a non-null field nulls the nearest nullable parent, with an error",
            "{ boxes { label item { sure kinds } } }",
            {
                "errors": [
                    {
                        "message": "Cannot return null for non-nullable field Item.sure.",
                        "path": ["boxes", 2, "item", "sure"],
                    }
                ],
                "data": {
                    "boxes": [
                        {"label": "box 1", "item": {"sure": "B", "kinds": ["A", "B"]}},
                        {"label": "box 2", "item": {"sure": "A", "kinds": ["A"]}},
                        {"label": "box 3", "item": None},
                    ]
                },
            },
            fetches=1,
            apollo_fetches=1,
            apollo={
                "data": {
                    "boxes": [
                        {"label": "box 1", "item": {"sure": "B", "kinds": ["A", "B"]}},
                        {"label": "box 2", "item": {"sure": "A", "kinds": ["A"]}},
                        {"label": "box 3", "item": None},
                    ]
                },
                "extensions": {
                    "valueCompletion": [
                        {
                            "message": "Invalid value found for field Item.sure.",
                            "path": ["boxes", 2, "item", "sure"],
                            "extensions": {"code": "INVALID_GRAPHQL"},
                        }
                    ]
                },
            },
            apollo_note=(
                "same data; Apollo reports the null at a non-null position only in "
                "extensions.valueCompletion, not as a GraphQL error as the spec has it"
            ),
        ),
    ),
)
