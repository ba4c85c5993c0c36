"""What the cyclic collector's thresholds cost our gateway on fedbench.

    .venv/bin/python -m bench.gc_thresholds --runs 5 --duration 4 --thresholds 700,10,10 50000,20,10

The same gateway (``bench.serve_gateway``, start-up objects frozen) once per set of
thresholds (``CROSSDOCK_BENCH_GC_THRESHOLDS``), each
pinned to the gateway core, over the fedbench subgraphs (replaying known answers); loaded in
turn, the order alternating run by run, and printed side by side: requests/s, requests per
gateway CPU-second, p50/p99, subgraph calls per request and RSS, per run and the medians.
700,10,10 is CPython's default; ``crossdock.runner.GC_THRESHOLDS`` is what every served
process runs with. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from bench.gateway_vs_apollo import (
    ROOT,
    Target,
    add_dedup_argument,
    add_load_arguments,
    check_same_answers,
    dedup_environment,
    free_port,
    interleaved_runs,
    pinned,
    process,
    request_for,
    supergraph_for,
    wait_for_line,
    wait_until_answers,
)
from crossdock.runner import GC_THRESHOLDS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.gc_thresholds", description=__doc__)
    add_load_arguments(parser, concurrency=50)
    add_dedup_argument(parser)
    ours = ",".join(map(str, GC_THRESHOLDS))
    parser.add_argument(
        "--thresholds",
        nargs="+",
        default=["700,10,10", "20000,10,10", ours, "100000,50,100"],
        help="the sets of thresholds compared, each g0,g1,g2",
    )
    args = parser.parse_args(argv)
    gateway_cpu = None if args.no_pin else args.gateway_cpu
    load_cpu = None if args.no_pin else args.load_cpu
    if load_cpu is not None:
        os.sched_setaffinity(0, {load_cpu})
    python = sys.executable
    env = {**os.environ, "PYTHONPATH": str(ROOT), **dedup_environment(args.dedup)}
    env.pop("REDIS_URL", None)
    with ExitStack() as stack:
        serving = [python, "-m", "bench.serving", "fedbench", "--memoize"]
        upstream = stack.enter_context(process(pinned(load_cpu, serving), cwd=ROOT, env=env))
        urls: dict[str, str] = json.loads(wait_for_line(upstream, "{", timeout=300))["subgraphs"]
        supergraph = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "sg.graphql"
        supergraph.write_text(supergraph_for("fedbench", urls))
        targets = []
        for thresholds in args.thresholds:
            port = free_port()
            command = [python, "-m", "bench.serve_gateway", str(supergraph), str(port)]
            gateway_env = {**env, "CROSSDOCK_BENCH_GC_THRESHOLDS": thresholds}
            gateway = stack.enter_context(
                process(pinned(gateway_cpu, command), cwd=ROOT, env=gateway_env)
            )
            name = f"gc {thresholds}" + (
                " (CPython's)"
                if thresholds == "700,10,10"
                else " (ours)"
                if thresholds == ours
                else ""
            )
            targets.append(Target(name, f"http://127.0.0.1:{port}/graphql", gateway.pid))
        for target in targets:
            wait_until_answers(target.url.removesuffix("/graphql") + "/health")
        body, expected = request_for("fedbench")
        check_same_answers(targets, body, expected)
        print(
            f"fedbench; {args.runs} runs x {args.duration:g} s at concurrency {args.concurrency}"
            f", dedup {args.dedup}; gateways on cpu {gateway_cpu}, load and subgraphs on cpu"
            f" {load_cpu}; subgraphs replay known answers"
        )
        interleaved_runs(targets, body, urls, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
