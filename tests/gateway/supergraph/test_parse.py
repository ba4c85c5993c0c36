"""Supergraph parsing: the model, ``@link`` renames and imports, Fed 1 ``@core`` supergraphs."""

from __future__ import annotations

import pytest
from graphql import GraphQLObjectType, parse

from gateway.planner import build_plan, select_operation
from gateway.supergraph import Supergraph, SupergraphError, parse_supergraph
from tests.gateway.conformance.cases import entities, inaccessible

FEDBENCH_LIKE = entities.CASE.supergraph_path.read_text()


def api_fields(supergraph: Supergraph, type_name: str) -> list[str]:
    type_ = supergraph.api_schema.type_map[type_name]
    assert isinstance(type_, GraphQLObjectType)
    return list(type_.fields)


def test_model_of_entities_supergraph() -> None:
    sg = parse_supergraph(FEDBENCH_LIKE)
    assert sorted(sg.subgraphs) == ["accounts", "badges", "ledger", "orgs", "users"]
    user = sg.type("User")
    assert [k.fields for k in user.keys("users")] == ["id", "email"]
    assert [(k.fields, k.resolvable) for k in user.keys("orgs")] == [("id", False)]
    assert user.resolvable_keys("orgs") == ()
    account = sg.field("User", "account")
    assert account is not None and account.resolvers == frozenset({"accounts"})
    assert sg.type("Badge").keys("badges")[0].fields == "holder { id } kind"
    assert sg.join_version == (0, 3)
    assert "join__Graph" not in sg.api_schema.type_map


def test_inaccessible_elements_leave_the_api_schema_only() -> None:
    sg = parse_supergraph(inaccessible.CASE.supergraph_path.read_text())
    assert "code" not in api_fields(sg, "Item")
    assert "Secret" not in sg.api_schema.type_map
    assert "secret" not in api_fields(sg, "Query")
    item = sg.schema.type_map["Item"]
    assert isinstance(item, GraphQLObjectType) and "code" in item.fields
    info = sg.field("Item", "code")
    assert info is not None and info.inaccessible


def test_link_renames_and_imports() -> None:
    renamed = (
        FEDBENCH_LIKE.replace("join__", "j__")
        .replace(
            '@link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)',
            '@link(url: "https://specs.apollo.dev/join/v0.3", as: "j", for: EXECUTION)\n'
            '  @link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY, '
            'import: [{name: "@inaccessible", as: "@hidden"}])',
        )
        .replace("  name: String\n", "  name: String @hidden\n", 1)
    )
    renamed += "\ndirective @hidden on FIELD_DEFINITION | OBJECT\n"
    sg = parse_supergraph(renamed)
    assert [k.fields for k in sg.type("User").keys("users")] == ["id", "email"]
    hidden = [t for t in ("User", "Org") if "name" not in api_fields(sg, t)]
    assert len(hidden) == 1
    assert "hidden" not in {d.name for d in sg.api_schema.directives}


FED1 = """
schema
  @core(feature: "https://specs.apollo.dev/core/v0.2")
  @core(feature: "https://specs.apollo.dev/join/v0.1", for: EXECUTION)
{ query: Query }

directive @core(as: String, feature: String!, for: core__Purpose) repeatable on SCHEMA
directive @join__field(graph: join__Graph, provides: join__FieldSet, requires: join__FieldSet)
  on FIELD_DEFINITION
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__owner(graph: join__Graph!) on INTERFACE | OBJECT
directive @join__type(graph: join__Graph!, key: join__FieldSet) repeatable on INTERFACE | OBJECT

type Query { me: User @join__field(graph: ACCOUNTS) }

type User
  @join__owner(graph: ACCOUNTS)
  @join__type(graph: ACCOUNTS, key: "id")
  @join__type(graph: REVIEWS, key: "id")
{
  id: ID! @join__field(graph: ACCOUNTS)
  name: String @join__field(graph: ACCOUNTS)
  reviews: [Review] @join__field(graph: REVIEWS)
}

type Review { body: String }

enum core__Purpose { EXECUTION SECURITY }
scalar join__FieldSet
enum join__Graph {
  ACCOUNTS @join__graph(name: "accounts" url: "http://accounts/graphql")
  REVIEWS @join__graph(name: "reviews" url: "http://reviews/graphql")
}
"""


def test_federation_1_core_supergraph() -> None:
    sg = parse_supergraph(FED1)
    assert sg.join_version == (0, 1)
    assert sg.url("reviews") == "http://reviews/graphql"
    assert api_fields(sg, "User") == ["id", "name", "reviews"]
    assert "core__Purpose" not in sg.api_schema.type_map
    operation = select_operation(parse("{ me { name reviews { body } } }"), None)
    plan = build_plan(sg, operation, {})
    assert [f.service for f in plan.fetches()] == ["accounts", "reviews"]


@pytest.mark.parametrize(
    "sdl",
    ["type Query { a: Int", "type Query { a: Int }", 'schema @link(url: "x") { query: Q }'],
    ids=["syntax", "no-join", "no-graphs"],
)
def test_not_a_supergraph(sdl: str) -> None:
    with pytest.raises(SupergraphError):
        parse_supergraph(sdl)
