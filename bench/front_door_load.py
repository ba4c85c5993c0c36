"""The front door under load: what its controls cost, and what an attack costs everyone else.

    .venv/bin/python -m bench.front_door_load overhead --runs 5 --duration 10 --concurrency 50
    .venv/bin/python -m bench.front_door_load attack --runs 3 --duration 15

``overhead``: fedbench behind two of our gateways pinned to the same core, one with every
front-door control on (demand control, a trusted-documents manifest enforced by the production
switch, CSRF prevention, CORS, rate limits with buckets that never run dry, the request
deadline), one with all of them off; runs interleaved, each gateway measured alone. Prints
requests/s, p50/p99 and requests per gateway CPU-second (steadier than requests/s on a shared
machine), per run and the medians, and the ratio on/off. Subgraphs replay known answers, so
the gateways are what is measured.

``attack``: the distribution graph (reference systems and subgraphs, executing every call)
behind one gateway with its defaults. 50 connections run the README's order query alone, then
again while 20 more send the 166-byte query that took the graph down (``account { cases {
account { … } } }`` seven levels); prints the order query's p50/p99 in both phases, their
ratio, and what the attackers got. ``--demand off`` runs the attack against a gateway without
demand control, where only the deadline bounds it.

A benchmark, not a test: figures compare the rows of one run on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.fedbench_subgraphs import FEDBENCH
from bench.gateway_vs_apollo import (
    free_port,
    pinned,
    process,
    supergraph_for,
    wait_for_line,
    wait_until_answers,
)
from bench.loadgen import LoadResult, run_lean_load, run_load
from bench.procstats import cpu_seconds

ROOT = Path(__file__).resolve().parents[1]

# The attack measured on crossdock up (issue 11), as tests/gateway/demand/test_examples.py
# keeps it.
ATTACK = (
    '{ account(id:"001CD0000000348AAA") {'
    + "cases{account{" * 6
    + "cases{caseNumber subject status}"
    + "}}" * 6
    + "}}"
)
ORDER_QUERY_BODY: dict[str, Any] = {
    "query": '{ orderByNumber(number: "SO-100100") { number status total { amount currency } '
    "account { name creditHold cases(open: true) { caseNumber subject } } "
    "lines { quantity product { name availableToPromise } } "
    "shipments { carrier trackingNumber status trackingEvents { status occurredAt } } } }"
}


def controls_off() -> dict[str, str]:
    """Every front-door control off."""
    return {
        "CROSSDOCK_GATEWAY__DEMAND__ENABLED": "false",
        "CROSSDOCK_GATEWAY__PERSISTED_QUERIES__APQ": "false",
        "CROSSDOCK_GATEWAY__BROWSERS__CSRF_UNSAFE_DISABLED": "true",
    }


def controls_on(manifest: Path) -> dict[str, str]:
    """Every front-door control on; nothing the benchmark sends is refused."""
    return {
        "CROSSDOCK_GATEWAY__PRODUCTION": "true",
        "CROSSDOCK_GATEWAY__PERSISTED_QUERIES__MANIFEST": str(manifest),
        "CROSSDOCK_GATEWAY__BROWSERS__ALLOW_ORIGINS": '["https://portal.example"]',
        "CROSSDOCK_GATEWAY__RATE_LIMITS__DEFAULT": '{"capacity": 1000000000, "interval": 1}',
    }


@dataclass(frozen=True)
class Sample:
    load: LoadResult
    cpu: float  # the gateway's CPU seconds over the load

    @property
    def per_cpu_second(self) -> float:
        return self.load.requests / self.cpu if self.cpu else float("nan")


def _manifest(directory: Path, body: bytes) -> Path:
    """A trusted-documents manifest listing the benchmark's one operation."""
    query = json.loads(body)["query"]
    path = directory / "manifest.json"
    operation = {
        "id": hashlib.sha256(query.encode()).hexdigest(),
        "name": json.loads(body).get("operationName") or "Bench",
        "type": "query",
        "body": query,
    }
    path.write_text(
        json.dumps(
            {"format": "apollo-persisted-query-manifest", "version": 1, "operations": [operation]}
        )
    )
    return path


def start_gateway(
    stack: ExitStack, supergraph: Path, cpu: int | None, env: dict[str, str]
) -> tuple[str, int]:
    port = free_port()
    command = [sys.executable, "-m", "bench.serve_gateway", str(supergraph), str(port)]
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    environment.pop("REDIS_URL", None)
    proc = stack.enter_context(process(pinned(cpu, command), cwd=ROOT, env=environment))
    url = f"http://127.0.0.1:{port}"
    wait_until_answers(url + "/health")
    return url + "/graphql", proc.pid


