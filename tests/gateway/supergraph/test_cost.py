"""The supergraph model reads the cost spec's directives, under the names ``@link`` gives them."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.supergraph import ListSize, Supergraph, parse_supergraph

APOLLO = Path(__file__).parents[1] / "composition" / "apollo"


def load(fixture: str) -> Supergraph:
    return parse_supergraph((APOLLO / fixture / "supergraph.graphql").read_text())


@pytest.mark.parametrize("fixture", ["cost", "cost_renamed"])
def test_every_location_is_read_imported_or_renamed(fixture: str) -> None:
    supergraph = load(fixture)
    assert {name: t.cost for name, t in supergraph.types.items() if t.cost is not None} == {
        "Grade": 2,
        "Money": 3,
        "Product": 5,  # the larger of the two subgraphs' weights
    }
    rate = supergraph.field("Mutation", "rate")
    assert rate is not None and rate.cost == 20 and rate.argument_costs == {"stars": 2}
    text = supergraph.field("SearchInput", "text")
    assert text is not None and text.cost == 4
    search = supergraph.field("Query", "search")
    assert search is not None and search.argument_costs == {"input": 6}
    products = supergraph.field("Query", "products")
    assert products is not None and products.list_size == ListSize(
        slicing_arguments=("first",), sized_fields=("edges", "nodes")
    )
    top = supergraph.field("Query", "top")
    assert top is not None and top.list_size == ListSize(
        assumed_size=8, slicing_arguments=("limit",), require_one_slicing_argument=False
    )
    warehouses = supergraph.field("Product", "warehouses")
    assert warehouses is not None and warehouses.list_size == ListSize(assumed_size=3)


def test_unimported_names_are_read() -> None:
    supergraph = load("cost_unimported")  # @federation__cost and @federation__listSize
    z, w = supergraph.field("Query", "z"), supergraph.field("Query", "w")
    assert z is not None and z.list_size == ListSize(assumed_size=2)
    assert w is not None and w.cost == 1


def test_the_directives_stay_out_of_the_api_schema() -> None:
    api = load("cost").api_schema
    assert api.get_directive("cost") is None and api.get_directive("listSize") is None


def test_a_directive_named_cost_outside_the_spec_is_not_read() -> None:
    supergraph = parse_supergraph(
        'schema @link(url: "https://specs.apollo.dev/link/v1.0") '
        '@link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION) { query: Query }\n'
        "directive @cost(weight: Int!) on FIELD_DEFINITION\n"
        "directive @join__graph(name: String!, url: String!) on ENUM_VALUE\n"
        "directive @join__type(graph: join__Graph!, key: join__FieldSet) repeatable on OBJECT\n"
        'enum join__Graph { A @join__graph(name: "a", url: "http://a") }\n'
        "scalar join__FieldSet\n"
        "type Query @join__type(graph: A) { x: Int @cost(weight: 3) }\n"
    )
    x = supergraph.field("Query", "x")
    assert x is not None and x.cost is None
