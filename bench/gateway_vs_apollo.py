"""Our gateway against @apollo/gateway: same subgraphs, same supergraph, same load.

    .venv/bin/python -m bench.gateway_vs_apollo --runs 3 --duration 10 --concurrency 32
    .venv/bin/python -m bench.gateway_vs_apollo --graph distribution
    .venv/bin/python -m bench.gateway_vs_apollo --dedup both   # ours with sharing on and off
    .venv/bin/python -m bench.gateway_vs_apollo --no-apollo --dedup off \
        --executions-in-flight 0,48 --concurrency 50,200   # caps x loads, interleaved

Starts the upstream subgraphs (``bench.serving``, pinned with the load generator to one core),
our gateway (uvicorn, one process) and @apollo/gateway (Node, installed with npm into
``--peers-dir`` outside the repository), each gateway pinned to the same other core. Checks
that both answer the benchmark query identically (and, for fedbench, as ``expected.json``),
then loads each in turn and prints requests/s, p50/p99 latency and subgraph calls per request,
per run and the median over runs. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.fedbench_subgraphs import FEDBENCH
from bench.loadgen import LoadResult, drive, run_lean_load, run_load
from bench.procstats import cpu_seconds, rss_kib, waiting_seconds

ROOT = Path(__file__).resolve().parents[1]
APOLLO_SCRIPT = Path(__file__).resolve().parent / "apollo_gateway.mjs"
APOLLO_PACKAGES = ["@apollo/gateway", "@apollo/server", "graphql"]
HIVE_SCRIPT = Path(__file__).resolve().parent / "hive_gateway.mjs"
HIVE_PACKAGES = [
    "@graphql-hive/gateway-runtime",
    "@graphql-hive/router-runtime",
    "@graphql-mesh/transport-http",
    "graphql",
]


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    # The gateway's process: its CPU seconds and memory are read from /proc.
    pid: int


@dataclass(frozen=True)
class Sample:
    load: LoadResult
    subgraph_calls: int
    # CPU seconds the gateway process used during the load, and its RSS after it.
    cpu_seconds: float
    rss_mib: float
    # Seconds the gateway was runnable but another process had its core (a shared machine).
    waiting_seconds: float = 0.0

    @property
    def requests_per_cpu_second(self) -> float:
        return self.load.requests / self.cpu_seconds if self.cpu_seconds else float("nan")

    @property
    def calls_per_request(self) -> float:
        return self.subgraph_calls / self.load.requests if self.load.requests else float("nan")


_HANDED_OUT: set[int] = set()


def _ephemeral_low() -> int:
    """The first port the kernel hands out to outgoing connections (their local ports)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A port nothing listens on, never one this run handed out already (the processes
    given them may not have bound them yet), and below the kernel's ephemeral range: on a
    machine where other load generators open thousands of connections, a port the kernel
    gave out (``bind(0)``) was often some connection's local port again before the gateway
    could bind it ("Address already in use")."""
    high = _ephemeral_low()
    while True:
        port = random.randrange(10_000, high)
        if port in _HANDED_OUT:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port


def pinned(cpu: int | None, command: list[str]) -> list[str]:
    return ["taskset", "-c", str(cpu), *command] if cpu is not None else command


def wait_for_line(proc: subprocess.Popen[str], prefix: str, timeout: float) -> str:
    """The first stdout line starting with ``prefix``; fail if the process ends first."""
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith(prefix):
            return line
        if not line and proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode} before it was up")
    raise TimeoutError(f"{proc.args!r} did not print {prefix!r} in {timeout}s")


def wait_until_answers(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextmanager
def process(command: list[str], **kwargs: Any) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, **kwargs)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def ensure_peers(peers_dir: Path, packages: list[str] = APOLLO_PACKAGES) -> None:
    """``npm install`` ``packages`` into ``peers_dir`` unless they are there."""
    if all((peers_dir / "node_modules" / package).is_dir() for package in packages):
        return
    peers_dir.mkdir(parents=True, exist_ok=True)
    if not (peers_dir / "package.json").exists():
        (peers_dir / "package.json").write_text(
            '{"name": "crossdock-bench-peers", "private": true}'
        )
    print(f"installing {' '.join(packages)} into {peers_dir} …", file=sys.stderr)
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", *packages],
        cwd=peers_dir,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def peer_version(peers_dir: Path, package: str) -> str:
    manifest = peers_dir / "node_modules" / package / "package.json"
    version: str = json.loads(manifest.read_text())["version"]
    return version


def node_version() -> str:
    return subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()


def supergraph_for(graph: str, urls: dict[str, str]) -> str:
    from tests.gateway.conftest import supergraph_with_urls

    if graph == "fedbench":
        return supergraph_with_urls((FEDBENCH / "supergraph.graphql").read_text(), urls)
    from crossdock.settings import Settings
    from crossdock.stack import compose_live_supergraph

    return supergraph_with_urls(compose_live_supergraph(Settings()), urls)


def request_for(graph: str) -> tuple[bytes, Any]:
    """The benchmark's request body and the response it must get (``None``: not known)."""
    if graph == "fedbench":
        body = (FEDBENCH / "body.json").read_bytes()
        return body, json.loads((FEDBENCH / "expected.json").read_text())
    from systems.world import build_world
    from tests.support.e2e import E2E_QUERY, shipped_order_with_open_case

    order = shipped_order_with_open_case(build_world(7))
    request = {"query": E2E_QUERY, "variables": {"id": order.id}}
    return json.dumps(request).encode(), None


