"""The ERP subgraph's SDL: as snapshotted, and as published through ``_service``."""

from __future__ import annotations

import re

import httpx

from subgraphs.common.sdl import subgraph_sdl
from subgraphs.erp.schema import schema
from tests.support.graphql import data
from tests.support.sdl import assert_sdl_snapshot


def test_sdl_matches_its_snapshot() -> None:
    assert_sdl_snapshot("erp", schema)


def test_service_publishes_the_sdl(erp_graph: httpx.Client) -> None:
    sdl = data(erp_graph, "{ _service { sdl } }")["_service"]["sdl"]
    assert sdl == subgraph_sdl(schema)
    assert '@link(url: "https://specs.apollo.dev/federation/v2.9"' in sdl
    for entity, key in (
        ("Product", '"sku"'),
        ("Order", '"id"'),
        ("Account", '"id"'),
        ("DistributionCenter", '"id", resolvable: false'),
        ("Shipment", '"id", resolvable: false'),
    ):
        # The auth directives (docs/auth.md) print before the key.
        pattern = rf"^type {entity} [^{{\n]*@key\(fields: {re.escape(key)}\)"
        assert re.search(pattern, sdl, re.MULTILINE)
