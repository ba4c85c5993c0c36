"""What ``crossdock up`` holds on this machine: the README's order query over varied orders, a
burst of concurrent submissions, and the memory of every process across rounds.

    .venv/bin/python -m bench.domain_capacity
    .venv/bin/python -m bench.domain_capacity --connections 50 --seconds 20 --rounds 3
    .venv/bin/python -m bench.domain_capacity --rounds 10 --requests-per-round 10000
    .venv/bin/python -m bench.domain_capacity --one-process      # the old single-process mode

Starts ``crossdock up`` as a user does (a process per service unless ``--one-process``) over a
throwaway data directory, waits for ``/ready``, then for each round:

- ``--connections`` clients each send the README's order query (``crossdock.graph``'s) for an
  order picked at random among the seeded ones, for ``--seconds`` (or until
  ``--requests-per-round`` have been answered): requests/s, p50/p99, and errors (an answer
  that is not 200 or carries ``errors`` counts as one);
- the CPU time every process of the stack used in the round, per request (what a request
  costs the whole stack: the figure that decides the throughput on a machine whose cores
  the processes share), and the load generator's own (``--per-service``: each process's);
- and the resident memory of every process of the stack, summed (``/proc``);

then ``--submissions`` ``submitOrder`` calls at once (one-line orders of stocked products,
fresh idempotency keys): how many were confirmed, refused (on hold, rejected, user errors)
or failed (an error: "erp timed out", say). Goals of issue #15: ≥ 150 requests/s, p99 < 1 s,
0 errors; every submission answered; memory steady (±10%) across rounds. A benchmark, not a
test; it stops the stack (Ctrl-C) at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson

from bench.http1 import PostClient
from bench.procstats import cpu_seconds, rss_kib
from crossdock.graph import EXAMPLE_QUERY
from systems.world import build_world

GATEWAY = "http://127.0.0.1:4000"
ORDER_QUERY = EXAMPLE_QUERY.replace(
    'orderByNumber(number: "SO-100100")', "orderByNumber(number: $n)"
)
ORDER_QUERY = "query Order($n: String!) " + ORDER_QUERY
SUBMIT = """
mutation Submit($input: SubmitOrderInput!, $key: String!) {
  submitOrder(input: $input, idempotencyKey: $key) { outcome userErrors { code } }
}
"""
NEWARK = {
    "street": "1 Raymond Plaza",
    "city": "Newark",
    "state": "NJ",
    "postalCode": "07105",
    "country": "US",
    "region": "NORTHEAST",
}


@dataclass(frozen=True)
class Round:
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    rss_mb: float
    stack_cpu: dict[str, float]  # CPU seconds of each process of the stack in the round
    own_cpu: float  # the load generator's CPU seconds in the round

    @property
    def cpu_ms_per_request(self) -> float:
        return sum(self.stack_cpu.values()) / max(self.requests, 1) * 1000

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def _percentile(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, int(share * len(values)))] if values else float("nan")


def _tree(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    found, frontier = [pid], [pid]
    while frontier:
        parent = frontier.pop()
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found.append(child)
            frontier.append(child)
    return found


def _name(pid: int) -> str:
    """What a process of the stack serves (``erp subgraph``), from its command line."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    except OSError:
        return str(pid)
    if "--service" in argv:
        at = argv.index("--service")
        return " ".join(a for a in argv[at + 1 : at + 3] if not a.startswith("-"))
    return "supervisor"


def _cpu(pid: int) -> dict[str, float]:
    """CPU seconds so far of ``pid`` and each process below it, by what it serves."""
    out: dict[str, float] = {}
    for each in _tree(pid):
        try:
            out[f"{_name(each)}"] = out.get(_name(each), 0.0) + cpu_seconds(each)
        except OSError:
            continue
    return out


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system


def _rss_mb(pid: int) -> float:
    """The resident memory of ``pid`` and its children, in MB."""
    total = 0
    for each in _tree(pid):
        try:
            total += rss_kib(each)
        except OSError:
            continue
    return total * 1024 / 1e6


async def _queries(
    numbers: list[str], connections: int, seconds: float, requests: int | None
) -> tuple[int, int, list[float], float]:
    """``connections`` clients for ``seconds``, or until ``requests`` are answered; over
    ``bench.http1`` (a fraction of httpx's CPU per request: the load generator shares the
    cores with the stack it measures)."""
    latencies: list[float] = []
    errors = 0
    http = PostClient(f"{GATEWAY}/graphql", connections=connections, timeout=30)
    headers = {"content-type": "application/json"}
    started = time.perf_counter()
    deadline = started + seconds
    wanted = requests if requests is not None else float("inf")

    async def client(rng: random.Random) -> None:
        nonlocal errors
        while len(latencies) + errors < wanted and (
            requests is not None or time.perf_counter() < deadline
        ):
            body = orjson.dumps({"query": ORDER_QUERY, "variables": {"n": rng.choice(numbers)}})
            sent = time.perf_counter()
            status, answer = await http.answer(body, headers)
            try:
                ok = status == 200 and "errors" not in orjson.loads(answer)
            except orjson.JSONDecodeError:
                ok = False
            if ok:
                latencies.append((time.perf_counter() - sent) * 1000)
            else:
                errors += 1

    try:
        await asyncio.gather(*(client(random.Random(n)) for n in range(connections)))
    finally:
        await http.aclose()
    latencies.sort()
    return len(latencies), errors, latencies, time.perf_counter() - started