def subgraph_calls(urls: dict[str, str]) -> int:
    total = 0
    for url in urls.values():
        total += httpx.get(url.removesuffix("/graphql") + "/_calls").json()["calls"]
    return total


def check_same_answers(targets: list[Target], body: bytes, expected: Any) -> Any:
    answers = {}
    for target in targets:
        response = httpx.post(
            target.url, content=body, headers={"content-type": "application/json"}, timeout=60
        )
        answers[target.name] = response.json()
        if response.status_code != 200 or "errors" in answers[target.name]:
            raise SystemExit(f"{target.name} failed the benchmark query: {response.text[:2000]}")
    first = next(iter(answers.values()))
    for name, answer in answers.items():
        if answer != first:
            raise SystemExit(f"{name} answers differently from {targets[0].name}")
        if expected is not None and answer != expected:
            raise SystemExit(f"{name} does not answer as expected.json")
    print(
        f"same response from {', '.join(answers)}"
        + (" and expected.json" if expected is not None else "")
        + f" ({len(json.dumps(first))} bytes)"
    )
    return first


def load_once(
    url: str,
    body: bytes,
    seconds: float,
    args: argparse.Namespace,
    loadgen: str = "lean",
    concurrency: int | None = None,
) -> LoadResult:
    """One closed-loop load with the load generator ``loadgen`` names (lean or httpx), of
    ``concurrency`` connections (default: ``--concurrency``'s first)."""
    generate = run_lean_load if loadgen == "lean" else run_load
    return drive(
        generate(
            url,
            body,
            concurrency=concurrency or concurrencies(args)[0],
            seconds=seconds,
            max_requests=args.max_requests,
        )
    )


def measure(
    target: Target,
    body: bytes,
    urls: dict[str, str],
    args: argparse.Namespace,
    loadgen: str | None = None,
    concurrency: int | None = None,
) -> Sample:
    """Warm up, then load ``target`` with ``loadgen`` (default: ``--loadgen``'s, or lean)
    over ``concurrency`` connections (default: ``--concurrency``'s first)."""
    generator = loadgen or str(getattr(args, "loadgen", "lean"))
    if generator == "both":
        generator = "lean"
    load_once(target.url, body, args.warmup, args, generator, concurrency)
    before = subgraph_calls(urls)
    cpu_before, waited_before = cpu_seconds(target.pid), waiting_seconds(target.pid)
    load = load_once(target.url, body, args.duration, args, generator, concurrency)
    return Sample(
        load,
        subgraph_calls(urls) - before,
        cpu_seconds(target.pid) - cpu_before,
        rss_kib(target.pid) / 1024,
        waiting_seconds(target.pid) - waited_before,
    )


