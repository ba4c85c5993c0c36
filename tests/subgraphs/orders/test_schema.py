"""The orders subgraph's SDL: as snapshotted, and composing with crm, erp and wms."""

from __future__ import annotations

from graphql import GraphQLObjectType

from crossdock.settings import Settings
from crossdock.stack import compose_live_supergraph
from gateway.supergraph import parse_supergraph
from subgraphs.orders.schema import schema
from tests.support.sdl import assert_sdl_snapshot


def test_sdl_matches_its_snapshot() -> None:
    assert_sdl_snapshot("orders", schema)


def test_composes_with_the_other_subgraphs() -> None:
    supergraph = parse_supergraph(compose_live_supergraph(Settings()))
    api = supergraph.api_schema
    assert api.mutation_type is not None
    assert "submitOrder" in api.mutation_type.fields
    assert api.query_type is not None
    assert "promiseOrder" in api.query_type.fields
    # The payload's order is the ERP's Order: any of its fields can be selected.
    order = api.get_type("Order")
    assert isinstance(order, GraphQLObjectType)
    assert {"number", "status", "total", "fulfillmentOrders"} <= set(order.fields)
