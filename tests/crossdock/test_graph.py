"""schema/supergraph.graphql is what our subgraphs compose to, and the gateway can serve it."""

from __future__ import annotations

import difflib

from crossdock.graph import SUBGRAPHS, SUPERGRAPH_PATH, compose_snapshots, snapshot_sources
from gateway.supergraph import parse_supergraph


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