def table(title: str, rows: dict[str, list[Sample]]) -> str:
    width = max([32, *(len(name) + 2 for name in rows)])
    lines = [
        title,
        f"  {'gateway':<{width}}{'requests/s':>12}{'req/CPU-s':>11}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'calls/req':>11}{'RSS MiB':>9}{'failures':>10}{'gw CPU':>8}{'gw wait':>9}"
        f"{'load CPU':>10}",
    ]
    for name, samples in rows.items():
        rps = statistics.median(s.load.rps for s in samples)
        p50 = statistics.median(s.load.p50_ms for s in samples)
        p99 = statistics.median(s.load.p99_ms for s in samples)
        per_cpu = statistics.median(s.requests_per_cpu_second for s in samples)
        calls = statistics.median(s.calls_per_request for s in samples)
        rss = statistics.median(s.rss_mib for s in samples)
        failures = sum(s.load.failures for s in samples)
        # Shares of one core: the gateway's, and the load generator's (on the subgraphs' core):
        # a load generator near 100% measures itself, not the gateway.
        gateway_core = statistics.median(s.cpu_seconds / s.load.seconds for s in samples)
        # Runnable but not running: the share of the run other processes took from the gateway.
        waited = statistics.median(s.waiting_seconds / s.load.seconds for s in samples)
        load_core = statistics.median(s.load.load_cpu_seconds / s.load.seconds for s in samples)
        lines.append(
            f"  {name:<{width}}{rps:>12.1f}{per_cpu:>11.1f}{p50:>9.1f}{p99:>9.1f}{calls:>11.2f}"
            f"{rss:>9.0f}{failures:>10}{gateway_core:>8.0%}{waited:>9.0%}{load_core:>10.0%}"
        )
    return "\n".join(lines)


def hot_path(metrics_url: str) -> str:
    """What our gateway's caches did over the whole benchmark, from its ``/metrics``."""
    counters = {}
    for line in httpx.get(metrics_url).text.splitlines():
        if line.startswith("crossdock_gateway_"):
            name, value = line.split(" ")
            key = name.removeprefix("crossdock_gateway_").removesuffix("_total")
            counters[key] = str(int(float(value)))  # prometheus-client writes floats
    return (
        f"crossdock gateway hot path: {counters['requests']} requests, "
        f"{counters['parses']} parses, {counters['validations']} validations, "
        f"{counters['plans_built']} plans built, {counters['queries_shared']} queries and "
        f"{counters.get('subgraph_fetches_shared', '0')} subgraph fetches shared"
    )


def interleaved_runs(
    targets: list[Target], body: bytes, urls: dict[str, str], args: argparse.Namespace
) -> dict[str, list[Sample]]:
    """``args.runs`` runs loading each target in turn, the order alternating so that no
    gateway always gets the warmer machine; each run's table, then the medians'."""
    loadgens = ["lean", "httpx"] if getattr(args, "loadgen", "lean") == "both" else [None]
    counts = concurrencies(args)
    loads = [(t, g, c) for t in targets for c in counts for g in loadgens]

    def label(target: Target, loadgen: str | None, concurrency: int) -> str:
        name = target.name if loadgen in (None, "lean") else f"{target.name} httpx"
        return name if len(counts) == 1 else f"{name} c={concurrency}"

    samples: dict[str, list[Sample]] = {label(*load): [] for load in loads}
    for run in range(args.runs):
        order = loads if run % 2 == 0 else loads[::-1]
        for target, loadgen, concurrency in order:
            samples[label(target, loadgen, concurrency)].append(
                measure(target, body, urls, args, loadgen, concurrency)
            )
        # The machine is shared: what else ran beside this run.
        loads_now = " ".join(f"{average:.2f}" for average in os.getloadavg())
        title = f"run {run + 1}/{args.runs} (load average after it {loads_now})"
        print(table(title, {n: [s[-1]] for n, s in samples.items()}))
    print(table(f"median of {args.runs} runs", samples))
    return samples


def concurrencies(args: argparse.Namespace) -> list[int]:
    """The loads ``--concurrency`` asks for: one, or several that each run loads in turn."""
    value: int | list[int] = args.concurrency
    return [value] if isinstance(value, int) else value


def _several(text: str) -> list[int]:
    return [int(part) for part in text.split(",")]


