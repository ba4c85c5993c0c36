"""Subgraph errors re-pathed to the client's path, with null propagation per the spec."""

from __future__ import annotations

from typing import Any

from tests.gateway.conformance.case import Case, Query, fed2
from tests.gateway.subgraph_kit import Subgraph, make_subgraph

LIST = fed2("""
type Query { items: [Item]! }
type Item @key(fields: "id") { id: ID! }
""")

DETAIL = fed2("""
type Item @key(fields: "id") { id: ID! detail: String! note: String }
""")


def build() -> dict[str, Subgraph]:
    def detail(obj: dict[str, Any], _info: Any) -> str:
        if obj["id"] == "2":
            raise ValueError("no detail for 2")
        return f"d{obj['id']}"

    return {
        "list": make_subgraph(
            "list",
            LIST,
            resolvers={"Query": {"items": lambda *_: [{"id": "1"}, {"id": "2"}, {"id": "3"}]}},
            entities={"Item": lambda rep: None},
        ),
        "detail": make_subgraph(
            "detail",
            DETAIL,
            resolvers={"Item": {"detail": detail}},
            entities={"Item": lambda rep: None if rep["id"] == "3" else {"id": rep["id"]}},
        ),
    }


CASE = Case(
    name="errors",
    sdls={"list": LIST, "detail": DETAIL},
    build=build,
    queries=(
        Query(
            # Both paths' entity fetches are one merged call (gateway.planner._batch), each
            # representation sent once: its error is reported at both paths that asked.
            "a merged entity call's error lands at every path that asked for the entity",
            "{ items { id detail } again: items { id detail } }",
            {
                "errors": [
                    {
                        "message": "no detail for 2",
                        "path": ["items", 1, "detail"],
                        "extensions": {"code": "SUBGRAPH_ERROR", "serviceName": "detail"},
                    },
                    {
                        "message": "no detail for 2",
                        "path": ["again", 1, "detail"],
                        "extensions": {"code": "SUBGRAPH_ERROR", "serviceName": "detail"},
                    },
                    {
                        "message": "Cannot return null for non-nullable field Item.detail.",
                        "path": ["items", 2, "detail"],
                    },
                    {
                        "message": "Cannot return null for non-nullable field Item.detail.",
                        "path": ["again", 2, "detail"],
                    },
                ],
                "data": {
                    "items": [{"id": "1", "detail": "d1"}, None, None],
                    "again": [{"id": "1", "detail": "d1"}, None, None],
                },
            },
            fetches=2,
        ),
        Query(
            "an entity field error nulls its nearest nullable parent; a null entity too",
            "{ items { id detail } }",
            {
                "errors": [
                    {
                        "message": "no detail for 2",
                        "path": ["items", 1, "detail"],
                        "extensions": {"code": "SUBGRAPH_ERROR", "serviceName": "detail"},
                    },
                    {
                        "message": "Cannot return null for non-nullable field Item.detail.",
                        "path": ["items", 2, "detail"],
                    },
                ],
                "data": {"items": [{"id": "1", "detail": "d1"}, None, None]},
            },
            fetches=2,
            apollo_fetches=2,
            apollo={
                "errors": [
                    {
                        "message": "no detail for 2",
                        "path": ["items", 1, "detail"],
                        "extensions": {"serviceName": "detail", "code": "DOWNSTREAM_SERVICE_ERROR"},
                    }
                ],
                "data": {"items": [{"id": "1", "detail": "d1"}, None, None]},
            },
            apollo_note=(
                "Apollo nulls items[2] without the error the spec requires for a null at a "
                "non-null position (Apollo is wrong); its code DOWNSTREAM_SERVICE_ERROR is "
                "SUBGRAPH_ERROR here, by our convention"
            ),
        ),
    ),
)
