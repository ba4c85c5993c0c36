"""Fields of one response key whose types differ between the members of a union in one
subgraph (``id: ID!`` on User, ``id: ID`` on Admin) while the supergraph, where another subgraph
has ``User.id: ID``, types both ``ID``: the client's selection is valid, the same selection sent
to that subgraph is not, so the planner aliases the fields apart and the executor puts them
back (after the child-type-mismatch suite of the Guild's gateway audit)."""

from __future__ import annotations

from typing import Any

from tests.gateway.conformance.case import Case, Query, fed2
from tests.gateway.subgraph_kit import Subgraph, make_subgraph

ACCOUNTS = fed2("""
type Query { users: [User!]! accounts: [Account!]! }
union Account = User | Admin
type User @key(fields: "id") { id: ID! name: String similarAccounts: [Account!]! }
type Admin { id: ID name: String similarAccounts: [Account!]! }
""")

PROFILES = fed2("""
type User @key(fields: "id") { id: ID nickname: String }
""")

_USER = {"__typename": "User", "id": "u1", "name": "u1-name"}
_ADMIN = {"__typename": "Admin", "id": "a1", "name": "a1-name"}


def build() -> dict[str, Subgraph]:
    def similar(_obj: Any, _info: Any) -> list[dict[str, Any]]:
        return [_USER, _ADMIN]

    return {
        "accounts": make_subgraph(
            "accounts",
            ACCOUNTS,
            resolvers={
                "Query": {"users": lambda *_: [_USER], "accounts": lambda *_: [_USER, _ADMIN]},
                "User": {"similarAccounts": similar},
                "Admin": {"similarAccounts": similar},
            },
            entities={"User": lambda rep: _USER if rep["id"] == "u1" else None},
        ),
        "profiles": make_subgraph(
            "profiles",
            PROFILES,
            entities={"User": lambda rep: {"id": rep["id"], "nickname": f"{rep['id']}-nick"}},
        ),
    }


_SIMILAR = [{"id": "u1", "name": "u1-name"}, {"id": "a1", "name": "a1-name"}]
_BOTH = "... on User { id name } ... on Admin { id name }"

CASE = Case(
    name="child_type_mismatch",
    sdls={"accounts": ACCOUNTS, "profiles": PROFILES},
    build=build,
    queries=(
        Query(
            "id: ID! on one member, id: ID on the other",
            f"{{ users {{ id name }} accounts {{ {_BOTH} }} }}",
            {"data": {"users": [{"id": "u1", "name": "u1-name"}], "accounts": _SIMILAR}},
            fetches=1,
            apollo_fetches=1,
        ),
        Query(
            "the same, one level down in both members",
            f"{{ accounts {{ ... on User {{ id similarAccounts {{ {_BOTH} }} }} "
            f"... on Admin {{ id similarAccounts {{ {_BOTH} }} }} }} }}",
            {
                "data": {
                    "accounts": [
                        {"id": "u1", "similarAccounts": _SIMILAR},
                        {"id": "a1", "similarAccounts": _SIMILAR},
                    ]
                }
            },
            fetches=1,
            apollo_fetches=1,
        ),
        Query(
            "the same next to a field from another subgraph",
            "{ accounts { ... on User { id nickname } ... on Admin { id } } }",
            {"data": {"accounts": [{"id": "u1", "nickname": "u1-nick"}, {"id": "a1"}]}},
            fetches=2,
            apollo_fetches=2,
        ),
    ),
)
