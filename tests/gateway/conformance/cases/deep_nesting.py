"""Operations as deep as the client writes them: no hop limit (issue #14, point 7).

a owns ``Order.account``, b owns ``Account.lastOrder``: every level of
``order { account { lastOrder { account { … } } } }`` is two entity hops, one into each subgraph.
Written as fragments nested eight levels deep (each level's fragment spreads the next), the
query once failed at planning with "no path to Order.account" after twelve hops. A correct
gateway plans every level and answers the whole tree."""

from __future__ import annotations

from typing import Any

from tests.gateway.conformance.case import Case, Query, fed2
from tests.gateway.subgraph_kit import Subgraph, make_subgraph

LEVELS = 8

A = fed2("""
type Query { order: Order }
type Order @key(fields: "id") { id: ID! number: String! account: Account }
type Account @key(fields: "id") { id: ID! }
""")

B = fed2("""
type Account @key(fields: "id") { id: ID! name: String! lastOrder: Order }
type Order @key(fields: "id") { id: ID! }
""")

# One account whose last order is the order: the tree is as deep as the query, the data a
# cycle. (Single objects, not lists: what is measured is depth, not demand control's cost.)
ORDER = {"id": "o1", "number": "SO-1", "account": {"id": "a1"}}
ACCOUNT = {"id": "a1", "name": "Acme", "lastOrder": {"id": "o1"}}


def build() -> dict[str, Subgraph]:
    return {
        "a": make_subgraph(
            "a",
            A,
            resolvers={"Query": {"order": lambda *_: ORDER}},
            entities={"Order": lambda r: ORDER if r["id"] == "o1" else None},
        ),
        "b": make_subgraph(
            "b",
            B,
            entities={"Account": lambda r: ACCOUNT if r["id"] == "a1" else None},
        ),
    }


def _query(levels: int) -> str:
    fragments = [
        f"fragment L{i} on Order {{ number account {{ name lastOrder {{ "
        f"{f'...L{i + 1}' if i + 1 < levels else 'id'} }} }} }}"
        for i in range(levels)
    ]
    return "query Deep { order { ...L0 } }\n" + "\n".join(fragments)


def _answer(levels: int) -> dict[str, Any]:
    inner: dict[str, Any] = {"id": "o1"}
    for _ in range(levels):
        inner = {"number": "SO-1", "account": {"name": "Acme", "lastOrder": inner}}
    return {"data": {"order": inner}}


CASE = Case(
    name="deep_nesting",
    sdls={"a": A, "b": B},
    build=build,
    queries=(
        Query(
            f"fragments nested {LEVELS} levels deep, two hops a level",
            _query(LEVELS),
            _answer(LEVELS),
            # The root fetch; then per level b for the account, a for its orders' fields
            # (the last level's order asks only its id, which b has).
            fetches=2 * LEVELS,
            operation_name="Deep",
            apollo_fetches=2 * LEVELS,
        ),
    ),
)
