"""The conformance suite: every case's queries through the gateway, answers and fetch counts."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from gateway import Gateway
from gateway.supergraph import parse_supergraph
from tests.gateway.conformance.case import Case, Query
from tests.gateway.conformance.cases import ALL_CASES
from tests.gateway.conftest import Running

PARAMS = [
    pytest.param(case, query, id=f"{case.name}: {query.name}")
    for case in ALL_CASES
    for query in case.queries
]


@pytest.mark.parametrize(("case", "query"), PARAMS)
async def test_case(case: Case, query: Query, run_case: Callable[[Case], Running]) -> None:
    subgraphs, urls = run_case(case)
    supergraph = parse_supergraph(case.supergraph_path.read_text()).with_urls(urls)
    gateway = Gateway(supergraph)
    try:
        codes = {e.get("extensions", {}).get("code") for e in query.expected.get("errors", ())}
        # Refused at validation (no "data") or at planning: no plan, no subgraph called.
        valid = "data" in query.expected and "QUERY_PLANNING_FAILED" not in codes
        plan = gateway.plan(query.query, query.operation_name, query.variables) if valid else None
        outcome = await gateway.execute(
            {
                "query": query.query,
                "variables": query.variables,
                "operationName": query.operation_name,
            }
        )
    finally:
        await gateway.aclose()
    assert json.dumps(outcome.response, indent=1) == json.dumps(query.expected, indent=1)
    sent = sum(len(s.requests) for s in subgraphs.values())
    planned = plan.fetch_count if plan is not None else 0
    assert (planned, sent) == (query.fetches, query.fetches), plan and plan.pretty()
