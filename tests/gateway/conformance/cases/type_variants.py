"""A child field whose type differs between subgraphs (``@join__field(type:)``); enum and
input types that subgraphs define differently (composition keeps the intersection of what
clients may send, the union of what subgraphs may return)."""

from __future__ import annotations

from typing import Any

from tests.gateway.conformance.case import Case, Query, fed2
from tests.gateway.subgraph_kit import Subgraph, make_subgraph

ZOO = fed2("""
type Query { zoo: Zoo animals(filter: AnimalFilter): [Animal!]! }
type Zoo @key(fields: "id") {
  id: ID! star: Animal @shareable size: Int @shareable favourite: Food
}
interface Animal { name: String! }
type Dog implements Animal @shareable { name: String! barks: Boolean! }
type Cat implements Animal @shareable { name: String! meows: Boolean! }
enum Diet { MEAT FISH PLANTS }
enum Food { MEAT FISH }
input AnimalFilter { diet: Diet name: String legs: Int }
""")

KEEPER = fed2("""
type Query {
  keeperZoo: Zoo
  fed(diet: Diet!): [String!]!
  menu(filter: AnimalFilter): [Food!]!
}
type Zoo @key(fields: "id") { id: ID! star: Dog @shareable size: Int! @shareable keeper: String }
type Dog @shareable { name: String! barks: Boolean! }
enum Diet { MEAT FISH INSECTS }
enum Food { MEAT INSECTS }
input AnimalFilter { diet: Diet name: String }
""")

_STAR = {"__typename": "Dog", "name": "Rex", "barks": True}


def build() -> dict[str, Subgraph]:
    def animals(_obj: Any, _info: Any, filter: dict[str, Any] | None = None) -> list[Any]:
        every = [_STAR, {"__typename": "Cat", "name": "Tom", "meows": True}]
        name = (filter or {}).get("name")
        return [a for a in every if name is None or a["name"] == name]

    def menu(_obj: Any, _info: Any, filter: dict[str, Any] | None = None) -> list[str]:
        return ["MEAT", "INSECTS"] if (filter or {}).get("diet") == "MEAT" else ["FISH"]

    return {
        "zoo": make_subgraph(
            "zoo",
            ZOO,
            resolvers={
                "Query": {
                    "zoo": lambda *_: {"id": "z1", "star": _STAR, "size": 3, "favourite": "FISH"},
                    "animals": animals,
                }
            },
            entities={"Zoo": lambda rep: {"id": rep["id"], "star": _STAR, "size": 3}},
        ),
        "keeper": make_subgraph(
            "keeper",
            KEEPER,
            resolvers={
                "Query": {
                    "keeperZoo": lambda *_: {"id": "z1", "star": _STAR, "size": 3, "keeper": "Al"},
                    "fed": lambda _o, _i, diet: [f"{diet.lower()} for Rex"],
                    "menu": menu,
                }
            },
            entities={"Zoo": lambda rep: {"id": rep["id"], "keeper": "Al"}},
        ),
    }


CASE = Case(
    name="type_variants",
    sdls={"zoo": ZOO, "keeper": KEEPER},
    build=build,
    queries=(
        Query(
            "a field typed Dog in the subgraph that resolves it, Animal in the supergraph",
            "{ keeperZoo { keeper size star { __typename name ... on Dog { barks } "
            "... on Cat { meows } } } }",
            {
                "data": {
                    "keeperZoo": {
                        "keeper": "Al",
                        "size": 3,
                        "star": {"__typename": "Dog", "name": "Rex", "barks": True},
                    }
                }
            },
            fetches=1,
            apollo_fetches=1,
        ),
        Query(
            "the same field from the subgraph where it is the interface",
            "{ zoo { keeper favourite star { name ... on Cat { meows } } } }",
            {"data": {"zoo": {"keeper": "Al", "favourite": "FISH", "star": {"name": "Rex"}}}},
            fetches=2,
            apollo_fetches=2,
        ),
        Query(
            "an enum value every subgraph accepts",
            "query($d: Diet!) { fed(diet: $d) lit: fed(diet: MEAT) }",
            {"data": {"fed": ["fish for Rex"], "lit": ["meat for Rex"]}},
            fetches=1,
            apollo_fetches=1,
            variables={"d": "FISH"},
        ),
        Query(
            "an enum value only one subgraph accepts is not in the API",
            "{ fed(diet: INSECTS) }",
            {
                "errors": [
                    {
                        "message": "Value 'INSECTS' does not exist in 'Diet' enum.",
                        "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
                        "locations": [{"line": 1, "column": 13}],
                    }
                ]
            },
            fetches=0,
            apollo={
                "errors": [
                    {
                        "message": 'Value "INSECTS" does not exist in "Diet" enum.',
                        "locations": [{"line": 1, "column": 13}],
                        "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
                    }
                ]
            },
            apollo_note="graphql-js quotes names with \", graphql-core with '; same error",
        ),
        Query(
            "output enum values only one subgraph returns; an input field both define",
            '{ menu(filter: { diet: MEAT, name: "Rex" }) animals(filter: { name: "Tom" }) '
            "{ name } }",
            {"data": {"menu": ["MEAT", "INSECTS"], "animals": [{"name": "Tom"}]}},
            fetches=2,
            apollo_fetches=2,
        ),
        Query(
            "an input field only one subgraph defines is not in the API",
            "{ animals(filter: { legs: 4 }) { name } }",
            {
                "errors": [
                    {
                        "message": "Expected value of type 'AnimalFilter' not to include unknown"
                        " field 'legs', found: { legs: 4 }.",
                        "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
                        "locations": [{"line": 1, "column": 21}],
                    }
                ]
            },
            fetches=0,
            apollo={
                "errors": [
                    {
                        "message": 'Field "legs" is not defined by type "AnimalFilter".',
                        "locations": [{"line": 1, "column": 21}],
                        "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
                    }
                ]
            },
            apollo_note="graphql-core words the same validation error differently",
        ),
    ),
)
