"""The hot path: a known document is neither parsed, validated nor planned again."""

from __future__ import annotations

from collections.abc import Callable

from gateway import Gateway
from gateway.engine import GatewayStats
from gateway.supergraph import parse_supergraph
from tests.gateway.conformance.cases import entities
from tests.gateway.conftest import Running

QUERY = """query Members($withName: Boolean!) {
  orgs { name members { id name @include(if: $withName) } }
}"""


async def test_repeats_of_one_query_parse_and_plan_once(run_case: Callable[..., Running]) -> None:
    _, urls = run_case(entities.CASE)
    gateway = Gateway(parse_supergraph(entities.CASE.supergraph_path.read_text()).with_urls(urls))
    try:
        for _ in range(100):
            outcome = await gateway.execute({"query": QUERY, "variables": {"withName": True}})
            assert outcome.status == "ok"
            assert "errors" not in outcome.response
    finally:
        await gateway.aclose()
    assert gateway.stats == GatewayStats(
        requests=100,
        parses=1,
        validations=1,
        document_cache_hits=99,
        plans_built=1,
        plan_cache_hits=99,
    )
    assert gateway.planner.misses == 1


async def test_other_condition_values_build_another_plan_but_no_parse() -> None:
    gateway = Gateway(parse_supergraph(entities.CASE.supergraph_path.read_text()))
    for with_name in (True, False, True, False):
        gateway.plan(QUERY, variables={"withName": with_name})
    assert (gateway.stats.parses, gateway.stats.plans_built, gateway.stats.plan_cache_hits) == (
        1,
        2,
        2,
    )
    await gateway.aclose()


async def test_invalid_documents_are_cached_too() -> None:
    gateway = Gateway(parse_supergraph(entities.CASE.supergraph_path.read_text()))
    for _ in range(10):
        outcome = await gateway.execute({"query": "{ orgs { nope } }"})
        assert outcome.status == "invalid"
    assert (gateway.stats.parses, gateway.stats.validations, gateway.stats.plans_built) == (
        1,
        1,
        0,
    )
    await gateway.aclose()


async def test_a_new_supergraph_starts_with_empty_caches() -> None:
    supergraph = parse_supergraph(entities.CASE.supergraph_path.read_text())
    gateway = Gateway(supergraph)
    gateway.plan(QUERY, variables={"withName": True})
    gateway.use(supergraph)
    gateway.plan(QUERY, variables={"withName": True})
    assert (gateway.stats.parses, gateway.stats.plans_built) == (2, 2)
    await gateway.aclose()
