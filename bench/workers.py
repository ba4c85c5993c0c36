"""``crossdock gateway --workers N`` against one worker: same subgraphs, same load, side by side.

    .venv/bin/python -m bench.workers --runs 3 --duration 8 --concurrency 50
    .venv/bin/python -m bench.workers --workers 4 --graph distribution

Starts the upstream subgraphs (``bench.serving``, replaying known answers unless
``--no-memoize``), then the gateway twice as a user runs it, ``crossdock gateway
--supergraph FILE --workers 1`` and ``--workers N``, both kept running, and loads each in
turn (the order alternating between runs) from this process with a lean HTTP/1.1 client
(``bench.loadgen.run_lean_load``). Prints requests/s and requests per CPU-second, the CPU
summed over the gateway's processes (the supervisor and every worker, from ``/proc``), how
that CPU was split between the workers, and the cores the subgraphs and the load generator
used meanwhile. Nothing is pinned: the workers, the load generator
and the subgraphs share the machine's cores, as they would on one host. A benchmark, not a
test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from bench.gateway_vs_apollo import (
    ROOT,
    check_same_answers,
    dedup_environment,
    free_port,
    process,
    request_for,
    supergraph_for,
    wait_for_line,
    wait_until_answers,
)
from bench.gateway_vs_apollo import Target as _Target
from bench.loadgen import LoadResult, run_lean_load
from bench.procstats import cpu_seconds, rss_kib


@dataclass(frozen=True)
class Gateway:
    name: str
    url: str
    pid: int  # the supervisor's, or the one process's with --workers 1

    def processes(self) -> list[int]:
        """The gateway's processes now: this one and its children (the workers)."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        return [self.pid, *(int(pid) for pid in children)]


@dataclass(frozen=True)
class Sample:
    load: LoadResult
    cpu_seconds: float
    worker_shares: list[float]  # each worker's part of the CPU, largest first
    rss_mib: float
    # Cores the subgraphs' process and this load generator kept busy meanwhile: when either
    # nears a whole core, it, not the gateway, is what limits the figure.
    upstream_cores: float
    load_cores: float

    @property
    def requests_per_cpu_second(self) -> float:
        return self.load.requests / self.cpu_seconds if self.cpu_seconds else float("nan")


def _cpu(pids: list[int]) -> dict[int, float]:
    return {pid: cpu_seconds(pid) for pid in pids}


def measure(gateway: Gateway, upstream: int, body: bytes, args: argparse.Namespace) -> Sample:
    def load(seconds: float) -> LoadResult:
        return asyncio.run(
            run_lean_load(
                gateway.url,
                body,
                concurrency=args.concurrency,
                seconds=seconds,
                max_requests=args.max_requests,
            )
        )

    load(args.warmup)
    pids = gateway.processes()
    others = [upstream, os.getpid()]
    before = _cpu(pids + others)
    result = load(args.duration)
    after = _cpu(pids + others)
    used = {pid: after[pid] - before[pid] for pid in pids + others}
    upstream_cores, load_cores = (used.pop(pid) / result.seconds for pid in others)
    total = sum(used.values())
    workers = [used[pid] for pid in pids[1:]] or [used[gateway.pid]]
    shares = sorted((w / total if total else 0.0 for w in workers), reverse=True)
    rss = sum(rss_kib(pid) for pid in pids) / 1024
    return Sample(result, total, shares, rss, upstream_cores, load_cores)


