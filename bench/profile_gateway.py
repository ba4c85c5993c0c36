"""Where our gateway's CPU goes on fedbench: ``python -m bench.profile_gateway``.

Starts the fedbench subgraphs (``bench.serving``, memoized), serves the gateway as
``bench.serve_gateway`` does but under :mod:`cProfile`, loads it
(``bench.loadgen.run_lean_load``, closed loop, ``--concurrency`` clients for ``--duration`` s
after a warm-up), stops it with SIGTERM (the profile is written when it has shut down) and
prints the functions that took the most time. ``--dedup on|off`` shares identical queries
and fetches in flight, or not.

cProfile roughly doubles the cost of each Python call, so read shares, not absolute times.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from bench.gateway_vs_apollo import (
    ROOT,
    dedup_environment,
    free_port,
    pinned,
    process,
    request_for,
    supergraph_for,
    wait_for_line,
    wait_until_answers,
)
from bench.loadgen import drive, run_lean_load


def serve_profiled(argv: list[str]) -> None:
    """``PROFILE SUPERGRAPH PORT``: the gateway under cProfile, dumped when it stops."""
    from bench import serve_gateway

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        serve_gateway.main(argv[1:])
    finally:
        profiler.disable()
        profiler.dump_stats(argv[0])


def serve_gc_timed(argv: list[str]) -> None:
    """``OUT SUPERGRAPH PORT``: the gateway with its cyclic-GC pauses timed (no profiler),
    written to OUT as JSON when it stops: per generation, collections, total and worst ms."""
    import gc
    import time

    from bench import serve_gateway

    # Per generation, each collection's CPU ms (the wall time may include a neighbour's turn).
    pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
    started = [0.0]

    def timed(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.thread_time()
        else:
            pauses[info["generation"]].append((time.thread_time() - started[0]) * 1000)

    gc.callbacks.append(timed)
    try:
        serve_gateway.main(argv[1:])
    finally:
        gc.callbacks.remove(timed)
        report = {"pauses": pauses, "cpu_seconds": time.process_time()}
        Path(argv[0]).write_text(json.dumps({**report, "thresholds": gc.get_threshold()}))


def print_gc(out: Path) -> None:
    report = json.loads(out.read_text())
    cpu_ms = report["cpu_seconds"] * 1000
    print(f"gc thresholds {report['thresholds']}; the gateway used {cpu_ms:.0f} ms of CPU")
    for generation, pauses in report["pauses"].items():
        if pauses:
            total = sum(pauses)
            print(
                f"gc generation {generation}: {len(pauses)} collections, {total:.0f} ms in all "
                f"({total / cpu_ms:.1%} of the gateway's CPU), worst {max(pauses):.1f} ms of CPU"
            )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_gateway", description=__doc__)
    parser.add_argument("--dedup", choices=["on", "off"], default="on")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--top", type=int, default=40, help="functions printed")
    parser.add_argument("--sort", default="tottime", help="pstats sort key")
    parser.add_argument("--out", type=Path, help="keep the profile in this file")
    parser.add_argument("--callers", help="also print the callers of functions matching this")
    parser.add_argument(
        "--gc",
        action="store_true",
        help="no profiler: time the gateway's garbage-collector pauses instead",
    )
    parser.add_argument("--gateway-cpu", type=int, default=1)
    parser.add_argument("--load-cpu", type=int, default=0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.sched_setaffinity(0, {args.load_cpu})
    python = sys.executable
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    body, _ = request_for("fedbench")
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        serving = [python, "-m", "bench.serving", "fedbench", "--memoize"]
        upstream = stack.enter_context(process(pinned(args.load_cpu, serving), cwd=ROOT, env=env))
        urls = json.loads(wait_for_line(upstream, "{", timeout=300))["subgraphs"]
        supergraph = folder / "supergraph.graphql"
        supergraph.write_text(supergraph_for("fedbench", urls))
        out = args.out or folder / "gateway.prof"
        port = free_port()
        mode = "--serve-gc" if args.gc else "--serve"
        command = [python, "-m", "bench.profile_gateway", mode, str(out), str(supergraph)]
        gateway = stack.enter_context(
            process(
                pinned(args.gateway_cpu, [*command, str(port)]),
                cwd=ROOT,
                env={**env, **dedup_environment(args.dedup)},
            )
        )
        url = f"http://127.0.0.1:{port}/graphql"
        wait_until_answers(f"http://127.0.0.1:{port}/health")
        for seconds in (args.warmup, args.duration):
            load = drive(
                run_lean_load(
                    url, body, concurrency=args.concurrency, seconds=seconds, max_requests=10**7
                )
            )
        print(
            f"{load.requests} requests ({load.rps:.0f}/s"
            + ("" if args.gc else " under the profiler")
            + f", p50 {load.p50_ms:.0f} ms, p99 {load.p99_ms:.0f} ms), "
            f"{load.failures} failed"
        )
        gateway.terminate()
        gateway.wait(timeout=60)
        if args.gc:
            print_gc(out)
            return 0
        stats = pstats.Stats(str(out))
        stats.sort_stats(args.sort).print_stats(args.top)
        if args.callers:
            stats.print_callers(args.callers)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve_profiled(sys.argv[2:])
    elif sys.argv[1:2] == ["--serve-gc"]:
        serve_gc_timed(sys.argv[2:])
    else:
        raise SystemExit(main())
