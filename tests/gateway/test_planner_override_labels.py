"""Progressive ``@override`` labels: which subgraph the planner sends a field to."""

from __future__ import annotations

import pytest
from graphql import parse

from gateway.planner import build_plan, select_operation
from gateway.supergraph import label_enabled, parse_supergraph
from tests.gateway.conformance.cases.override_labels import CASE


@pytest.mark.parametrize(
    ("label", "enabled", "on"),
    [
        ("percent(100)", (), True),
        ("percent(99.9)", (), False),
        ("percent(0)", (), False),
        ("beta-tax", (), False),
        ("beta-tax", ("beta-tax",), True),
        ("percent(20)", ("percent(20)",), True),
    ],
)
def test_label_enabled(label: str, enabled: tuple[str, ...], on: bool) -> None:
    assert label_enabled(label, frozenset(enabled)) is on


@pytest.mark.parametrize(
    ("labels", "services"),
    [((), ["old"]), (("beta-tax",), ["old", "new"])],
)
def test_an_enabled_label_moves_the_field(labels: tuple[str, ...], services: list[str]) -> None:
    supergraph = parse_supergraph(CASE.supergraph_path.read_text(), override_labels=labels)
    operation = select_operation(parse("{ products { name tax } }"), None)
    plan = build_plan(supergraph, operation, {})
    assert [fetch.service for fetch in plan.fetches()] == services
