"""schema/supergraph.graphql is what our subgraphs compose to, the gateway can serve it, and the
examples GraphiQL opens on are valid."""

from __future__ import annotations

import difflib
import importlib
from pathlib import Path

import pytest
from graphql import parse, validate

from crossdock.graph import (
    EXAMPLE_QUERY,
    SUBGRAPHS,
    SUPERGRAPH_PATH,
    compose_snapshots,
    snapshot_sources,
)
from gateway.supergraph import parse_supergraph
from subgraphs.apps import SubgraphName, subgraph_schema


def test_supergraph_snapshot_is_what_the_sdl_snapshots_compose_to() -> None:
    composed = compose_snapshots()
    kept = SUPERGRAPH_PATH.read_text()
    if composed != kept:
        diff = "".join(
            difflib.unified_diff(
                kept.splitlines(keepends=True),
                composed.splitlines(keepends=True),
                "schema/supergraph.graphql",
                "composed from schema/sdl",
            )
        )
        raise AssertionError(f"the supergraph is stale; review and run `crossdock compose`\n{diff}")


def test_every_subgraph_is_routed_at_its_default_port() -> None:
    supergraph = parse_supergraph(SUPERGRAPH_PATH.read_text())
    routed = {s.name: s.url for s in supergraph.subgraphs.values()}
    assert routed == {source.name: source.url for source in snapshot_sources()}
    assert set(routed) == set(SUBGRAPHS)


def test_api_schema_offers_the_root_fields_of_every_subgraph() -> None:
    api = parse_supergraph(SUPERGRAPH_PATH.read_text()).api_schema
    query = api.query_type
    assert query is not None
    for field in (
        "order",
        "orderByNumber",
        "orders",
        "account",
        "accounts",
        "product",
        "products",
        "distributionCenters",
        "shipment",
        "shipmentByTracking",
    ):
        assert field in query.fields, field
    assert "_entities" not in query.fields and "_service" not in query.fields


def test_the_example_graphiql_opens_on_is_the_readmes_and_valid() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    first = readme.split("```graphql\n", 1)[1].split("```", 1)[0]
    assert first == EXAMPLE_QUERY
    supergraph = parse_supergraph(SUPERGRAPH_PATH.read_text())
    assert validate(supergraph.api_schema, parse(EXAMPLE_QUERY)) == []


@pytest.mark.parametrize("name", SUBGRAPHS)
def test_each_subgraphs_example_is_valid_against_it(name: SubgraphName) -> None:
    module = importlib.import_module(f"subgraphs.{name}.schema")
    schema = subgraph_schema(name)
    assert validate(schema._schema, parse(module.EXAMPLE_QUERY)) == []
