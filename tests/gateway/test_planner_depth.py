"""Plans as deep as the operation: no hop limit, only a cycle in keys ends planning.

The planner once gave up after twelve nested entity hops with "no path to ..." on valid
queries (fragments nested eight levels deep over our own graph). Nesting in an operation is
finite, so planning needs no depth limit; these tests plan deep operations over our
supergraph and over a composed one where every level is a hop to another subgraph.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import parse

from gateway.composition import SubgraphSource, compose
from gateway.planner import PlanningError, build_plan, select_operation
from gateway.supergraph import parse_supergraph
from tests.gateway.conformance.case import fed2

ROOT = Path(__file__).resolve().parents[2]


def _deep_fragments(levels: int) -> str:
    """``order`` then Order.account -> Account.cases -> Case.order ..., a fragment a level.

    Every level is two hops: Order.account is the ERP's (asked from the CRM's orders),
    Account.cases the CRM's (asked from the ERP's account).
    """
    fragments = []
    for i in range(levels):
        inner = f"...L{i + 1}" if i + 1 < levels else "number"
        fragments.append(
            f"fragment L{i} on Order "
            f"{{ id account {{ name cases {{ id order {{ id {inner} }} }} }} }}"
        )
    return 'query Deep { order(id: "1") { ...L0 } }\n' + "\n".join(fragments)


def test_fragments_nested_eight_levels_deep_over_our_graph_plan() -> None:
    supergraph = parse_supergraph((ROOT / "schema" / "supergraph.graphql").read_text())
    for levels in (8, 16):
        operation = select_operation(parse(_deep_fragments(levels)), None)
        plan = build_plan(supergraph, operation, {})
        services = [f.service for f in plan.fetches()]
        # The root fetch, then each level asks the CRM for the account's cases and the ERP
        # for their orders' accounts: the plan goes all the way down.
        assert services == ["erp"] + ["crm", "erp"] * levels


def _chain(length: int) -> str:
    """A supergraph where ``Node.next<i>`` lives in subgraph ``s<i>`` alone."""
    sources = [
        SubgraphSource(
            "root",
            "http://127.0.0.1:1/root",
            fed2('type Query { start: Node } type Node @key(fields: "id") { id: ID! }'),
        )
    ]
    for i in range(1, length + 1):
        sources.append(
            SubgraphSource(
                f"s{i}",
                f"http://127.0.0.1:1/s{i}",
                fed2(f'type Node @key(fields: "id") {{ id: ID! next{i}: Node label{i}: String }}'),
            )
        )
    return compose(sources)


def test_a_query_needing_thirty_hops_plans_one_fetch_per_hop() -> None:
    length = 30
    supergraph = parse_supergraph(_chain(length))
    query = "label1"
    for i in range(length, 0, -1):
        query = f"next{i} {{ id label{i} {query if i < length else ''} }}"
    operation = select_operation(parse("{ start { " + query + " } }"), None)
    plan = build_plan(supergraph, operation, {})
    services = [f.service for f in plan.fetches()]
    assert services[0] == "root"
    assert services[1 : length + 1] == [f"s{i}" for i in range(1, length + 1)]


def circular_keys() -> str:
    """A supergraph where ``{ t { x } }`` has no plan: every way to ``T.b`` needs ``T.b``.

    x is s1's, reached by key b; b is s2's (key c) and s3's (key b); c is s3's (key b), and
    the root has only key a.
    """
    return compose(
        [
            SubgraphSource(
                "r",
                "http://127.0.0.1:1/r",
                fed2('type Query { t: T } type T @key(fields: "a") { a: ID! }'),
            ),
            SubgraphSource(
                "s1",
                "http://127.0.0.1:1/s1",
                fed2('type T @key(fields: "b") { b: ID! @shareable x: String }'),
            ),
            SubgraphSource(
                "s2",
                "http://127.0.0.1:1/s2",
                fed2('type T @key(fields: "c") { c: ID! @shareable b: ID! @shareable }'),
            ),
            SubgraphSource(
                "s3",
                "http://127.0.0.1:1/s3",
                fed2('type T @key(fields: "b") { b: ID! @shareable c: ID! @shareable }'),
            ),
        ]
    )


def test_keys_that_lead_in_a_circle_are_a_planning_error_not_a_loop() -> None:
    supergraph = parse_supergraph(circular_keys())
    operation = select_operation(parse("{ t { x } }"), None)
    with pytest.raises(PlanningError, match=r"no path to T\.b from r") as raised:
        build_plan(supergraph, operation, {})
    assert raised.value.coordinate == "T.b"
