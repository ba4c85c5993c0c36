"""A union with all its members in one subgraph and one member in another, behind a shareable
type (after the partial-union suite of the Guild's gateway audit): members without a key can
only come from the subgraph that has them, and none of their fragments may be dropped."""

from __future__ import annotations

from tests.gateway.conformance.case import Case, Query
from tests.gateway.subgraph_kit import Subgraph, make_subgraph

_LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.0", '
    'import: ["@key", "@shareable"])\n'
)

A = (
    _LINK
    + """
type Query { getResponse: Response }
type Response @shareable { actions: [Action!]! message: String }
union Action = Alpha | Beta | Gamma
type Alpha @shareable { id: ID! value: String }
type Beta { id: ID! name: String details: String }
type Gamma { id: ID! label: String }
"""
)

B = (
    _LINK
    + """
type Response @shareable { actions: [Action!]! message: String }
union Action = Alpha
type Alpha @shareable { id: ID! value: String }
"""
)

_ALPHA = {"__typename": "Alpha", "id": "a1", "value": "alpha"}
_BETA = {"__typename": "Beta", "id": "b1", "name": "beta", "details": "more"}
_GAMMA = {"__typename": "Gamma", "id": "g1", "label": "gamma"}


def build() -> dict[str, Subgraph]:
    response = {"message": "hello", "actions": [_ALPHA, _BETA, _GAMMA]}
    return {
        "a": make_subgraph("a", A, resolvers={"Query": {"getResponse": lambda *_: response}}),
        "b": make_subgraph("b", B),
    }


CASE = Case(
    name="partial_union",
    sdls={"a": A, "b": B},
    build=build,
    queries=(
        Query(
            "every member's fragment is kept",
            "{ getResponse { message actions { __typename ... on Alpha { id value } "
            "... on Beta { id name details } ... on Gamma { id label } } } }",
            {"data": {"getResponse": {"message": "hello", "actions": [_ALPHA, _BETA, _GAMMA]}}},
            fetches=1,
            apollo_fetches=1,
        ),
        Query(
            "only the members the other subgraph does not have",
            "{ getResponse { actions { __typename ... on Beta { name } "
            "... on Gamma { label } } } }",
            {
                "data": {
                    "getResponse": {
                        "actions": [
                            {"__typename": "Alpha"},
                            {"__typename": "Beta", "name": "beta"},
                            {"__typename": "Gamma", "label": "gamma"},
                        ]
                    }
                }
            },
            fetches=1,
            apollo_fetches=1,
        ),
    ),
)