def add_load_arguments(
    parser: argparse.ArgumentParser, *, concurrency: int, several: bool = False
) -> None:
    """The options every gateway load bench takes: runs, their length, the load, the cores.
    ``several``: ``--concurrency`` may list loads (``50,200``) that each run makes in turn
    (a bench that loads through :func:`interleaved_runs`)."""
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before each run")
    if several:
        parser.add_argument(
            "--concurrency",
            type=_several,
            default=[concurrency],
            help="connections of the closed-loop load; several (50,200): each run loads "
            "every gateway at each in turn (rows marked c=N)",
        )
    else:
        parser.add_argument("--concurrency", type=int, default=concurrency)
    parser.add_argument("--max-requests", type=int, default=1_000_000, help="cap per run")
    parser.add_argument("--gateway-cpu", type=int, default=1, help="core of the gateways")
    parser.add_argument("--load-cpu", type=int, default=0, help="core of load and subgraphs")
    parser.add_argument("--no-pin", action="store_true", help="do not pin anything to cores")
    parser.add_argument(
        "--loadgen",
        choices=["lean", "httpx", "both"],
        default="lean",
        help="the load generator: bench.http1 (a fraction of httpx's CPU per request), httpx, "
        "or both in turn (rows marked httpx)",
    )


def add_dedup_argument(parser: argparse.ArgumentParser) -> None:
    """``--dedup on|off`` for a bench that measures what one feature costs a request.

    Off by default there: with sharing on, how many requests join an execution in flight
    depends on how they happen to overlap, which moves the CPU a request takes by ±10% from
    run to run and hides a cost of a few per cent; off, every request does the same work."""
    parser.add_argument(
        "--dedup",
        choices=["on", "off"],
        default="off",
        help="identical queries and subgraph fetches in flight shared (default: off, so that "
        "every request does the same work)",
    )


