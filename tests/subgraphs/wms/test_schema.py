"""The WMS subgraph's contract: its SDL snapshot, what it publishes, and its package surface."""

from __future__ import annotations

import re

import httpx

import subgraphs.wms
from subgraphs.common.sdl import subgraph_sdl
from subgraphs.wms.schema import schema
from tests.support.graphql import query
from tests.support.sdl import assert_sdl_snapshot


def test_sdl_matches_the_snapshot() -> None:
    assert_sdl_snapshot("wms", schema)


def test_service_sdl_is_the_schema(wms_graph: httpx.Client) -> None:
    body = query(wms_graph, "{ _service { sdl } }")
    assert body == {"data": {"_service": {"sdl": subgraph_sdl(schema)}}}


def test_sdl_declares_the_contracts_keys() -> None:
    sdl = subgraph_sdl(schema)
    for entity, key in [
        ("DistributionCenter", "id"),
        ("FulfillmentOrder", "id"),
        ("Shipment", "id"),
        ("Product", "sku"),
        ("Order", "id"),
        ("ReturnAuthorization", "id"),
    ]:
        # The auth directives (docs/auth.md) print before the key.
        assert re.search(rf'^type {entity} [^{{\n]*@key\(fields: "{key}"\)', sdl, re.MULTILINE)
    assert "federation/v2" in sdl


def test_package_surface() -> None:
    assert subgraphs.wms.__all__ == ["create_app", "schema"]
    assert subgraphs.wms.schema is schema
