"""Entity calls: single, multiple, composite and nested keys; non-resolvable keys; chains;
null keys and null entities."""

from __future__ import annotations

from typing import Any

from tests.gateway.conformance.case import Case, Query, fed2
from tests.gateway.subgraph_kit import Subgraph, make_subgraph

USERS = fed2("""
type Query { users: [User!]! }
type User @key(fields: "id") @key(fields: "email") {
  id: ID!
  email: String!
  name: String
  badges: [Badge!]!
}
type Badge @key(fields: "holder { id } kind") { holder: User! kind: String! }
""")

ORGS = fed2("""
type Query { orgs: [Org!]! }
type Org @key(fields: "id") { id: ID! name: String members: [User!]! }
type User @key(fields: "id", resolvable: false) { id: ID! }
""")

ACCOUNTS = fed2("""
type User @key(fields: "email") { email: String! account: Account }
type Account @key(fields: "region number") { region: String number: Int! balance: Int }
""")

LEDGER = fed2("""
type Account @key(fields: "region number") { region: String number: Int! statements: Int }
""")

BADGES = fed2("""
type Badge @key(fields: "holder { id } kind") { holder: User! kind: String! label: String }
type User @key(fields: "id", resolvable: false) { id: ID! }
""")

_USERS = [
    {"id": "u1", "email": "ada@example.com", "name": "Ada"},
    {"id": "u2", "email": "bob@example.com", "name": "Bob"},
    {"id": "u3", "email": "cy@example.com", "name": "Cy"},
]
_ACCOUNTS = {
    "ada@example.com": {"region": "eu", "number": 1, "balance": 100},
    "bob@example.com": {"region": None, "number": 2, "balance": 5},
}
_STATEMENTS = {("eu", 1): 12}


def build() -> dict[str, Subgraph]:
    by_id = {u["id"]: u for u in _USERS}
    by_email = {u["email"]: u for u in _USERS}

    def user(rep: dict[str, Any]) -> Any:
        return by_id.get(rep["id"]) if "id" in rep else by_email.get(rep["email"])

    def badges(obj: dict[str, Any], _info: Any) -> list[dict[str, Any]]:
        return [{"holder": {"id": obj["id"]}, "kind": k} for k in ("gold", "silver")]

    def account_of(rep: dict[str, Any]) -> Any:
        account = _ACCOUNTS.get(rep["email"])
        return {"email": rep["email"], "account": account}

    def statements(rep: dict[str, Any]) -> Any:
        count = _STATEMENTS.get((rep["region"], rep["number"]))
        return None if count is None else {**rep, "statements": count}

    def badge(rep: dict[str, Any]) -> Any:
        holder, kind = rep["holder"]["id"], rep["kind"]
        return {**rep, "label": f"{kind} for {holder}"}

    return {
        "users": make_subgraph(
            "users",
            USERS,
            resolvers={"Query": {"users": lambda *_: _USERS}, "User": {"badges": badges}},
            entities={"User": user},
        ),
        "orgs": make_subgraph(
            "orgs",
            ORGS,
            resolvers={
                "Query": {
                    "orgs": lambda *_: [
                        {"id": "o1", "name": "Acme", "members": [{"id": "u1"}, {"id": "u2"}]},
                        {"id": "o2", "name": "Zeta", "members": [{"id": "u1"}, {"id": "u3"}]},
                    ]
                }
            },
            entities={"Org": lambda rep: None},
        ),
        "accounts": make_subgraph(
            "accounts",
            ACCOUNTS,
            entities={"User": account_of, "Account": lambda rep: None},
        ),
        "ledger": make_subgraph("ledger", LEDGER, entities={"Account": statements}),
        "badges": make_subgraph("badges", BADGES, entities={"Badge": badge}),
    }