def measure(
    url: str,
    pid: int,
    body: bytes,
    args: argparse.Namespace,
    headers: dict[str, str] | None = None,
) -> Sample:
    """Warm up, then load ``url`` for ``args.duration`` and count the gateway's CPU time (the
    lean load generator: httpx would leave the gateway waiting on it, bench/README.md)."""
    asyncio.run(
        run_lean_load(
            url,
            body,
            concurrency=args.concurrency,
            seconds=args.warmup,
            max_requests=10**9,
            headers=headers,
        )
    )
    before = cpu_seconds(pid)
    result = asyncio.run(
        run_lean_load(
            url,
            body,
            concurrency=args.concurrency,
            seconds=args.duration,
            max_requests=args.max_requests,
            headers=headers,
        )
    )
    return Sample(result, cpu_seconds(pid) - before)


def _row(name: str, samples: list[Sample]) -> str:
    rps = statistics.median(s.load.rps for s in samples)
    p50 = statistics.median(s.load.p50_ms for s in samples)
    p99 = statistics.median(s.load.p99_ms for s in samples)
    per_cpu = statistics.median(s.per_cpu_second for s in samples)
    failures = sum(s.load.failures for s in samples)
    return f"  {name:<24}{rps:>12.1f}{p50:>10.1f}{p99:>10.1f}{per_cpu:>16.1f}{failures:>10}"


def table(title: str, rows: dict[str, list[Sample]]) -> str:
    header = f"  {'gateway':<24}{'requests/s':>12}{'p50 ms':>10}{'p99 ms':>10}"
    header += f"{'req/CPU-second':>16}{'failures':>10}"
    return "\n".join([title, header, *(_row(name, s) for name, s in rows.items())])


@dataclass(frozen=True)
class Contender:
    """A gateway process under measurement, and what each of its requests carries."""

    url: str
    pid: int
    headers: dict[str, str] | None = None


def pin_load(args: argparse.Namespace) -> tuple[int | None, int | None]:
    """The gateways' core and the load's (this process and the subgraphs), this process
    pinned to the load's."""
    gateway_cpu = None if args.no_pin else args.gateway_cpu
    load_cpu = None if args.no_pin else args.load_cpu
    if load_cpu is not None:
        os.sched_setaffinity(0, {load_cpu})
    return gateway_cpu, load_cpu


