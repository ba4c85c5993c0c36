"""The fedbench benchmark query through the gateway: exactly ``expected.json``, 6 fetches."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from bench.fedbench_subgraphs import FEDBENCH, fedbench_subgraphs
from gateway import Gateway
from gateway.supergraph import parse_supergraph
from tests.gateway.conftest import Running

# @apollo/query-planner plans 16 fetches for this query; fetching inStock with
# shippingEstimate (both from inventory, after products) saves three, and merging the
# entity fetches of one subgraph at one level (gateway.planner._batch) seven more: two root
# fetches, then reviews, then products and accounts, then inventory (Hive Gateway: 7).
FEDBENCH_FETCHES = 6


@pytest.fixture
def fedbench(run_subgraphs: Callable[..., Running]) -> Running:
    return run_subgraphs("fedbench", fedbench_subgraphs)


async def test_benchmark_query_returns_expected_json(fedbench: Running) -> None:
    subgraphs, urls = fedbench
    supergraph = parse_supergraph((FEDBENCH / "supergraph.graphql").read_text())
    gateway = Gateway(supergraph.with_urls(urls))
    body = json.loads((FEDBENCH / "body.json").read_text())
    try:
        plan = gateway.plan(body["query"])
        outcome = await gateway.execute(body)
    finally:
        await gateway.aclose()
    expected = json.loads((FEDBENCH / "expected.json").read_text())
    # Same values and the same key order.
    assert json.dumps(outcome.response) == json.dumps(expected)
    assert plan.fetch_count == FEDBENCH_FETCHES
    assert sum(len(s.requests) for s in subgraphs.values()) == FEDBENCH_FETCHES


def test_benchmark_plan_is_cached() -> None:
    gateway = Gateway(parse_supergraph((FEDBENCH / "supergraph.graphql").read_text()))
    body = json.loads((FEDBENCH / "body.json").read_text())
    first = gateway.plan(body["query"])
    second = gateway.plan(body["query"])
    assert first is second
    assert gateway.planner.misses == 1