CASE = Case(
    name="entities",
    sdls={"users": USERS, "orgs": ORGS, "accounts": ACCOUNTS, "ledger": LEDGER, "badges": BADGES},
    build=build,
    queries=(
        Query(
            "single key, duplicate representations sent once",
            "{ orgs { name members { id name } } }",
            {
                "data": {
                    "orgs": [
                        {
                            "name": "Acme",
                            "members": [{"id": "u1", "name": "Ada"}, {"id": "u2", "name": "Bob"}],
                        },
                        {
                            "name": "Zeta",
                            "members": [{"id": "u1", "name": "Ada"}, {"id": "u3", "name": "Cy"}],
                        },
                    ]
                }
            },
            fetches=2,
            apollo_fetches=2,
        ),
        Query(
            "second key of a type (email), reached through a chain",
            "{ orgs { members { name account { balance } } } }",
            {
                "data": {
                    "orgs": [
                        {
                            "members": [
                                {"name": "Ada", "account": {"balance": 100}},
                                {"name": "Bob", "account": {"balance": 5}},
                            ]
                        },
                        {
                            "members": [
                                {"name": "Ada", "account": {"balance": 100}},
                                {"name": "Cy", "account": None},
                            ]
                        },
                    ]
                }
            },
            fetches=3,
            apollo_fetches=3,
        ),
        Query(
            "composite key; a null key field sends no representation; a null entity",
            "{ users { name account { number balance statements } } }",
            {
                "data": {
                    "users": [
                        {"name": "Ada", "account": {"number": 1, "balance": 100, "statements": 12}},
                        {"name": "Bob", "account": {"number": 2, "balance": 5, "statements": None}},
                        {"name": "Cy", "account": None},
                    ]
                }
            },
            fetches=3,
            apollo_fetches=3,
        ),
        Query(
            "nested key",
            "{ users { id badges { kind label } } }",
            {
                "data": {
                    "users": [
                        {
                            "id": uid,
                            "badges": [
                                {"kind": "gold", "label": f"gold for {uid}"},
                                {"kind": "silver", "label": f"silver for {uid}"},
                            ],
                        }
                        for uid in ("u1", "u2", "u3")
                    ]
                }
            },
            fetches=2,
            apollo_fetches=2,
        ),
        Query(
            "a client alias takes the name of the key the planner adds (email: name)",
            "{ users { email: name account { balance } } }",
            {
                "data": {
                    "users": [
                        {"email": "Ada", "account": {"balance": 100}},
                        {"email": "Bob", "account": {"balance": 5}},
                        {"email": "Cy", "account": None},
                    ]
                }
            },
            fetches=2,
            apollo_fetches=2,
            apollo={
                "data": {
                    "users": [
                        {"email": "ada@example.com", "account": {"balance": 100}},
                        {"email": "bob@example.com", "account": {"balance": 5}},
                        {"email": "cy@example.com", "account": None},
                    ]
                }
            },
            apollo_note="Apollo is wrong: the key it adds (email) overwrites the client's alias",
        ),
        Query(
            "a client alias takes the name __typename, which the planner needs",
            "{ users { __typename: name account { balance } } }",
            {
                "data": {
                    "users": [
                        {"__typename": "Ada", "account": {"balance": 100}},
                        {"__typename": "Bob", "account": {"balance": 5}},
                        {"__typename": "Cy", "account": None},
                    ]
                }
            },
            fetches=2,
            apollo_fetches=2,
            apollo={
                "data": {
                    "users": [
                        {"__typename": "User", "account": {"balance": 100}},
                        {"__typename": "User", "account": {"balance": 5}},
                        {"__typename": "User", "account": None},
                    ]
                }
            },
            apollo_note="Apollo is wrong: it answers the type where the client aliased name",
        ),
        Query(
            "a client alias takes the name of a nested key field's parent (holder: kind)",
            "{ users { badges { holder: kind label } } }",
            {
                "data": {
                    "users": [
                        {
                            "badges": [
                                {"holder": "gold", "label": f"gold for {uid}"},
                                {"holder": "silver", "label": f"silver for {uid}"},
                            ]
                        }
                        for uid in ("u1", "u2", "u3")
                    ]
                }
            },
            fetches=2,
            apollo_fetches=2,
            apollo={
                "data": None,
                "extensions": {
                    "valueCompletion": [
                        {
                            "message": "Invalid value found for field Badge.holder.",
                            "path": ["users", user, "badges", badge, "holder"],
                            "extensions": {"code": "INVALID_GRAPHQL"},
                        }
                        for user in range(3)
                        for badge in range(2)
                    ]
                },
            },
            apollo_note=(
                "Apollo is wrong: the key's holder { id } overwrites the client's holder: kind, "
                "and the whole response is lost"
            ),
        ),
        Query(
            "a client alias takes the name of the key, fetched from the next subgraph",
            "{ orgs { members { id: email name } } }",
            {
                "data": {
                    "orgs": [
                        {
                            "members": [
                                {"id": "ada@example.com", "name": "Ada"},
                                {"id": "bob@example.com", "name": "Bob"},
                            ]
                        },
                        {
                            "members": [
                                {"id": "ada@example.com", "name": "Ada"},
                                {"id": "cy@example.com", "name": "Cy"},
                            ]
                        },
                    ]
                }
            },
            fetches=2,
            apollo_fetches=2,
        ),
    ),
)
