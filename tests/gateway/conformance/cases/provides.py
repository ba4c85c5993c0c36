"""``@provides`` and ``@external``: provided fields skip a fetch, nested provides; shareable
fields and root fields resolved where the plan already is."""

from __future__ import annotations

from typing import Any

from tests.gateway.conformance.case import Case, Query, fed2
from tests.gateway.subgraph_kit import Subgraph, make_subgraph

ACCOUNTS = fed2("""
type Query { me: User @shareable }
type User @key(fields: "id") { id: ID! name: String @shareable team: Team @shareable birthday: Int }
type Team @key(fields: "id") { id: ID! title: String @shareable }
""")

REVIEWS = fed2("""
type Query { reviews: [Review!]! me: User @shareable }
type Review @key(fields: "id") {
  id: ID!
  body: String
  author: User @provides(fields: "name team { title }")
}
type User @key(fields: "id") {
  id: ID!
  name: String @external
  team: Team @external
  reviewCount: Int
}
type Team @key(fields: "id") { id: ID! title: String @external }
""")

_USERS = {"u1": {"id": "u1", "name": "Ada", "birthday": 1815, "team": {"id": "t1"}}}
_TEAMS = {"t1": {"id": "t1", "title": "Analytical"}}


def build() -> dict[str, Subgraph]:
    def author(_obj: Any, _info: Any) -> dict[str, Any]:
        return {"id": "u1", "name": "Ada", "team": {"id": "t1", "title": "Analytical"}}

    return {
        "accounts": make_subgraph(
            "accounts",
            ACCOUNTS,
            resolvers={"Query": {"me": lambda *_: _USERS["u1"]}},
            entities={
                "User": lambda rep: _USERS.get(rep["id"]),
                "Team": lambda rep: _TEAMS.get(rep["id"]),
            },
        ),
        "reviews": make_subgraph(
            "reviews",
            REVIEWS,
            resolvers={
                "Query": {
                    "reviews": lambda *_: [{"id": "r1", "body": "Great"}],
                    "me": lambda *_: {"id": "u1", "reviewCount": 1},
                },
                "Review": {"author": author},
            },
            entities={
                "User": lambda rep: {"id": rep["id"], "reviewCount": 1},
                "Review": lambda rep: None,
                "Team": lambda rep: {"id": rep["id"]},
            },
        ),
    }


CASE = Case(
    name="provides",
    sdls={"accounts": ACCOUNTS, "reviews": REVIEWS},
    build=build,
    queries=(
        Query(
            "provided fields (nested) need no other fetch",
            "{ reviews { body author { name team { title } } } }",
            {
                "data": {
                    "reviews": [
                        {
                            "body": "Great",
                            "author": {"name": "Ada", "team": {"title": "Analytical"}},
                        }
                    ]
                }
            },
            fetches=1,
            apollo_fetches=1,
        ),
        Query(
            "a field that is not provided is fetched from its owner",
            "{ reviews { author { name birthday } } }",
            {"data": {"reviews": [{"author": {"name": "Ada", "birthday": 1815}}]}},
            fetches=2,
            apollo_fetches=2,
        ),
        Query(
            "a shareable root field is taken from the subgraph that has the rest",
            "{ me { id reviewCount } }",
            {"data": {"me": {"id": "u1", "reviewCount": 1}}},
            fetches=1,
            apollo_fetches=1,
        ),
        Query(
            "a shareable root field with fields from both subgraphs",
            "{ me { name birthday reviewCount } }",
            {"data": {"me": {"name": "Ada", "birthday": 1815, "reviewCount": 1}}},
            fetches=2,
            apollo_fetches=2,
        ),
    ),
)
