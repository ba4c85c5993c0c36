"""Fixtures of the gateway tests: test subgraphs served on loopback, gateways over them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from tests.gateway.conformance.case import Case
from tests.gateway.subgraph_kit import Subgraph
from tests.support.servers import serve

Running = tuple[dict[str, Subgraph], dict[str, str]]


@pytest.fixture(scope="session")
def run_subgraphs() -> Iterator[Callable[[str, Callable[[], dict[str, Subgraph]]], Running]]:
    """Start a named set of subgraphs once per session; return them and their URLs."""
    started: dict[str, Running] = {}
    with ExitStack() as stack:

        def run(name: str, build: Callable[[], dict[str, Subgraph]]) -> Running:
            if name not in started:
                subgraphs = build()
                urls = {
                    n: stack.enter_context(serve(s.app)) + "/graphql" for n, s in subgraphs.items()
                }
                started[name] = (subgraphs, urls)
            subgraphs, urls = started[name]
            for subgraph in subgraphs.values():
                subgraph.requests.clear()
                subgraph.down = False
            return subgraphs, urls

        yield run


@pytest.fixture
def run_case(
    run_subgraphs: Callable[[str, Callable[[], dict[str, Subgraph]]], Running],
) -> Callable[[Case], Running]:
    def run(case: Case) -> Running:
        return run_subgraphs(case.name, case.build)

    return run


def supergraph_with_urls(source: str, urls: dict[str, str]) -> str:
    """A copy of supergraph SDL whose ``join__graph`` URLs point at ``urls`` (by name)."""

    def replace(match: re.Match[str]) -> str:
        name = match["name"]
        return f'@join__graph(name: "{name}", url: "{urls.get(name, match["url"])}")'

    return _JOIN_GRAPH.sub(replace, source)


_JOIN_GRAPH = re.compile(r'@join__graph\(name: "(?P<name>[^"]+)", url: "(?P<url>[^"]*)"\)')
