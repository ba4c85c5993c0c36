"""schemathesis in GraphQL mode against the gateway and each subgraph of the distribution graph.

Generated operations must never get a 5xx or a body that is not a GraphQL response, and every
error must carry ``extensions.code``. The schemas are introspected from the code at collection
(schemathesis' lazy ``from_fixture`` does not run under pytest 9); the requests go to the
servers the session fixtures start.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
import pytest
import schemathesis
from graphql import introspection_from_schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from crossdock.settings import Settings
from crossdock.stack import compose_live_supergraph
from gateway.supergraph import parse_supergraph
from subgraphs.apps import SUBGRAPH_NAMES, subgraph_schema

# Examples per operation: small for CI; raise it for a deeper run on a workstation.
MAX_EXAMPLES = int(os.environ.get("CROSSDOCK_SCHEMATHESIS_EXAMPLES", "10"))
ENTITY_TYPES = ["Account", "Case", "DistributionCenter", "Order", "Product", "Shipment"]
# Derandomized and without an example database: CI runs the same examples every time, and a
# failure found on a deeper local run is not replayed into everyone's next run.
HYPOTHESIS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# Mutations are left out: generated ones would write to the systems every other test reads.
NO_MUTATIONS = r"^Mutation\."

gateway_schema = schemathesis.graphql.from_dict(
    {
        "data": introspection_from_schema(
            parse_supergraph(compose_live_supergraph(Settings())).api_schema
        )
    }
).exclude(name_regex=NO_MUTATIONS)
crm_schema = schemathesis.graphql.from_dict({"data": subgraph_schema("crm").introspect()}).exclude(
    name_regex=NO_MUTATIONS
)
erp_schema = schemathesis.graphql.from_dict({"data": subgraph_schema("erp").introspect()}).exclude(
    name_regex=NO_MUTATIONS
)
orders_schema = schemathesis.graphql.from_dict(
    {"data": subgraph_schema("orders").introspect()}
).exclude(name_regex=NO_MUTATIONS)
wms_schema = schemathesis.graphql.from_dict({"data": subgraph_schema("wms").introspect()}).exclude(
    name_regex=NO_MUTATIONS
)


def graphql_shaped_with_codes(ctx: Any, response: Any, case: Any) -> bool:
    """A JSON object with ``data`` and/or ``errors``; each error has a message and a code."""
    assert response.status_code < 500, f"status {response.status_code}: {response.text[:500]}"
    body = response.json()
    assert isinstance(body, dict), body
    assert "data" in body or "errors" in body, body
    for error in body.get("errors") or ():
        assert isinstance(error.get("message"), str), error
        assert (error.get("extensions") or {}).get("code"), f"error without a code: {error}"
    return True


# Not schemathesis' ``positive_data_acceptance``: a generated value the resolvers reject
# (``first: -1``, a malformed cursor) rightly gets BAD_USER_INPUT, which it counts as a failure.
CHECKS = [not_a_server_error, graphql_shaped_with_codes]


def call(case: Any, url: str) -> None:
    case.call_and_validate(base_url=f"{url}/graphql", checks=CHECKS)


@gateway_schema.parametrize()
@HYPOTHESIS
def test_gateway(case: Any, graph_gateway_url: str) -> None:
    call(case, graph_gateway_url)


@crm_schema.parametrize()
@HYPOTHESIS
def test_crm_subgraph(case: Any, subgraph_urls: dict[str, str]) -> None:
    call(case, subgraph_urls["crm"])


@erp_schema.parametrize()
@HYPOTHESIS
def test_erp_subgraph(case: Any, subgraph_urls: dict[str, str]) -> None:
    call(case, subgraph_urls["erp"])


@orders_schema.parametrize()
@HYPOTHESIS
def test_orders_subgraph(case: Any, subgraph_urls: dict[str, str]) -> None:
    call(case, subgraph_urls["orders"])


@wms_schema.parametrize()
@HYPOTHESIS
def test_wms_subgraph(case: Any, subgraph_urls: dict[str, str]) -> None:
    call(case, subgraph_urls["wms"])


# schemathesis leaves out ``_entities`` (its name starts with ``_``), yet it is what the gateway
# sends most: representations of every shape must get a coded error or data, never a 5xx.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
representations = st.lists(
    st.fixed_dictionaries(
        {"__typename": st.sampled_from(ENTITY_TYPES) | st.text(max_size=10)},
        optional={key: json_values for key in ("id", "sku", "number", "upc")},
    )
    | json_values,
    max_size=4,
)
ENTITIES = "query ($r: [_Any!]!) { _entities(representations: $r) { __typename } }"


@pytest.mark.parametrize("name", SUBGRAPH_NAMES)
def test_subgraph_entities_with_generated_representations(
    name: str, subgraph_urls: dict[str, str]
) -> None:
    with httpx.Client(base_url=subgraph_urls[name]) as client:

        @HYPOTHESIS
        @given(representations)
        def run(reps: list[Any]) -> None:
            response = client.post("/graphql", json={"query": ENTITIES, "variables": {"r": reps}})
            graphql_shaped_with_codes(None, response, None)

        run()
