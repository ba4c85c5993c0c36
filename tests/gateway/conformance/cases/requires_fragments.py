"""``@requires`` whose field set has fragments on an interface that implements another, with
a member that is ``@inaccessible`` (after the requires-with-fragments suite of the Guild's
gateway audit)."""

from __future__ import annotations

from typing import Any

from tests.gateway.conformance.case import Case, Query
from tests.gateway.subgraph_kit import Subgraph, make_subgraph

_LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", '
    'import: ["@key", "@shareable", "@inaccessible", "@external", "@requires"])\n'
)

_TYPES = """
interface Foo { foo: String! }
interface Bar implements Foo { foo: String! bar: String! }
type Baz implements Foo & Bar @shareable%s { foo: String! bar: String! baz: String! }
type Qux implements Foo & Bar @shareable { foo: String! bar: String! qux: String! }
"""

A = (
    _LINK
    + """
type Query @shareable { a: Entity }
type Entity @key(fields: "id") { id: ID! data: Foo }
"""
    + _TYPES % ""
)

B = (
    _LINK
    + """
type Query @shareable { b: Entity bb: Entity }
type Entity @key(fields: "id") {
  id: ID!
  data: Foo @external
  requirer: String!
    @requires(fields: "data { foo ... on Bar { bar ... on Baz { baz } ... on Qux { qux } } }")
  requirer2: String! @requires(fields: "data { ... on Foo { foo } }")
}
"""
    + _TYPES % " @inaccessible"
)

_DATA = {
    "e1": {"__typename": "Baz", "foo": "b1-foo", "bar": "b1-bar", "baz": "b1-baz"},
    "e2": {"__typename": "Qux", "foo": "q1-foo", "bar": "q1-bar", "qux": "q1-qux"},
}


def build() -> dict[str, Subgraph]:
    def entity_a(rep: dict[str, Any]) -> Any:
        return {"id": rep["id"], "data": _DATA[rep["id"]]} if rep["id"] in _DATA else None

    def entity_b(rep: dict[str, Any]) -> Any:
        out: dict[str, Any] = {"id": rep["id"]}
        data = rep.get("data")
        if data is not None:
            # The full field set has bar and baz/qux as well; the short one only foo.
            complete = "bar" in data and ("baz" in data or "qux" in data)
            out["requirer"] = data["foo"] + "_requirer" if complete else None
            out["requirer2"] = data["foo"] + "_requirer2"
        return out

    return {
        "a": make_subgraph(
            "a",
            A,
            resolvers={"Query": {"a": lambda *_: entity_a({"id": "e2"})}},
            entities={"Entity": entity_a},
        ),
        "b": make_subgraph(
            "b",
            B,
            resolvers={"Query": {"b": lambda *_: {"id": "e1"}, "bb": lambda *_: {"id": "e2"}}},
            entities={"Entity": entity_b},
        ),
    }


CASE = Case(
    name="requires_fragments",
    sdls={"a": A, "b": B},
    build=build,
    queries=(
        Query(
            "an object of a type the API does not have comes back null",
            "{ b { id data { __typename } } bb { id data { __typename } } }",
            {
                "data": {
                    "b": {"id": "e1", "data": None},
                    "bb": {"id": "e2", "data": {"__typename": "Qux"}},
                }
            },
            fetches=2,  # a's fetches for b and bb are one (gateway.planner._batch)
            apollo_fetches=3,
            apollo={
                "data": {
                    "b": {"id": "e1", "data": None},
                    "bb": {"id": "e2", "data": {"__typename": "Qux"}},
                },
                "extensions": {
                    "valueCompletion": [
                        {
                            "message": "Invalid __typename found for object at field Entity.data.",
                            "path": ["b", "data"],
                            "extensions": {"code": "INVALID_GRAPHQL"},
                        }
                    ]
                },
            },
            apollo_note=(
                "same data; @apollo/gateway adds a valueCompletion extension for the object "
                "whose type the API does not have"
            ),
        ),
        Query(
            "required fragments on an interface and its implementations",
            "{ a { requirer } }",
            {"data": {"a": {"requirer": "q1-foo_requirer"}}},
            fetches=2,
            apollo_fetches=2,
        ),
        Query(
            "the same, with the required field also selected",
            "{ a { data { __typename } requirer } }",
            {"data": {"a": {"data": {"__typename": "Qux"}, "requirer": "q1-foo_requirer"}}},
            fetches=2,
            apollo_fetches=2,
        ),
        Query(
            "required fragments, from a root in the requiring subgraph",
            "{ bb { data { __typename } requirer } }",
            {"data": {"bb": {"data": {"__typename": "Qux"}, "requirer": "q1-foo_requirer"}}},
            fetches=3,
            apollo_fetches=3,
        ),
        Query(
            "required fragments on a member the API does not have",
            "{ b { data { __typename } requirer } }",
            {"data": {"b": {"data": None, "requirer": "b1-foo_requirer"}}},
            fetches=3,
            apollo_fetches=3,
            apollo={
                "data": {"b": {"data": None, "requirer": "b1-foo_requirer"}},
                "extensions": {
                    "valueCompletion": [
                        {
                            "message": "Invalid __typename found for object at field Entity.data.",
                            "path": ["b", "data"],
                            "extensions": {"code": "INVALID_GRAPHQL"},
                        }
                    ]
                },
            },
            apollo_note=(
                "same data; @apollo/gateway adds a valueCompletion extension for the object "
                "whose type the API does not have"
            ),
        ),
        Query(
            "a required fragment on the field's own interface",
            "{ bb { data { __typename } requirer2 } }",
            {"data": {"bb": {"data": {"__typename": "Qux"}, "requirer2": "q1-foo_requirer2"}}},
            fetches=3,
            apollo_fetches=3,
        ),
    ),
)
