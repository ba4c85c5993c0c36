"""Building fedbench's response, in one process: ``python -m bench.response_build``.

Times what the gateway does once a plan's fetches are merged: shaping the merged data into
the client's response (``shape_response``) and demand control's actual cost, measured
either by a walk of its own over the shaped response (``actual_cost``, as before) or while
shaping (``ActualMeter``, one walk). The merged data is fedbench's answer
(``fedbench/expected.json``), which holds every field the operation selects. Medians of
``--rounds`` interleaved rounds of ``--iterations`` each, in microseconds of CPU time per
response.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from graphql import parse

from bench.fedbench_subgraphs import FEDBENCH
from gateway.demand import DemandControl
from gateway.executor import hidden_enums, shape_response
from gateway.planner import select_operation
from gateway.supergraph import parse_supergraph


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.response_build", description=__doc__)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    supergraph = parse_supergraph((FEDBENCH / "supergraph.graphql").read_text())
    body = json.loads((FEDBENCH / "body.json").read_text())
    data = json.loads((FEDBENCH / "expected.json").read_text())["data"]
    variables = body.get("variables") or {}
    operation = select_operation(parse(body["query"]), body.get("operationName"))
    control = DemandControl()
    api = supergraph.api_schema
    hidden = hidden_enums(api, supergraph.schema)

    def shape() -> dict[str, Any] | None:
        return shape_response(api, operation, variables, data, [], hidden=hidden)

    def shape_then_walk() -> object:
        shaped = shape()
        return control.actual(supergraph, operation, shaped, variables)

    def shape_metered() -> object:
        meter = control.meter(supergraph, operation, variables)
        shape_response(api, operation, variables, data, [], hidden=hidden, meter=meter)
        assert meter is not None
        return meter.measured

    assert shape_then_walk() == shape_metered(), "the two measures disagree"
    cases: dict[str, Callable[[], object]] = {
        "shape only": shape,
        "shape, then walk for the cost": shape_then_walk,
        "shape measuring the cost": shape_metered,
    }
    for work in cases.values():
        for _ in range(20):
            work()
    rounds: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.rounds):  # interleaved, each timed in CPU time (a shared machine)
        for name, work in cases.items():
            started = time.process_time()
            for _ in range(args.iterations):
                work()
            rounds[name].append((time.process_time() - started) / args.iterations * 1e6)
    medians = {name: statistics.median(times) for name, times in rounds.items()}
    print(f"fedbench response, actual cost {shape_metered()}; microseconds per response:")
    for name, median in medians.items():
        print(f"  {name:32} {median:8.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