def fedbench_upstream(stack: ExitStack, load_cpu: int | None) -> dict[str, str]:
    """fedbench's subgraphs replaying known answers, on the load's core; their URLs."""
    serving = [sys.executable, "-m", "bench.serving", "fedbench", "--memoize"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    upstream = stack.enter_context(process(pinned(load_cpu, serving), cwd=ROOT, env=env))
    urls: dict[str, str] = json.loads(wait_for_line(upstream, "{", timeout=300))["subgraphs"]
    return urls


def compare(
    contenders: dict[str, Contender],
    body: bytes,
    args: argparse.Namespace,
    *,
    baseline: str,
    where: str,
) -> dict[str, float]:
    """Check that every contender answers ``body`` alike, then measure them in interleaved
    runs; print each run, the medians and requests per CPU-second against ``baseline``.
    Returns each contender's median requests per gateway CPU-second."""
    answers = {}
    for name, contender in contenders.items():
        headers = {"content-type": "application/json", **(contender.headers or {})}
        answer = httpx.post(contender.url, content=body, headers=headers)
        if answer.status_code != 200 or "errors" in answer.json():
            raise SystemExit(f"{name} failed the benchmark query: {answer.text[:500]}")
        answers[name] = answer.content
    if len(set(answers.values())) != 1:
        raise SystemExit("the gateways answer differently")
    print(
        f"fedbench; {args.runs} runs x {args.duration:g} s at concurrency {args.concurrency}; "
        + where
    )
    samples: dict[str, list[Sample]] = {name: [] for name in contenders}
    for run in range(args.runs):
        order = list(contenders) if run % 2 == 0 else list(contenders)[::-1]
        for name in order:
            contender = contenders[name]
            samples[name].append(
                measure(contender.url, contender.pid, body, args, contender.headers)
            )
        print(table(f"run {run + 1}/{args.runs}", {n: [s[-1]] for n, s in samples.items()}))
    print(table(f"median of {args.runs} runs", samples))
    per_cpu = {n: statistics.median(s.per_cpu_second for s in samples[n]) for n in contenders}
    base = per_cpu[baseline]
    for name in contenders:
        if name != baseline:
            ratio = per_cpu[name] / base
            # Each run loads the two back to back, on the same machine's state: the ratio
            # within a run moves less than the figures themselves from run to run.
            paired = [
                mine.per_cpu_second / theirs.per_cpu_second
                for mine, theirs in zip(samples[name], samples[baseline], strict=True)
            ]
            print(
                f"requests per gateway CPU-second, {name} / {baseline}: {ratio:.3f} "
                f"({ratio - 1:+.1%}) from the medians; within each run "
                + ", ".join(f"{r - 1:+.1%}" for r in paired)
                + f", median {statistics.median(paired) - 1:+.1%}"
            )
    return per_cpu


def overhead(args: argparse.Namespace) -> int:
    body = (FEDBENCH / "body.json").read_bytes()
    gateway_cpu, load_cpu = pin_load(args)
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        urls = fedbench_upstream(stack, load_cpu)
        supergraph = folder / "supergraph.graphql"
        supergraph.write_text(supergraph_for("fedbench", urls))
        manifest = _manifest(folder, body)
        contenders = {
            "controls off": Contender(
                *start_gateway(stack, supergraph, gateway_cpu, controls_off())
            ),
            "every control on": Contender(
                *start_gateway(stack, supergraph, gateway_cpu, controls_on(manifest))
            ),
        }
        where = f"gateways on cpu {gateway_cpu}, load and subgraphs on cpu {load_cpu}"
        compare(contenders, body, args, baseline="controls off", where=where)
    return 0


async def _attack_phase(
    url: str, args: argparse.Namespace, attackers: int
) -> tuple[LoadResult, collections.Counter[str]]:
    order_body = json.dumps(ORDER_QUERY_BODY).encode()
    outcomes: collections.Counter[str] = collections.Counter()
    deadline = time.perf_counter() + args.duration

    async def attacker(http: httpx.AsyncClient) -> None:
        while time.perf_counter() < deadline:
            try:
                response = await http.post(url, json={"query": ATTACK})
            except httpx.HTTPError as error:
                outcomes[type(error).__name__] += 1
                continue
            try:
                errors = response.json().get("errors") or []
            except ValueError:
                errors = []
            code = errors[0].get("extensions", {}).get("code") if errors else "answered"
            outcomes[f"{response.status_code} {code}"] += 1

    async with httpx.AsyncClient(timeout=60) as http:
        attacks = [asyncio.create_task(attacker(http)) for _ in range(attackers)]
        load = await run_load(
            url,
            order_body,
            concurrency=args.concurrency,
            seconds=args.duration,
            max_requests=args.max_requests,
        )
        await asyncio.gather(*attacks)
    return load, outcomes


def attack(args: argparse.Namespace) -> int:
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        serving = [sys.executable, "-m", "bench.serving", "distribution"]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        upstream = stack.enter_context(process(serving, cwd=ROOT, env=env))
        urls = json.loads(wait_for_line(upstream, "{", timeout=600))["subgraphs"]
        supergraph = folder / "supergraph.graphql"
        supergraph.write_text(supergraph_for("distribution", urls))
        gateway_env = {} if args.demand == "on" else {"CROSSDOCK_GATEWAY__DEMAND__ENABLED": "false"}
        url, _ = start_gateway(stack, supergraph, None, gateway_env)
        warm = httpx.post(url, json=ORDER_QUERY_BODY, timeout=60).json()
        if "errors" in warm:
            raise SystemExit(f"the order query fails: {warm}")
        print(
            f"distribution graph; demand control {args.demand}; {args.runs} runs x "
            f"{args.duration:g} s: {args.concurrency} connections of the README's order query, "
            f"alone and beside {args.attackers} attackers"
        )
        quiet: list[LoadResult] = []
        loud: list[LoadResult] = []
        seen: collections.Counter[str] = collections.Counter()
        for run in range(args.runs):
            quiet.append(asyncio.run(_attack_phase(url, args, 0))[0])
            load, outcomes = asyncio.run(_attack_phase(url, args, args.attackers))
            loud.append(load)
            seen.update(outcomes)
            print(
                f"run {run + 1}: alone p50/p99 {quiet[-1].p50_ms:.0f}/{quiet[-1].p99_ms:.0f} ms "
                f"({quiet[-1].rps:.1f} req/s, {quiet[-1].failures} failed); under attack "
                f"{load.p50_ms:.0f}/{load.p99_ms:.0f} ms ({load.rps:.1f} req/s, "
                f"{load.failures} failed)"
            )
        alone = statistics.median(r.p99_ms for r in quiet)
        attacked = statistics.median(r.p99_ms for r in loud)
        print(
            f"median p99 of the order query: alone {alone:.0f} ms, under attack {attacked:.0f} ms"
            f" ({attacked / alone:.2f}x); the attackers got: "
            + ", ".join(f"{n} x {what}" for what, n in seen.most_common())
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.front_door_load", description=__doc__)
    parser.add_argument("what", choices=["overhead", "attack"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--attackers", type=int, default=20)
    parser.add_argument("--demand", choices=["on", "off"], default="on")
    parser.add_argument("--max-requests", type=int, default=1_000_000)
    parser.add_argument("--gateway-cpu", type=int, default=1)
    parser.add_argument("--load-cpu", type=int, default=0)
    parser.add_argument("--no-pin", action="store_true")
    args = parser.parse_args(argv)
    return overhead(args) if args.what == "overhead" else attack(args)


if __name__ == "__main__":
    raise SystemExit(main())