def dedup_environment(dedup: str) -> dict[str, str]:
    """The settings that turn sharing of queries and fetches in flight ``on`` or ``off``."""
    sharing = "true" if dedup == "on" else "false"
    return {
        "CROSSDOCK_GATEWAY__SHARE_QUERIES": sharing,
        "CROSSDOCK_GATEWAY__SUBGRAPH_SHARE_FETCHES": sharing,
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.gateway_vs_apollo", description=__doc__)
    parser.add_argument("--graph", choices=["fedbench", "distribution"], default="fedbench")
    add_load_arguments(parser, concurrency=32, several=True)
    parser.add_argument(
        "--no-memoize",
        action="store_true",
        help="let subgraphs execute every call (by default they replay a known answer)",
    )
    parser.add_argument(
        "--dedup",
        choices=["on", "off", "both"],
        default="both",
        help="our gateway with identical queries and fetches in flight shared, not, or both "
        "side by side",
    )
    parser.add_argument(
        "--executions-in-flight",
        default=None,
        help="our gateway's max_executions_in_flight (0: no cap; default: its default); "
        "several (0,48): one gateway each, side by side; one given twice (0,48,0,48): two "
        "processes of it, to see how much two processes of one setting differ",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="also run the gateway of this checkout (e.g. a `git worktree` of the parent "
        "commit), side by side with this one: before and after in one run",
    )
    parser.add_argument(
        "--no-apollo", action="store_true", help="leave @apollo/gateway out (ours only)"
    )
    parser.add_argument(
        "--hive",
        action="store_true",
        help="also Hive Gateway with the Rust query planner (@graphql-hive/router-runtime)",
    )
    parser.add_argument(
        "--peers-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "crossdock-bench-peers",
        help="where npm installs @apollo/gateway (outside the repository)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.no_apollo:
        if shutil.which("node") is None or shutil.which("npm") is None:
            raise SystemExit("node and npm are needed for @apollo/gateway")
        ensure_peers(args.peers_dir)
    if args.hive:
        if shutil.which("node") is None or shutil.which("npm") is None:
            raise SystemExit("node and npm are needed for Hive Gateway")
        ensure_peers(args.peers_dir, HIVE_PACKAGES)
    gateway_cpu = None if args.no_pin else args.gateway_cpu
    load_cpu = None if args.no_pin else args.load_cpu
    if load_cpu is not None:
        os.sched_setaffinity(0, {load_cpu})
    python = sys.executable
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with ExitStack() as stack:
        serving = [python, "-m", "bench.serving", args.graph]
        if not args.no_memoize:
            serving.append("--memoize")
        upstream = stack.enter_context(process(pinned(load_cpu, serving), cwd=ROOT, env=env))
        urls: dict[str, str] = json.loads(wait_for_line(upstream, "{", timeout=300))["subgraphs"]
        supergraph = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "supergraph.graphql"
        supergraph.write_text(supergraph_for(args.graph, urls))

        targets: list[Target] = []
        checkouts = [("crossdock", ROOT)]
        if args.baseline is not None:
            checkouts.append(("baseline", args.baseline.resolve()))
        caps: list[str | None] = (
            [None] if args.executions_in_flight is None else args.executions_in_flight.split(",")
        )
        for dedup in ("on", "off") if args.dedup == "both" else (args.dedup,):
            for label, root in checkouts:
                for cap in caps:
                    port = free_port()
                    ours_cmd = [python, "-m", "bench.serve_gateway", str(supergraph), str(port)]
                    ours_env = {**env, "PYTHONPATH": str(root), **dedup_environment(dedup)}
                    name = f"{label} (dedup {dedup})"
                    if cap is not None:
                        ours_env["CROSSDOCK_GATEWAY__MAX_EXECUTIONS_IN_FLIGHT"] = cap
                        name = f"{label} (dedup {dedup}, cap {cap})"
                    ours = stack.enter_context(
                        process(pinned(gateway_cpu, ours_cmd), cwd=root, env=ours_env)
                    )
                    url = f"http://127.0.0.1:{port}/graphql"
                    # A setting given twice (0,48,0,48): two processes of it, told apart.
                    twins = sum(t.name.split(" #")[0] == name for t in targets)
                    if twins:
                        name = f"{name} #{twins + 1}"
                    targets.append(Target(name, url, ours.pid))
        ours_count = len(targets)
        if not args.no_apollo:
            apollo_port = free_port()
            apollo_cmd = ["node", str(APOLLO_SCRIPT), str(supergraph), str(apollo_port)]
            apollo_env = {
                **os.environ,
                "PEERS_DIR": str(args.peers_dir),
                "NODE_ENV": "production",
            }
            apollo = stack.enter_context(process(pinned(gateway_cpu, apollo_cmd), env=apollo_env))
            wait_for_line(apollo, "ready", timeout=120)
            targets.append(
                Target("@apollo/gateway", f"http://127.0.0.1:{apollo_port}/graphql", apollo.pid)
            )
        if args.hive:
            hive_port = free_port()
            hive_cmd = ["node", str(HIVE_SCRIPT), str(supergraph), str(hive_port)]
            hive_env = {**os.environ, "PEERS_DIR": str(args.peers_dir), "NODE_ENV": "production"}
            hive = stack.enter_context(process(pinned(gateway_cpu, hive_cmd), env=hive_env))
            wait_for_line(hive, "ready", timeout=120)
            targets.append(
                Target(
                    "Hive Gateway (Rust planner)", f"http://127.0.0.1:{hive_port}/graphql", hive.pid
                )
            )
        for target in targets:
            wait_until_answers(target.url.removesuffix("/graphql") + "/health")
        body, expected = request_for(args.graph)
        check_same_answers(targets, body, expected)
        if not args.no_apollo:
            print(
                f"@apollo/gateway {peer_version(args.peers_dir, '@apollo/gateway')}, "
                f"@apollo/server {peer_version(args.peers_dir, '@apollo/server')}, "
                f"Node {node_version()}"
            )
        if args.hive:
            print(
                "Hive Gateway: "
                + ", ".join(
                    f"{package} {peer_version(args.peers_dir, package)}"
                    for package in HIVE_PACKAGES[:2]
                )
            )

        print(
            f"graph {args.graph}; {args.runs} runs x {args.duration:g} s at concurrency "
            f"{','.join(map(str, concurrencies(args)))} (+{args.warmup:g} s warm-up); "
            f"gateways on cpu {gateway_cpu}, "
            f"load generator and subgraphs on cpu {load_cpu}; subgraphs "
            + ("execute every call" if args.no_memoize else "replay known answers")
        )
        interleaved_runs(targets, body, urls, args)
        for target in targets[:ours_count]:
            print(target.name, hot_path(target.url.removesuffix("/graphql") + "/metrics"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
