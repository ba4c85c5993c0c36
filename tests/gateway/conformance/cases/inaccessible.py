"""``@inaccessible`` fields, types, enum values and arguments: hidden from clients, still used
as keys by the planner."""

from __future__ import annotations

from tests.gateway.conformance.case import Case, Query, fed2
from tests.gateway.subgraph_kit import Subgraph, make_subgraph

CATALOG = fed2("""
type Query { items: [Item!]! secret: Secret @inaccessible }
type Item @key(fields: "id") @key(fields: "code") {
  id: ID!
  code: String! @inaccessible
  name: String
  kind: Kind
  label(style: String, debug: Boolean @inaccessible): String
}
type Secret @inaccessible { x: Int }
enum Kind { A B HIDDEN @inaccessible }
""")

RANKING = fed2("""
type Item @key(fields: "code") { code: String! @inaccessible rank: Int }
""")


def build() -> dict[str, Subgraph]:
    items = [{"id": "1", "code": "X-1", "name": "Bolt", "kind": "A"}]
    return {
        "catalog": make_subgraph(
            "catalog",
            CATALOG,
            resolvers={
                "Query": {"items": lambda *_: items},
                "Item": {
                    "label": lambda obj, _i, style="plain", debug=False: f"{style}:{obj['name']}"
                },
            },
            entities={"Item": lambda rep: None},
        ),
        "ranking": make_subgraph(
            "ranking", RANKING, entities={"Item": lambda rep: {"code": rep["code"], "rank": 2}}
        ),
    }


_NO_FIELD = "Cannot query field 'code' on type 'Item'."

CASE = Case(
    name="inaccessible",
    sdls={"catalog": CATALOG, "ranking": RANKING},
    build=build,
    queries=(
        Query(
            "an inaccessible key field still joins subgraphs",
            '{ items { name kind label(style: "bold") rank } }',
            {"data": {"items": [{"name": "Bolt", "kind": "A", "label": "bold:Bolt", "rank": 2}]}},
            fetches=2,
            apollo_fetches=2,
        ),
        Query(
            "an inaccessible field cannot be queried",
            "{ items { code } }",
            {
                "errors": [
                    {
                        "message": _NO_FIELD,
                        "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
                        "locations": [{"line": 1, "column": 11}],
                    }
                ]
            },
            fetches=0,
            apollo={
                "errors": [
                    {
                        "message": 'Cannot query field "code" on type "Item".',
                        "locations": [{"line": 1, "column": 11}],
                        "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
                    }
                ]
            },
            apollo_note="graphql-js quotes names with \", graphql-core with '; same error",
        ),
        Query(
            "introspection shows no inaccessible element",
            '{ item: __type(name: "Item") { fields { name args { name } } } '
            'kind: __type(name: "Kind") { enumValues { name } } '
            'secret: __type(name: "Secret") { name } }',
            {
                "data": {
                    "item": {
                        "fields": [
                            {"name": "id", "args": []},
                            {"name": "name", "args": []},
                            {"name": "kind", "args": []},
                            {"name": "label", "args": [{"name": "style"}]},
                            {"name": "rank", "args": []},
                        ]
                    },
                    "kind": {"enumValues": [{"name": "A"}, {"name": "B"}]},
                    "secret": None,
                }
            },
            fetches=0,
        ),
    ),
)
