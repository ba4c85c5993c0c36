"""Demand control's decisions: enforce and measure, Apollo's error shapes, metrics, caching."""

from __future__ import annotations

import logging

import pytest
from graphql import parse

from gateway.demand import DemandControl, DemandSettings
from gateway.demand._estimate import compile_operation
from gateway.planner import Operation, select_operation
from gateway.wire import GraphQLResponse
from tests.gateway.demand.costing import cost_fixture, shapes

FRIENDS = "{ people { friends { name } } }"  # 10 * (1 + 10) = 110


def operation(query: str) -> Operation:
    return select_operation(parse(query), None)


def test_enforce_refuses_over_the_maximum_as_apollo_router_does() -> None:
    control = DemandControl(DemandSettings(max=100))
    check = control.check(shapes(), operation(FRIENDS), {})
    assert check.estimated == 110
    assert check.errors == [
        {
            "message": "query estimated cost 110 exceeded configured maximum 100",
            "extensions": {
                "cost.estimated": 110.0,
                "cost.max": 100.0,
                "code": "COST_ESTIMATED_TOO_EXPENSIVE",
            },
        }
    ]
    assert control.metrics.results == {"COST_ESTIMATED_TOO_EXPENSIVE": 1}
    assert control.metrics.refused == {"COST_ESTIMATED_TOO_EXPENSIVE": 1}


def test_at_the_maximum_is_admitted() -> None:
    control = DemandControl(DemandSettings(max=110))
    assert control.check(shapes(), operation(FRIENDS), {}).errors is None
    assert control.metrics.results == {"COST_OK": 1}


def test_measure_mode_logs_and_counts_but_never_refuses(caplog: pytest.LogCaptureFixture) -> None:
    control = DemandControl(DemandSettings(mode="measure", max=100))
    with caplog.at_level(logging.INFO, logger="gateway.demand"):
        check = control.check(shapes(), operation(FRIENDS), {})
    assert check.errors is None and check.estimated == 110
    assert "estimated cost 110 is over the maximum 100 (measure mode: ran)" in caplog.text
    assert control.metrics.results == {"COST_ESTIMATED_TOO_EXPENSIVE": 1}
    assert control.metrics.refused == {}


def test_off_costs_nothing() -> None:
    control = DemandControl(DemandSettings(enabled=False, max=0))
    check = control.check(shapes(), operation(FRIENDS), {})
    assert check.errors is None and check.estimated is None
    assert control.metrics.estimated.count == 0


def test_an_operation_that_cannot_be_costed() -> None:
    query = operation('{ search(input: {text: "x"}) { id } }')  # its required limit left out
    enforced = DemandControl().check(cost_fixture(), query, {})
    assert enforced.errors == [
        {
            "message": "Query could not be parsed: Exactly one slicing argument is required, "
            "but found 0",
            "extensions": {"code": "COST_QUERY_PARSE_FAILURE"},
        }
    ]
    measured = DemandControl(DemandSettings(mode="measure")).check(cost_fixture(), query, {})
    assert measured.errors is None


def test_an_operation_is_compiled_once_and_evaluated_per_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    compiled = []

    def counting(*args: object, **kwargs: object) -> object:
        compiled.append(1)
        return compile_operation(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("gateway.demand._control.compile_operation", counting)
    control = DemandControl(DemandSettings(max=1000))
    paged = operation("query($n: Int) { page(first: $n) { items { name } } }")
    estimates = [control.check(shapes(), paged, {"n": n}).estimated for n in (1, 5, 50)]
    assert estimates == [2, 6, 51]
    assert len(compiled) == 1


def test_actual_over_its_maximum_is_withheld_in_enforce_mode() -> None:
    control = DemandControl(DemandSettings(actual_max=2))
    query = operation("{ people { name } }")
    small: GraphQLResponse = {"data": {"people": [{"name": "a"}]}}
    assert control.settle(shapes(), query, {}, small) == (small, False)
    large: GraphQLResponse = {"data": {"people": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}}
    assert control.settle(shapes(), query, {}, large) == (
        {
            "errors": [
                {
                    "message": "Query actual cost 3 exceeded configured maximum 2",
                    "extensions": {
                        "cost.actual": 3.0,
                        "cost.max": 2.0,
                        "code": "COST_ACTUAL_TOO_EXPENSIVE",
                    },
                }
            ]
        },
        True,
    )
    assert control.metrics.refused == {"COST_ACTUAL_TOO_EXPENSIVE": 1}
    assert (control.metrics.actual.count, control.metrics.actual.total) == (2, 4)


def test_actual_over_its_maximum_is_answered_in_measure_mode() -> None:
    control = DemandControl(DemandSettings(mode="measure", actual_max=2))
    large: GraphQLResponse = {"data": {"people": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}}
    response, withheld = control.settle(shapes(), operation("{ people { name } }"), {}, large)
    assert (response, withheld) == (large, False)
    assert control.metrics.results == {"COST_ACTUAL_TOO_EXPENSIVE": 1}


def test_metrics_in_prometheus_text() -> None:
    control = DemandControl(DemandSettings(max=100))
    control.check(shapes(), operation("{ me { name } }"), {})  # 1
    control.check(shapes(), operation(FRIENDS), {})  # 110, refused
    lines = control.metrics.prometheus_lines()
    assert "# TYPE crossdock_gateway_cost_estimated histogram" in lines
    # Cumulative buckets: 1 is under 10 and everything above; 110 under 1000 and above.
    assert 'crossdock_gateway_cost_estimated_bucket{le="0"} 0' in lines
    assert 'crossdock_gateway_cost_estimated_bucket{le="10"} 1' in lines
    assert 'crossdock_gateway_cost_estimated_bucket{le="100"} 1' in lines
    assert 'crossdock_gateway_cost_estimated_bucket{le="1000"} 2' in lines
    assert 'crossdock_gateway_cost_estimated_bucket{le="+Inf"} 2' in lines
    assert "crossdock_gateway_cost_estimated_sum 111" in lines
    assert "crossdock_gateway_cost_estimated_count 2" in lines
    assert 'crossdock_gateway_cost_results_total{result="COST_OK"} 1' in lines
    assert 'crossdock_gateway_cost_refused_total{code="COST_ESTIMATED_TOO_EXPENSIVE"} 1' in lines
