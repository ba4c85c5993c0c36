"""The CRM subgraph's SDL: the snapshot in schema/sdl/crm.graphql, and what _service answers."""

from __future__ import annotations

import re

import httpx

from subgraphs.common.sdl import subgraph_sdl
from subgraphs.crm.schema import schema
from tests.support.graphql import query
from tests.support.sdl import assert_sdl_snapshot


def test_sdl_matches_the_snapshot() -> None:
    assert_sdl_snapshot("crm", schema)


def test_service_sdl_is_what_the_gateway_reads(crm_graph: httpx.Client) -> None:
    body = query(crm_graph, "{ _service { sdl } }")
    sdl = body["data"]["_service"]["sdl"]
    assert sdl == subgraph_sdl(schema)
    for entity in ("Account", "Case", "Order"):
        # The auth directives (docs/auth.md) print before the key.
        assert re.search(rf'^type {entity} [^{{\n]*@key\(fields: "id"\)', sdl, re.MULTILINE)
    for needle in (
        "cases(open: Boolean = null): [Case!]!",
        "accounts(first: Int = null, after: String = null, search: String = null): "
        "AccountConnection",
    ):
        assert needle in sdl
