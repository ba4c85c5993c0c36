"""``@requires`` chains back and forth between two subgraphs (A -> B -> A -> B), with
arguments on the required fields and the client's variables on the requiring one.

``Thing.top`` (b) requires ``mid(plus: 3)`` (a), which requires ``twice(times: 2)`` (b), which
requires ``base`` (a): four fetches in order, none merged into one it would wait for."""

from __future__ import annotations

from typing import Any

from tests.gateway.conformance.case import Case, Query, fed2
from tests.gateway.subgraph_kit import Subgraph, make_subgraph

A = fed2("""
type Query { things: [Thing!]! }
type Thing @key(fields: "id") {
  id: ID!
  base: Int
  twice(times: Int!): Int @external
  mid(plus: Int!): Int @requires(fields: "twice(times: 2)")
}
""")

B = fed2("""
type Thing @key(fields: "id") {
  id: ID!
  base: Int @external
  twice(times: Int!): Int @requires(fields: "base")
  mid(plus: Int!): Int @external
  top(scale: Int!): Int @requires(fields: "mid(plus: 3)")
}
""")

THINGS: list[dict[str, Any]] = [{"id": "1", "base": 1}, {"id": "2", "base": 10}]


def build() -> dict[str, Subgraph]:
    return {
        "a": make_subgraph(
            "a",
            A,
            resolvers={
                "Query": {"things": lambda *_: THINGS},
                "Thing": {"mid": lambda obj, _info, plus: obj["twice"] + plus},
            },
            entities={"Thing": dict},
        ),
        "b": make_subgraph(
            "b",
            B,
            resolvers={
                "Thing": {
                    "twice": lambda obj, _info, times: obj["base"] * times,
                    "top": lambda obj, _info, scale: obj["mid"] * scale,
                }
            },
            entities={"Thing": dict},
        ),
    }


_NOTE = (
    "Apollo plans mid and twice into fetches that run before what they require: a's mid "
    "gets no twice, b's top no mid"
)


def _subgraph_error(service: str, message: str, i: int, field: str) -> dict[str, Any]:
    return {
        "message": message,
        "path": ["things", i, field],
        "extensions": {"serviceName": service, "code": "SUBGRAPH_ERROR"},
    }


_NONE_TIMES = "unsupported operand type(s) for *: 'NoneType' and 'int'"
_APOLLO_ERRORS = [
    _subgraph_error("a", "'twice'", 0, "mid"),
    _subgraph_error("a", "'twice'", 1, "mid"),
    _subgraph_error("b", _NONE_TIMES, 0, "top"),
    _subgraph_error("b", _NONE_TIMES, 1, "top"),
]

CASE = Case(
    name="requires_chains",
    sdls={"a": A, "b": B},
    build=build,
    queries=(
        Query(
            "a chain a -> b -> a -> b with a variable on the last field",
            "query Q($s: Int!) { things { id top(scale: $s) } }",
            # base 1: twice 2, mid 5, top 25; base 10: twice 20, mid 23, top 115.
            {"data": {"things": [{"id": "1", "top": 25}, {"id": "2", "top": 115}]}},
            fetches=4,
            variables={"s": 5},
            apollo_fetches=2,
            apollo={
                "errors": _APOLLO_ERRORS,
                "data": {"things": [{"id": "1", "top": None}, {"id": "2", "top": None}]},
            },
            apollo_note=_NOTE,
        ),
        Query(
            "the middle field asked by the client with other arguments than required",
            "query Q($s: Int!) { things { top(scale: $s) mid(plus: 100) } }",
            {"data": {"things": [{"top": -5, "mid": 102}, {"top": -23, "mid": 120}]}},
            fetches=4,
            variables={"s": -1},
            apollo_fetches=3,
            apollo={
                "errors": _APOLLO_ERRORS,
                "data": {"things": [{"top": None, "mid": 102}, {"top": None, "mid": 120}]},
            },
            apollo_note=_NOTE,
        ),
    ),
)
