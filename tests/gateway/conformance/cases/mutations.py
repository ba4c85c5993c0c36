"""Mutations run one after another in document order, across subgraphs."""

from __future__ import annotations

from typing import Any

from tests.gateway.conformance.case import Case, Query, fed2
from tests.gateway.subgraph_kit import Subgraph, make_subgraph

FIRST = fed2("""
type Query { log: [String!]! }
type Mutation { reset: Boolean! addA(v: String!): String! }
""")

SECOND = fed2("""
type Mutation { addB(v: String!): String! }
""")


def build() -> dict[str, Subgraph]:
    log: list[str] = []

    def reset(*_: Any) -> bool:
        log.clear()
        return True

    def add(prefix: str) -> Any:
        def resolve(_obj: Any, _info: Any, v: str) -> str:
            before = log[-1] if log else "-"
            log.append(f"{prefix}{v}")
            return f"{prefix}{v} after {before}"

        return resolve

    return {
        "first": make_subgraph(
            "first",
            FIRST,
            resolvers={
                "Query": {"log": lambda *_: list(log)},
                "Mutation": {"reset": reset, "addA": add("a")},
            },
        ),
        "second": make_subgraph("second", SECOND, resolvers={"Mutation": {"addB": add("b")}}),
    }


CASE = Case(
    name="mutations",
    sdls={"first": FIRST, "second": SECOND},
    build=build,
    queries=(
        Query(
            "document order across subgraphs; neighbours in one subgraph share a fetch",
            'mutation M($v: String! = "3") { reset one: addA(v: "1") two: addB(v: "2") '
            "three: addA(v: $v) }",
            {
                "data": {
                    "reset": True,
                    "one": "a1 after -",
                    "two": "b2 after a1",
                    "three": "a3 after b2",
                }
            },
            fetches=3,
            apollo_fetches=3,
        ),
    ),
)