def table(title: str, rows: dict[str, list[Sample]], baseline: str) -> str:
    lines = [
        title,
        f"  {'gateway':<24}{'requests/s':>12}{'vs 1':>8}{'req/CPU-s':>11}{'CPU cores':>10}"
        f"{'p50 ms':>9}{'p99 ms':>9}{'RSS MiB':>9}{'failures':>10}{'subgraphs':>10}{'load':>6}"
        "  CPU split",
    ]
    base = statistics.median(s.load.rps for s in rows[baseline])
    for name, samples in rows.items():
        rps = statistics.median(s.load.rps for s in samples)
        per_cpu = statistics.median(s.requests_per_cpu_second for s in samples)
        cores = statistics.median(s.cpu_seconds / s.load.seconds for s in samples)
        p50 = statistics.median(s.load.p50_ms for s in samples)
        p99 = statistics.median(s.load.p99_ms for s in samples)
        rss = statistics.median(s.rss_mib for s in samples)
        failures = sum(s.load.failures for s in samples)
        split = "/".join(f"{share:.0%}" for share in samples[-1].worker_shares)
        upstream = statistics.median(s.upstream_cores for s in samples)
        load = statistics.median(s.load_cores for s in samples)
        lines.append(
            f"  {name:<24}{rps:>12.1f}{rps / base if base else 0:>7.2f}x{per_cpu:>11.1f}"
            f"{cores:>10.2f}{p50:>9.1f}{p99:>9.1f}{rss:>9.0f}{failures:>10}{upstream:>10.2f}"
            f"{load:>6.2f}  {split}"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.workers", description=__doc__)
    parser.add_argument("--graph", choices=["fedbench", "distribution"], default="fedbench")
    parser.add_argument("--workers", type=int, default=2, help="compared with 1 worker")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds of load per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before each run")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--max-requests", type=int, default=1_000_000, help="cap per run")
    parser.add_argument(
        "--dedup",
        choices=["on", "off"],
        default="off",
        help="identical queries and fetches in flight shared (the default of crossdock "
        "gateway); off by default here, since sharing one load's identical requests leaves "
        "the gateway idle and measures the load generator",
    )
    parser.add_argument(
        "--no-memoize",
        action="store_true",
        help="let subgraphs execute every call (by default they replay a known answer)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    python = sys.executable
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("REDIS_URL", None)
    # As bench.serve_gateway serves it: no supergraph reloading, no GraphiQL.
    gateway_env = {
        **env,
        "CROSSDOCK_GATEWAY__RELOAD_INTERVAL": "0",
        "CROSSDOCK_GATEWAY__GRAPHIQL": "false",
        **dedup_environment(args.dedup),
    }
    with ExitStack() as stack:
        serving = [python, "-m", "bench.serving", args.graph]
        if not args.no_memoize:
            serving.append("--memoize")
        upstream = stack.enter_context(process(serving, cwd=ROOT, env=env))
        urls: dict[str, str] = json.loads(wait_for_line(upstream, "{", timeout=300))["subgraphs"]
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        supergraph = folder / "supergraph.graphql"
        supergraph.write_text(supergraph_for(args.graph, urls))

        gateways = []
        for count in (1, args.workers):
            port = free_port()
            command = [python, "-m", "crossdock.cli", "gateway", "--supergraph", str(supergraph)]
            command += ["--port", str(port), "--workers", str(count)]
            proc = stack.enter_context(process(command, cwd=ROOT, env=gateway_env))
            wait_for_line(proc, "gateway on", timeout=120)
            name = f"{count} worker{'s' if count > 1 else ''}"
            gateways.append(Gateway(name, f"http://127.0.0.1:{port}/graphql", proc.pid))
        for gateway in gateways:
            wait_until_answers(gateway.url.removesuffix("/graphql") + "/health")
        body, expected = request_for(args.graph)
        check_same_answers([_Target(g.name, g.url, g.pid) for g in gateways], body, expected)
        print(
            f"graph {args.graph}; {args.runs} runs x {args.duration:g} s at concurrency "
            f"{args.concurrency} (+{args.warmup:g} s warm-up), dedup {args.dedup}; "
            f"{os.cpu_count()} cores shared by "
            "the gateway, the load generator and the subgraphs (nothing pinned); subgraphs "
            + ("execute every call" if args.no_memoize else "replay known answers")
        )
        samples: dict[str, list[Sample]] = {g.name: [] for g in gateways}
        for run in range(args.runs):
            order = gateways if run % 2 == 0 else gateways[::-1]
            for gateway in order:
                samples[gateway.name].append(measure(gateway, upstream.pid, body, args))
            latest = {n: [s[-1]] for n, s in samples.items()}
            print(table(f"run {run + 1}/{args.runs}", latest, gateways[0].name))
        print(table(f"median of {args.runs} runs", samples, gateways[0].name))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
