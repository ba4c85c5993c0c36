"""``@requires`` chains that go back and forth between two subgraphs (A -> B -> A -> B).

The subgraphs of the ``requires_chains`` conformance case; here, what each one was sent.

``Thing.top`` (B) requires ``mid(plus: 3)`` (A), which requires ``twice(times: 2)`` (B), which
requires ``base`` (A). Merging the second B field into the first B fetch would make that
fetch wait for itself ("fetch dependencies form a cycle"): each step is a fetch of its own,
run in order, with the client's variables where the client put them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from gateway import Gateway
from gateway.composition import SubgraphSource, compose
from gateway.supergraph import parse_supergraph
from tests.gateway.conformance.cases.requires_chains import build
from tests.gateway.subgraph_kit import Subgraph
from tests.support.servers import serve


@pytest.fixture(scope="module")
def running() -> Iterator[tuple[dict[str, Subgraph], str]]:
    subgraphs = build()
    with ExitStack() as stack:
        sources = [
            SubgraphSource(name, stack.enter_context(serve(s.app)) + "/graphql", s.sdl)
            for name, s in subgraphs.items()
        ]
        yield subgraphs, compose(sources)


async def _execute(
    running: tuple[dict[str, Subgraph], str], query: str, variables: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    subgraphs, supergraph = running
    for subgraph in subgraphs.values():
        subgraph.requests.clear()
    gateway = Gateway(parse_supergraph(supergraph))
    try:
        outcome = await gateway.execute({"query": query, "variables": variables})
    finally:
        await gateway.aclose()
    order = [name for name, s in subgraphs.items() for _ in s.requests]
    return dict(outcome.response), order


async def test_a_chain_back_and_forth_runs_each_step_after_the_one_it_needs(
    running: tuple[dict[str, Subgraph], str],
) -> None:
    response, sent = await _execute(
        running, "query Q($s: Int!) { things { id top(scale: $s) } }", {"s": 5}
    )
    # base 1: twice 2, mid 5, top 25; base 10: twice 20, mid 23, top 115.
    assert response == {"data": {"things": [{"id": "1", "top": 25}, {"id": "2", "top": 115}]}}
    assert sorted(sent) == ["a", "a", "b", "b"]


async def test_the_client_variable_reaches_the_last_step_only(
    running: tuple[dict[str, Subgraph], str],
) -> None:
    subgraphs, _ = running
    response, _ = await _execute(
        running, "query Q($s: Int!) { things { top(scale: $s) mid(plus: 100) } }", {"s": -1}
    )
    assert response == {"data": {"things": [{"top": -5, "mid": 102}, {"top": -23, "mid": 120}]}}
    with_variables = [r.get("variables") or {} for r in subgraphs["b"].requests]
    assert [v.get("s") for v in with_variables if "s" in v] == [-1]
