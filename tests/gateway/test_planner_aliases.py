"""Fields the planner adds (keys, ``@requires``) never take a response key the client uses."""

from __future__ import annotations

from graphql import parse

from gateway.planner import build_plan, select_operation
from gateway.supergraph import parse_supergraph
from tests.gateway.conformance.cases.entities import CASE as ENTITIES


def test_reused_keys_are_the_client_aliases_and_argument_fields() -> None:
    operation = select_operation(
        parse(
            '{ a { id: name weight(unit: "g") same: same plain } ...F } fragment F on Q { x: y }'
        ),
        None,
    )
    assert operation.reused_keys() == frozenset({"id", "weight", "x"})


def test_a_key_added_under_a_client_alias_gets_its_own_alias() -> None:
    supergraph = parse_supergraph(ENTITIES.supergraph_path.read_text())
    operation = select_operation(parse("{ users { email: name account { balance } } }"), None)
    first = build_plan(supergraph, operation, {}).fetches()[0]
    assert first.operation.startswith("{users{email:name __typename _email_")