async def _submissions(inputs: list[dict[str, object]]) -> Counter[str]:
    outcomes: Counter[str] = Counter()
    limits = httpx.Limits(max_connections=len(inputs), max_keepalive_connections=len(inputs))

    async def submit(http: httpx.AsyncClient, input: dict[str, object]) -> None:
        variables = {"input": input, "key": f"capacity-{uuid.uuid4().hex}"}
        try:
            answer = await http.post(
                f"{GATEWAY}/graphql", json={"query": SUBMIT, "variables": variables}
            )
            body = answer.json()
        except (httpx.HTTPError, ValueError) as error:
            outcomes[f"failed: {type(error).__name__}"] += 1
            return
        if body.get("errors"):
            outcomes[f"failed: {body['errors'][0].get('message', '')[:60]}"] += 1
            return
        result = body["data"]["submitOrder"]
        outcomes["user errors" if result["userErrors"] else result["outcome"]] += 1

    async with httpx.AsyncClient(limits=limits, timeout=120) as http:
        await asyncio.gather(*(submit(http, i) for i in inputs))
    return outcomes


def _wait_ready(process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"crossdock up exited with {process.returncode}")
        try:
            if httpx.get(f"{GATEWAY}/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"crossdock up was not ready within {timeout}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0, help="of queries per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--requests-per-round",
        type=int,
        default=None,
        help="end each round after this many answers instead of after --seconds",
    )
    parser.add_argument(
        "--per-service", action="store_true", help="each process's CPU ms per request too"
    )
    parser.add_argument("--submissions", type=int, default=100, help="at once, after the rounds")
    parser.add_argument("--one-process", action="store_true", help="crossdock up --one-process")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    world = build_world(args.seed)
    numbers = [o.number for o in world.orders]
    account = max(
        (a for a in world.accounts if a.active and not a.credit_hold), key=lambda a: a.credit_limit
    ).id
    active = {p.sku for p in world.products if p.active}
    stocked = sorted(
        {i.sku for i in world.inventory if i.on_hand - i.allocated >= 100 and i.sku in active}
    )
    inputs: list[dict[str, object]] = [
        {
            "accountId": account,
            "lines": [{"sku": stocked[n % len(stocked)], "quantity": 1}],
            "shipTo": NEWARK,
        }
        for n in range(args.submissions)
    ]
    command = [
        sys.executable,
        "-m",
        "crossdock.cli",
        "up",
        *(["--one-process"] if args.one_process else []),
    ]
    with tempfile.TemporaryDirectory(prefix="crossdock-capacity-") as data:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("CROSSDOCK_") and k != "REDIS_URL"
        }
        env |= {"CROSSDOCK_DATA_DIR": data, "CROSSDOCK_SEED": str(args.seed)}
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            _wait_ready(process, 300)
            mode = "one process" if args.one_process else "a process per service"
            print(f"crossdock up ({mode}): {len(numbers)} orders, {args.connections} clients")
            print(
                f"{'round':>5} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
                f"{'errors':>7} {'RSS MB':>7} {'stack CPU ms/req':>16} {'loadgen':>7} "
                f"{'load avg':>8}"
            )
            rounds = []
            for n in range(1, args.rounds + 1):
                cpu_before, own_before = _cpu(process.pid), _own_cpu()
                count, errors, latencies, seconds = asyncio.run(
                    _queries(numbers, args.connections, args.seconds, args.requests_per_round)
                )
                cpu_after, own_after = _cpu(process.pid), _own_cpu()
                done = Round(
                    count,
                    errors,
                    seconds,
                    statistics.median(latencies) if latencies else float("nan"),
                    _percentile(latencies, 0.99),
                    _rss_mb(process.pid),
                    {k: v - cpu_before.get(k, 0.0) for k, v in cpu_after.items()},
                    own_after - own_before,
                )
                rounds.append(done)
                own = done.own_cpu / max(count, 1) * 1000
                print(
                    f"{n:>5} {count:>8} {done.per_second:>8.1f} {done.p50_ms:>8.0f} "
                    f"{done.p99_ms:>8.0f} {done.errors:>7} {done.rss_mb:>7.0f} "
                    f"{done.cpu_ms_per_request:>16.2f} {own:>7.2f} {os.getloadavg()[0]:>8.2f}"
                )
                if args.per_service:
                    print(
                        "      "
                        + ", ".join(
                            f"{name} {cpu / max(count, 1) * 1000:.2f}"
                            for name, cpu in sorted(done.stack_cpu.items(), key=lambda i: -i[1])
                        )
                    )
            rates = [r.per_second for r in rounds]
            print(
                f"median of {len(rounds)} rounds: {statistics.median(rates):.1f} req/s, "
                f"p99 {statistics.median(r.p99_ms for r in rounds):.0f} ms, "
                f"{sum(r.errors for r in rounds)} errors, "
                f"{statistics.median(r.cpu_ms_per_request for r in rounds):.2f} stack CPU ms/req"
            )
            rss = [r.rss_mb for r in rounds]
            print(
                f"RSS across rounds: {min(rss):.0f} to {max(rss):.0f} MB "
                f"({(max(rss) - min(rss)) / min(rss) * 100:.1f}% spread)"
            )
            started = time.perf_counter()
            outcomes = asyncio.run(_submissions(inputs))
            took = time.perf_counter() - started
            print(
                f"{args.submissions} submissions at once, answered in {took:.1f}s: "
                + ", ".join(f"{k} {v}" for k, v in outcomes.most_common())
            )
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
            stderr = process.stderr.read().decode() if process.stderr else ""
            if process.returncode not in (0, None):
                print(f"crossdock up exited {process.returncode}: {stderr[-500:]}")


if __name__ == "__main__":
    main()
