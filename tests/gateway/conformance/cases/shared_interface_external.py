"""A shared interface field whose parts are ``@external`` in some subgraphs (after the
corrupted-supergraph-node-id suite of the Guild's gateway audit).

``Query.node`` is ``@shareable`` in a and b, but a has ``Post.id`` only as an ``@external`` key
field and b has ``User.id`` so: a's ``node`` cannot answer a post's ``id``, nor b's a user's,
and neither can hand the other a key it does not have. Only a subgraph that resolves what is
asked may be chosen; what no subgraph can answer (``node { id }``) is refused at planning,
with ``data: null``, never answered with the ids the subgraphs make up for external fields.
"""

from __future__ import annotations

from typing import Any

from tests.gateway.conformance.case import Case, Query, fed2
from tests.gateway.subgraph_kit import Subgraph, make_subgraph

A = fed2("""
type Query { node(id: ID!): Node @shareable user(id: ID!): User }
interface Node { id: ID! }
type User implements Node @key(fields: "id") { id: ID! login: String! }
type Post implements Node @key(fields: "id") { id: ID! @external author: User! }
""")

B = fed2("""
type Query { node(id: ID!): Node @shareable post(id: ID!): Post }
interface Node { id: ID! }
type User implements Node @key(fields: "id") { id: ID! @external posts: [Post!]! }
type Post implements Node @key(fields: "id") { id: ID! title: String! }
""")

USERS = {"u1": {"id": "u1", "login": "ada"}}
POSTS = {"p1": {"id": "p1", "title": "Engines", "author": "u1"}}


def _node_in_a(_: Any, _info: Any, id: str) -> dict[str, Any] | None:
    if id in USERS:
        return {"__typename": "User", **USERS[id]}
    if id in POSTS:
        # a does not know a post's id: what it would send for it is made up.
        return {"__typename": "Post", "id": "made-up-by-a", "author": USERS[POSTS[id]["author"]]}
    return None


def _node_in_b(_: Any, _info: Any, id: str) -> dict[str, Any] | None:
    if id in USERS:
        return {"__typename": "User", "id": "made-up-by-b", "posts": []}
    if id in POSTS:
        return {"__typename": "Post", "id": id, "title": POSTS[id]["title"]}
    return None


def _posts_of(user: str) -> list[dict[str, Any]]:
    return [p for p in POSTS.values() if p["author"] == user]


def build() -> dict[str, Subgraph]:
    return {
        "a": make_subgraph(
            "a",
            A,
            resolvers={
                "Query": {"node": _node_in_a, "user": lambda _o, _i, id: USERS.get(id)},
                "Post": {"author": lambda post, _i: USERS[POSTS[post["id"]]["author"]]},
            },
            entities={"User": lambda r: USERS.get(r["id"]), "Post": lambda r: {"id": r["id"]}},
        ),
        "b": make_subgraph(
            "b",
            B,
            resolvers={
                "Query": {"node": _node_in_b, "post": lambda _o, _i, id: POSTS.get(id)},
                "User": {"posts": lambda user, _i: _posts_of(user["id"])},
            },
            entities={"User": lambda r: {"id": r["id"]}, "Post": lambda r: POSTS.get(r["id"])},
        ),
    }


def _refused(coordinate: str, reason: str) -> dict[str, Any]:
    return {
        "data": None,
        "errors": [
            {
                "message": f"Query planning failed at {coordinate}: {reason}",
                "extensions": {"code": "QUERY_PLANNING_FAILED"},
            }
        ],
    }


_APOLLO_REFUSAL = {
    "errors": [
        {
            "message": "Was not able to find any options for id: This shouldn't have happened.",
            "extensions": {"code": "INTERNAL_SERVER_ERROR"},
        }
    ]
}
_APOLLO_NOTE = "Apollo refuses it too, as an internal error of its planner"


CASE = Case(
    name="shared_interface_external",
    sdls={"a": A, "b": B},
    build=build,
    queries=(
        Query(
            "the interface's field, which no subgraph resolves for every type: refused",
            '{ node(id: "u1") { id } }',
            _refused("Post.id", "no key leads from a to Post.id"),
            fetches=0,
            apollo_fetches=0,
            apollo=_APOLLO_REFUSAL,
            apollo_note=_APOLLO_NOTE,
        ),
        Query(
            "__typename only: any subgraph",
            '{ user: node(id: "u1") { __typename } post: node(id: "p1") { __typename } }',
            {"data": {"user": {"__typename": "User"}, "post": {"__typename": "Post"}}},
            fetches=1,
            apollo_fetches=1,
        ),
        Query(
            "each fragment from the subgraph that resolves it",
            '{ user: node(id: "u1") { ... on User { id login } } '
            'post: node(id: "p1") { ... on Post { id title } } }',
            {
                "data": {
                    "user": {"id": "u1", "login": "ada"},
                    "post": {"id": "p1", "title": "Engines"},
                }
            },
            fetches=2,
            apollo_fetches=2,
        ),
        Query(
            "a fragment on the other type: the subgraph that has its id, no made-up data",
            '{ user: node(id: "u1") { __typename ... on Post { id } } '
            'post: node(id: "p1") { __typename ... on User { id } } }',
            {"data": {"user": {"__typename": "User"}, "post": {"__typename": "Post"}}},
            fetches=2,
            apollo_fetches=2,
        ),
        Query(
            "the interface's field beside a fragment: still refused",
            '{ node(id: "u1") { id ... on Post { id } } }',
            _refused("Post.id", "no key leads from a to Post.id"),
            fetches=0,
            apollo_fetches=0,
            apollo=_APOLLO_REFUSAL,
            apollo_note=_APOLLO_NOTE,
        ),
        Query(
            "an entity's key from the subgraph that has it, then across",
            '{ post(id: "p1") { id title author { id login } } }',
            {
                "data": {
                    "post": {"id": "p1", "title": "Engines", "author": {"id": "u1", "login": "ada"}}
                }
            },
            fetches=2,
            apollo_fetches=2,
        ),
        Query(
            "and back",
            '{ user(id: "u1") { id login posts { id title } } }',
            {
                "data": {
                    "user": {
                        "id": "u1",
                        "login": "ada",
                        "posts": [{"id": "p1", "title": "Engines"}],
                    }
                }
            },
            fetches=2,
            apollo_fetches=2,
        ),
    ),
)
