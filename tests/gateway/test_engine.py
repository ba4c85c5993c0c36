"""The engine without HTTP: mutations refused over GET, plan cache keys, introspection."""

from __future__ import annotations

from collections.abc import Callable

from gateway import Gateway
from gateway.supergraph import parse_supergraph
from tests.gateway.conformance.cases import mutations, operations
from tests.gateway.conftest import Running


async def test_mutation_not_allowed_when_asked(run_case: Callable[..., Running]) -> None:
    subgraphs, urls = run_case(mutations.CASE)
    supergraph = parse_supergraph(mutations.CASE.supergraph_path.read_text()).with_urls(urls)
    gateway = Gateway(supergraph)
    try:
        outcome = await gateway.execute({"query": "mutation { reset }"}, allow_mutations=False)
    finally:
        await gateway.aclose()
    assert outcome.status == "not_allowed"
    assert not subgraphs["first"].requests


def test_plans_are_cached_per_skip_include_values() -> None:
    supergraph = parse_supergraph(operations.CASE.supergraph_path.read_text())
    gateway = Gateway(supergraph)
    query = operations.CASE.queries[0].query
    without = gateway.plan(query, variables={"withEstimate": False})
    again = gateway.plan(query, variables={"withEstimate": False, "skipDims": True})
    with_estimate = gateway.plan(query, variables={"withEstimate": True})
    assert without is again
    assert (without.fetch_count, with_estimate.fetch_count) == (1, 2)
    assert gateway.planner.misses == 2
