"""Cold query planning: how long the gateway takes to plan an operation it has not seen,
p50 and p99, for the distribution graph's README queries and fedbench's query.

Each measurement starts from empty caches: the gateway's state is replaced
(``Gateway.use``: a new planner with an empty plan cache, an empty document cache), then one
operation is timed twice over: planning alone (a fresh ``QueryPlanner`` and a fresh parse of
the operation, neither timed), and what a first request pays before any fetch (parse,
validate, limits, plan: ``Gateway.plan``). In one process, no HTTP, one operation at a time;
the figures are this machine's CPU, comparable between the rows of one run (on a shared
machine the p99 is mostly the neighbours)::

    .venv/bin/python -m bench.planning
    .venv/bin/python -m bench.planning --iterations 2000 --max-seconds 60

Each query is measured ``--iterations`` times after ``--warmup`` runs (Python's own caches
warm, not the gateway's), or for ``--max-seconds``, whichever ends first.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from graphql import parse

from gateway.engine import Gateway
from gateway.planner import Operation, QueryPlanner, select_operation
from gateway.supergraph import Supergraph, parse_supergraph
from schema import SUPERGRAPH_PATH

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[1]
FEDBENCH = Path(__file__).parent / "fedbench"
_GRAPHQL_BLOCK = re.compile(r"```graphql\n(.*?)```", re.DOTALL)


def readme_queries() -> list[tuple[str, str]]:
    """The README's GraphQL examples, named by their first field."""
    out = []
    for text in _GRAPHQL_BLOCK.findall((ROOT / "README.md").read_text()):
        kind = "mutation" if text.lstrip().startswith("mutation") else "query"
        field = re.search(r"\{\s*(\w+)", text)
        out.append((f"README {kind} {field.group(1) if field else ''}".strip(), text))
    return out


def _ms(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def measure(
    run: Callable[[], object],
    iterations: int,
    warmup: int,
    max_seconds: float,
    setup: Callable[[], object] = lambda: None,
) -> list[float]:
    """Seconds per call of ``run`` (``setup`` before each, not timed): ``iterations`` of them
    after ``warmup``, for ``max_seconds`` at most."""
    for _ in range(warmup):
        setup()
        run()
    out: list[float] = []
    deadline = time.perf_counter() + max_seconds
    while len(out) < iterations and time.perf_counter() < deadline:
        setup()
        started = time.perf_counter()
        run()
        out.append(time.perf_counter() - started)
    return out


def bench_query(
    supergraph: Supergraph, query: str, iterations: int, warmup: int, max_seconds: float
) -> tuple[list[float], list[float], int]:
    """Cold planning alone, cold parse-validate-plan, and the plan's fetch count."""
    gateway = Gateway(supergraph)
    if gateway.prepare(gateway.state, query, None).document is None:
        raise SystemExit(f"the query does not validate: {query[:200]}")
    fresh: list[tuple[QueryPlanner, Operation]] = []

    def fresh_planner() -> None:
        # A new parse too: nothing the operation derived once is reused.
        fresh[:] = [(QueryPlanner(supergraph), select_operation(parse(query), None))]

    def plan_only() -> object:
        planner, operation = fresh[0]
        return planner.plan(operation, {}, ("bench", 0))

    def empty_caches() -> None:
        gateway.use(supergraph)  # a new planner and document cache (and executor)

    def first_request() -> object:
        return gateway.plan(query)

    fresh_planner()
    fetches = fresh[0][0].plan(fresh[0][1], {}, None).fetch_count
    planning = measure(plan_only, iterations, warmup, max_seconds / 2, fresh_planner)
    whole = measure(first_request, iterations, warmup, max_seconds / 2, empty_caches)
    return planning, whole, fetches


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=1000, help="measurements per query")
    parser.add_argument("--warmup", type=int, default=50, help="runs before measuring")
    parser.add_argument(
        "--max-seconds", type=float, default=30.0, help="at most this long per query"
    )
    args = parser.parse_args(argv)

    distribution = parse_supergraph(SUPERGRAPH_PATH.read_text())
    fedbench = parse_supergraph((FEDBENCH / "supergraph.graphql").read_text())
    fedbench_query = json.loads((FEDBENCH / "body.json").read_text())["query"]
    cases = [(name, distribution, text) for name, text in readme_queries()]
    cases.append(("fedbench TestQuery", fedbench, fedbench_query))

    print(
        f"cold planning, up to {args.iterations} measurements per query after {args.warmup} "
        f"warm-up (at most {args.max_seconds:g} s per query), one process, no HTTP"
    )
    header = (
        f"{'query':<28} {'fetches':>7} {'n':>5} {'plan p50':>9} {'plan p99':>9} "
        f"{'first p50':>10} {'first p99':>10} {'first mean':>11}"
    )
    print(header)
    print("-" * len(header))
    for name, supergraph, query in cases:
        planning, whole, fetches = bench_query(
            supergraph, query, args.iterations, args.warmup, args.max_seconds
        )
        print(
            f"{name:<28} {fetches:>7} {len(planning):>5} {_ms(planning, 0.5):>9.2f} "
            f"{_ms(planning, 0.99):>9.2f} {_ms(whole, 0.5):>10.2f} {_ms(whole, 0.99):>10.2f} "
            f"{statistics.fmean(whole) * 1000:>11.2f}"
        )
    print("ms; plan: planning alone (fresh planner); first: parse + validate + plan, caches empty")


if __name__ == "__main__":
    main()
