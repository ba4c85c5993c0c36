"""The hot path: a known document is neither parsed, validated nor planned again."""

from __future__ import annotations

import gc
import sys
import types
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


async def test_small_invalid_documents_are_cached_too() -> None:
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


def retained_bytes(root: object) -> int:
    """What ``root`` keeps alive: the sizes of every object reachable from it, once each."""
    seen: set[int] = set()
    stack = [root]
    total = 0
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, type | types.ModuleType | types.FunctionType):
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        stack.extend(gc.get_referents(obj))
    return total


def cached_bytes(gateway: Gateway) -> tuple[int, int]:
    """What the document cache and the plan cache hold, measured on their entries."""
    state = gateway.state
    return retained_bytes(state.documents.values()), retained_bytes(state.planner.cache.values())


def padded(n: int, comment_bytes: int) -> str:
    """A distinct small query behind ``comment_bytes`` of comments (which are not tokens)."""
    lines = comment_bytes // 82 + 1
    return ("# " + "x" * 80 + "\n") * lines + f"{{ users {{ id n{n}: name }} }}"


async def test_large_query_texts_are_not_cached() -> None:
    # The review's case: ~900 KB of comments pass ``max_tokens``; each text used to stay in
    # both caches (as key and as the parsed document's source), hundreds of MB in all.
    gateway = Gateway(parse_supergraph(entities.CASE.supergraph_path.read_text()))
    for n in range(20):
        query = padded(n, 900_000)
        for _ in range(2):
            assert gateway.plan(query).fetch_count == 1
    documents, plans = cached_bytes(gateway)
    assert documents + plans < 64_000
    assert gateway.stats.parses == 40  # not cached, so parsed every time
    await gateway.aclose()


async def test_many_distinct_queries_stay_within_the_byte_bounds() -> None:
    budget = 4 << 20
    gateway = Gateway(
        parse_supergraph(entities.CASE.supergraph_path.read_text()),
        document_cache_bytes=budget,
        plan_cache_bytes=budget,
    )
    for n in range(300):
        gateway.plan(padded(n, 20_000))
    state = gateway.state
    documents, plans = cached_bytes(gateway)
    # Entries were kept, and dropped by bytes (not by the 1024-entry count).
    assert 10 < len(state.documents) < 300
    assert documents <= budget
    assert plans <= budget
    # The caches' own estimate is not below what they really hold.
    assert state.documents.bytes >= documents
    assert state.planner.cache.bytes >= plans
    # Keys are digests, never the query text.
    assert all(len(key) == 32 for key in state.documents._entries)
    await gateway.aclose()


async def test_large_invalid_documents_are_not_cached() -> None:
    gateway = Gateway(parse_supergraph(entities.CASE.supergraph_path.read_text()))
    query = padded(0, 10_000).replace("users", "nope")
    for _ in range(3):
        outcome = await gateway.execute({"query": query})
        assert outcome.status == "invalid"
    assert gateway.stats.parses == 3
    assert len(gateway.state.documents) == 0
    await gateway.aclose()
