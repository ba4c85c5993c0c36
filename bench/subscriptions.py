"""Subscriptions through one gateway process: delivery latency, events/s, memory per subscriber.

    .venv/bin/python -m bench.subscriptions --subscribers 2000 --runs 3
    .venv/bin/python -m bench.subscriptions --bus memory --selection wms
    .venv/bin/python -m bench.subscriptions --help

Each run starts, on loopback: the backend (``bench.subscription_backend``: the reference
systems, the subgraphs, the wms subgraph's webhook intake and subscription feed, the consumers,
on Redis Streams under a prefix of its own), ONE gateway process (``bench.serve_gateway``) and
the load (``bench.subscribers`` processes holding ``--subscribers`` graphql-transport-ws
subscriptions, each following one order by ``orderId``). Then it POSTs the WMS's signed
milestone webhooks to the intake, first at ``--rate`` per second for ``--duration`` seconds,
then all at once (``--burst``), and measures:

- delivery latency p50/p99: from the start of the webhook's POST to the ``next`` message read
  by the subscriber (both stamped with the machine's monotonic clock);
- events/s: accepted by the intake (on the bus), and delivered to subscribers end to end;
- memory: the gateway's and the backend's resident memory (``/proc``) after a warm-up
  subscription and with every subscriber connected and idle, per subscriber;
- CPU of every process as a share of one core, and the load processes' worst event-loop lag,
  to show what limits the figures.

Everything stops by itself (bounded waits), and every process is stopped on exit or Ctrl-C.
A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import orjson
import redis

from bench.gateway_vs_apollo import free_port, pinned, process, wait_for_line, wait_until_answers
from bench.load_processes import LoadProcesses, Receipts
from bench.milestone_publisher import Milestone, Publisher, Sent, Target, targets_from_world
from bench.procstats import CpuMeter, rss_kib
from bench.subscribers import SubscriberSpec

__all__ = ["SELECTIONS", "main"]

ROOT = Path(__file__).resolve().parents[1]

SELECTIONS = {
    # wms fields only: the gateway forwards what the wms subgraph sends.
    "wms": """
subscription Milestones($orderId: ID) {
  fulfillmentMilestones(orderId: $orderId) {
    eventId type occurredAt trackingNumber order { id }
  }
}""",
    # plus the order's number and total from the ERP and its account's name from the CRM:
    # two entity fetches per event and subscriber.
    "entities": """
subscription Milestones($orderId: ID) {
  fulfillmentMilestones(orderId: $orderId) {
    eventId type occurredAt trackingNumber
    order { id number total { amount } }
    account { id name }
  }
}""",
}
FIELD = "fulfillmentMilestones"


@dataclass(frozen=True)
class Phase:
    """What one publishing phase measured."""

    sent: int
    accepted: int
    expected: int
    delivered: int
    intake_per_second: float
    delivered_per_second: float
    p50_ms: float
    p99_ms: float
    intake_p50_ms: float
    intake_p99_ms: float
    cpu: dict[str, float]
    max_lag_ms: float
    refused: dict[int, int]  # webhooks not accepted, by HTTP status (0: no answer)
    # Per second of sending (from the phase's first POST): (deliveries, p50 ms, max ms).
    timeline: list[tuple[int, float, float]]
    # From the first POST to the last delivery, on the machine's monotonic clock (to read
    # beside logs stamped with it, such as bench/gc_watch.py's).
    window: tuple[float, float]

    @property
    def lost(self) -> int:
        return self.expected - self.delivered


@dataclass(frozen=True)
class Sample:
    """One run of one selection."""

    selection: str
    subscribers: int
    live: int
    failed: int
    gateway_kib_per_subscriber: float
    backend_kib_per_subscriber: float
    gateway_rss_mib: float
    rate: Phase
    burst: Phase
    errors: int
    first_error: str | None
    not_live_orders: list[str]


def percentile(values: Sequence[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@dataclass
class _Run:
    """The live pieces of one run, and how subscribers map to orders."""

    args: argparse.Namespace
    publisher: Publisher
    load: LoadProcesses
    subscribers_of: dict[str, list[int]]
    targets: list[Target]
    token: str
    cpu: CpuMeter

    @property
    def receipts(self) -> Receipts:
        return self.load.receipts

    def milestones(self, phase: str, targets: Sequence[Target]) -> list[Milestone]:
        return [Milestone(t, f"wev_bench_{self.token}_{phase}_{n}") for n, t in enumerate(targets)]

    async def wait_for(self, event_ids: Sequence[str], expected: int, seconds: float) -> None:
        """Drain the load processes until ``expected`` receipts of ``event_ids`` are in, or
        ``seconds`` have passed."""
        deadline = time.monotonic() + seconds
        while True:
            await self.load.drain()
            if self.receipts.count(event_ids) >= expected or time.monotonic() > deadline:
                return
            await asyncio.sleep(0.2)

    async def make_live(self, rounds: int = 8, seconds: float = 15.0) -> set[int]:
        """Probe each order until all its subscribers have received a milestone (a subscribe
        the gateway has not yet opened upstream would miss events); the subscribers proven
        live."""
        live: set[int] = set()
        for round_ in range(rounds):
            pending = [
                t for t in self.targets if not live.issuperset(self.subscribers_of[t.order_id])
            ]
            if not pending:
                break
            probes = self.milestones(f"probe{round_}", pending)
            await self.publisher.burst(probes)
            ids = [p.event_id for p in probes]
            expected = sum(len(self.subscribers_of[t.order_id]) for t in pending)
            await self.wait_for(ids, expected, seconds)
            for event_id in ids:
                live.update(sub for sub, _ in self.receipts.by_event.get(event_id, ()))
        return live

    async def phase(self, name: str, milestones: list[Milestone], rate: float | None) -> Phase:
        await self.load.drain()
        self.receipts.reset_lag()
        self.cpu.start(time.monotonic())
        if rate is None:
            sent = await self.publisher.burst(milestones)
        else:
            sent = await self.publisher.at_rate(milestones, rate)
        accepted = [s for s in sent if s.accepted]
        expected = sum(len(self.subscribers_of[s.order_id]) for s in accepted)
        ids = [s.event_id for s in accepted]
        await self.wait_for(ids, expected, self.args.settle)
        cpu = self.cpu.stop(time.monotonic())
        return _measure(sent, accepted, expected, self.receipts, cpu)


def _measure(
    sent: list[Sent], accepted: list[Sent], expected: int, receipts: Receipts,
    cpu: dict[str, float],
) -> Phase:  # fmt: skip
    started = {s.event_id: s.started for s in accepted}
    first = min((s.started for s in sent), default=0.0)
    latencies = []
    by_second: dict[int, list[float]] = {}
    last = 0.0
    for event_id, begun in started.items():
        for _, received in receipts.by_event.get(event_id, ()):
            latency = (received - begun) * 1000
            latencies.append(latency)
            by_second.setdefault(int(begun - first), []).append(latency)
            last = max(last, received)
    intake_end = max((s.answered for s in accepted), default=first)
    answers = [(s.answered - s.started) * 1000 for s in accepted]
    return Phase(
        sent=len(sent),
        accepted=len(accepted),
        expected=expected,
        delivered=len(latencies),
        intake_per_second=len(accepted) / (intake_end - first) if intake_end > first else 0.0,
        delivered_per_second=len(latencies) / (last - first) if last > first else 0.0,
        p50_ms=percentile(latencies, 0.5),
        p99_ms=percentile(latencies, 0.99),
        intake_p50_ms=percentile(answers, 0.5),
        intake_p99_ms=percentile(answers, 0.99),
        cpu=cpu,
        max_lag_ms=receipts.max_lag_ms,
        refused=dict(Counter(s.status for s in sent if not s.accepted)),
        timeline=[
            (len(values), percentile(values, 0.5), max(values))
            for _, values in sorted(by_second.items())
        ],
        window=(first, last),
    )


def _redis_pid(url: str) -> int | None:
    """Redis's pid when it runs on this machine and we may read its ``/proc`` entry."""
    client = redis.Redis.from_url(url)
    try:
        pid = int(client.info("server")["process_id"])
    finally:
        client.close()
    try:
        rss_kib(pid)
    except OSError:
        return None
    return pid


def _forget(url: str, prefix: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        for n in range(0, len(keys), 1000):
            client.delete(*keys[n : n + 1000])
    finally:
        client.close()


async def _measure_run(
    args: argparse.Namespace, selection: str, targets: list[Target], webhook: str, secret: str,
    gateway_url: str, pids: dict[str, list[int]], workdir: Path, load_cpu: int | None,
) -> Sample:  # fmt: skip
    warmup, followed = targets[0], targets[1:]
    orders = len(followed)
    subscribers_of = {t.order_id: [] for t in followed}  # type: dict[str, list[int]]
    variables = []
    for n in range(args.subscribers):
        target = followed[n // args.per_order]
        subscribers_of[target.order_id].append(n)
        variables.append({"orderId": target.order_id})
    spec = SubscriberSpec(
        url=gateway_url,
        query=SELECTIONS[selection],
        field=FIELD,
        variables=variables,
        compression=not args.no_compression,
        connect_concurrency=args.connect_concurrency,
        lifetime_seconds=args.duration + 30 * args.settle + 600,
    )
    token = uuid.uuid4().hex[:10]
    publisher = Publisher(webhook, secret, max_in_flight=args.publish_concurrency)
    try:
        # Warm-up: one subscriber and its milestones, so that plans, upstream connection and
        # caches exist before the baseline is read.
        warm_spec = spec.model_copy(
            update={"variables": [{"orderId": warmup.order_id}], "first_index": -1}
        )
        warm, failed, error = await LoadProcesses.start(
            warm_spec, processes=1, workdir=workdir, cpu=load_cpu, timeout=60
        )
        try:
            if failed:
                raise SystemExit(f"the warm-up subscriber could not subscribe: {error}")
            warm_run = _Run(args, publisher, warm, {warmup.order_id: [-1]}, [warmup], token,
                            CpuMeter({}))  # fmt: skip
            if not await warm_run.make_live():
                raise SystemExit(
                    "the warm-up subscriber received nothing: "
                    f"{warm.receipts.first_error or 'no error reported'}"
                )
        finally:
            await warm.stop()
        await asyncio.sleep(1.0)
        gateway_before, backend_before = rss_kib(pids["gateway"][0]), rss_kib(pids["backend"][0])

        load, failed, error = await LoadProcesses.start(
            spec, processes=args.load_processes, workdir=workdir, cpu=load_cpu,
            timeout=60 + args.subscribers / 20,
        )  # fmt: skip
        try:
            cpu = CpuMeter({**pids, "load": load.pids, "publisher": [os.getpid()]})
            run = _Run(args, publisher, load, subscribers_of, followed, token, cpu)
            live = await run.make_live()
            await asyncio.sleep(2.0)
            gateway_idle = rss_kib(pids["gateway"][0])
            live_count = max(len(live), 1)
            gateway_per = (gateway_idle - gateway_before) / live_count
            backend_per = (rss_kib(pids["backend"][0]) - backend_before) / live_count

            shuffled = random.Random(args.seed).choices(followed, k=int(args.rate * args.duration))
            rate = await run.phase("rate", run.milestones("rate", shuffled), args.rate)
            burst_targets = random.Random(args.seed + 1).sample(followed, k=min(args.burst, orders))
            burst_targets += random.Random(args.seed + 2).choices(
                followed, k=max(0, args.burst - orders)
            )
            burst = await run.phase("burst", run.milestones("burst", burst_targets), None)
            receipts = await load.drain()
        finally:
            await load.stop()
    finally:
        await publisher.aclose()
    return Sample(
        selection=selection,
        subscribers=args.subscribers,
        live=len(live),
        failed=failed,
        gateway_kib_per_subscriber=gateway_per,
        backend_kib_per_subscriber=backend_per,
        gateway_rss_mib=gateway_idle / 1024,
        rate=rate,
        burst=burst,
        errors=receipts.errors,
        first_error=receipts.first_error or error,
        not_live_orders=sorted({t.order_id for t in followed
                                if not live.issuperset(subscribers_of[t.order_id])})[:5],
    )  # fmt: skip


def run_once(
    args: argparse.Namespace, selection: str, targets: list[Target], data_dir: Path,
    gateway_cpu: int | None, load_cpu: int | None, backend_cpu: int | None,
) -> Sample:  # fmt: skip
    """One run of one selection on fresh processes (backend, gateway, load). The backend's
    and the gateway's stderr go to log files, shown if the run fails."""
    python = sys.executable
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    prefix = f"crossdock-bench:{uuid.uuid4().hex}:"
    redis_url = args.redis_url if args.bus == "redis" else None
    run_id = uuid.uuid4().hex[:6]

    def profiled(name: str) -> list[str]:
        """``python -m``, under cProfile writing ``--profile``/NAME-SELECTION-RUN.prof if
        asked (both processes stop on SIGTERM, which lets cProfile write its file)."""
        if args.profile is None:
            return [python, "-m"]
        path = args.profile / f"{name}-{selection}-{run_id}.prof"
        return [python, "-m", "cProfile", "-o", str(path), "-m"]

    with tempfile.TemporaryDirectory(prefix="crossdock-bench-run-") as tmp:
        workdir = Path(tmp)
        logs = {name: workdir / f"{name}.log" for name in ("backend", "gateway")}
        try:
            with ExitStack() as stack:
                backend_cmd = [*profiled("backend"), "bench.subscription_backend", "--data-dir",
                               str(data_dir), "--cache-prefix", prefix,
                               "--subscriptions", str(args.subscribers)]  # fmt: skip
                if redis_url:
                    backend_cmd += ["--redis-url", redis_url]
                log = stack.enter_context(logs["backend"].open("w"))
                backend = stack.enter_context(
                    process(pinned(backend_cpu, backend_cmd), cwd=ROOT, env=env, stderr=log)
                )
                announce = orjson.loads(wait_for_line(backend, "{", timeout=300))
                for name, limit in announce["lifted_limits"].items():
                    print(
                        f"  note: lifted the {name}'s limit of {limit} subscriptions per "
                        "WebSocket, which the gateway's one multiplexed connection hits"
                    )
                port = free_port()
                gateway_cmd = [*profiled("gateway"), "bench.serve_gateway", announce["supergraph"],
                               str(port)]  # fmt: skip
                log = stack.enter_context(logs["gateway"].open("w"))
                gateway = stack.enter_context(
                    process(pinned(gateway_cpu, gateway_cmd), cwd=ROOT, env=env, stderr=log)
                )
                wait_until_answers(f"http://127.0.0.1:{port}/health")
                pids = {"gateway": [gateway.pid], "backend": [announce["pid"]]}
                if redis_url:
                    redis_pid = _redis_pid(redis_url)
                    if redis_pid is not None:
                        pids["redis"] = [redis_pid]
                return asyncio.run(
                    _measure_run(args, selection, targets, announce["webhook"],
                                 announce["secret"], f"ws://127.0.0.1:{port}/graphql", pids,
                                 workdir, load_cpu)
                )  # fmt: skip
        except Exception:
            for name, path in logs.items():
                if path.exists():
                    tail = path.read_text(errors="replace").splitlines()[-20:]
                    print(f"--- last lines of the {name}'s stderr:", *tail, sep="\n  ")
            raise
        finally:
            if redis_url:
                _forget(redis_url, prefix)


def _ms(value: float) -> str:
    return f"{value:.1f}"


def table(title: str, samples: dict[str, list[Sample]], args: argparse.Namespace) -> str:
    """Medians per selection, side by side."""
    lines = [
        title,
        f"  {'':<10}{'live':>7} | {'at ' + format(args.rate, 'g') + '/s:':>10}{'p50 ms':>8}"
        f"{'p99 ms':>8}{'ev/s':>8}{'lost':>6} | {'burst:':>7}{'intake/s':>10}{'ev/s':>8}"
        f"{'p50 ms':>8}{'p99 ms':>8}{'lost':>6} | {'KiB/subscriber: gw':>20}{'backend':>9}",
    ]
    for name, runs in samples.items():

        def med(get: Callable[[Sample], float], runs: list[Sample] = runs) -> float:
            return statistics.median(get(s) for s in runs)

        lines.append(
            f"  {name:<10}{int(med(lambda s: s.live)):>7} | {'':>10}"
            f"{_ms(med(lambda s: s.rate.p50_ms)):>8}{_ms(med(lambda s: s.rate.p99_ms)):>8}"
            f"{med(lambda s: s.rate.delivered_per_second):>8.0f}"
            f"{sum(s.rate.lost for s in runs):>6} | {'':>7}"
            f"{med(lambda s: s.burst.intake_per_second):>10.0f}"
            f"{med(lambda s: s.burst.delivered_per_second):>8.0f}"
            f"{_ms(med(lambda s: s.burst.p50_ms)):>8}{_ms(med(lambda s: s.burst.p99_ms)):>8}"
            f"{sum(s.burst.lost for s in runs):>6} | "
            f"{med(lambda s: s.gateway_kib_per_subscriber):>20.1f}"
            f"{med(lambda s: s.backend_kib_per_subscriber):>9.1f}"
        )
    return "\n".join(lines)


def details(sample: Sample, args_timeline: bool = False) -> str:
    """Where the time went in one sample: CPU per process, load lag, errors."""

    def cpu(phase: Phase) -> str:
        shares = ", ".join(f"{name} {share:.0%}" for name, share in phase.cpu.items())
        return (
            f"webhook answered p50 {phase.intake_p50_ms:.1f} ms, p99 {phase.intake_p99_ms:.1f}"
            f" ms; cpu {shares}; load loop lag max {phase.max_lag_ms:.0f} ms"
        )

    text = (
        f"    {sample.selection}: gateway RSS {sample.gateway_rss_mib:.0f} MiB with "
        f"{sample.live} subscribers; accepted {sample.rate.accepted}/{sample.rate.sent} + "
        f"{sample.burst.accepted}/{sample.burst.sent} webhooks\n"
        f"      at rate: {cpu(sample.rate)}\n"
        f"      burst:   {cpu(sample.burst)}"
    )
    if args_timeline:
        seconds = " ".join(f"{p50:.0f}/{most:.0f}" for _, p50, most in sample.rate.timeline)
        start, end = sample.rate.window
        text += (
            f"\n      at rate (monotonic {start:.1f} to {end:.1f}), per second sent, "
            f"p50/max ms: {seconds}"
        )
    for name, phase in (("at rate", sample.rate), ("burst", sample.burst)):
        if phase.refused:
            text += f"\n      webhooks not accepted {name}, by status: {phase.refused}"
    if sample.failed or sample.errors or sample.live < sample.subscribers:
        text += (
            f"\n      {sample.failed} failed to subscribe, {sample.errors} errors, "
            f"{sample.subscribers - sample.live} not live (orders {sample.not_live_orders}); "
            f"first error: {sample.first_error}"
        )
    return text


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.subscriptions",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--subscribers", type=int, default=2000)
    parser.add_argument("--per-order", type=int, default=1, help="subscribers following each order")
    parser.add_argument("--rate", type=float, default=100.0, help="webhooks/s in the rate phase")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of the rate phase")
    parser.add_argument("--burst", type=int, default=None,
                        help="webhooks sent at once (default: one per followed order)")  # fmt: skip
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--selection", choices=["both", *SELECTIONS], default="both")
    parser.add_argument("--bus", choices=["redis", "memory"], default="redis")
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--load-processes", type=int, default=2, help="subscriber processes")
    parser.add_argument("--connect-concurrency", type=int, default=64,
                        help="WebSocket handshakes in flight per load process")  # fmt: skip
    parser.add_argument("--publish-concurrency", type=int, default=32,
                        help="webhook POSTs in flight at most")  # fmt: skip
    parser.add_argument("--settle", type=float, default=20.0,
                        help="seconds to wait for deliveries after the last webhook")  # fmt: skip
    parser.add_argument("--no-compression", action="store_true",
                        help="subscribers do not offer permessage-deflate")  # fmt: skip
    parser.add_argument("--gateway-cpu", type=int, default=1, help="core of the gateway")
    parser.add_argument("--load-cpu", type=int, default=0,
                        help="core of the load and the publisher")  # fmt: skip
    parser.add_argument("--backend-cpu", type=int, default=None,
                        help="core of the backend (default: --load-cpu's)")  # fmt: skip
    parser.add_argument("--no-pin", action="store_true", help="do not pin anything to cores")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeline", action="store_true",
                        help="print p50/max latency per second of the rate phase")  # fmt: skip
    parser.add_argument("--profile", type=Path, default=None, metavar="DIR",
                        help="run backend and gateway under cProfile, files in DIR")  # fmt: skip
    args = parser.parse_args(argv)
    if args.subscribers < 1 or args.per_order < 1 or args.runs < 1 or args.rate <= 0:
        parser.error("--subscribers, --per-order, --runs and --rate must be positive")
    if args.profile is not None:
        args.profile = args.profile.resolve()
        args.profile.mkdir(parents=True, exist_ok=True)
    if args.burst is None:
        args.burst = -(-args.subscribers // args.per_order)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from crossdock.settings import Settings
    from systems.seeding import seed_all
    from systems.world import build_world

    if args.bus == "redis":
        redis.Redis.from_url(args.redis_url, socket_connect_timeout=2).ping()
    gateway_cpu = None if args.no_pin else args.gateway_cpu
    load_cpu = None if args.no_pin else args.load_cpu
    backend_cpu = load_cpu if args.no_pin or args.backend_cpu is None else args.backend_cpu
    if load_cpu is not None:
        os.sched_setaffinity(0, {load_cpu})
    orders = -(-args.subscribers // args.per_order)
    targets = targets_from_world(build_world(args.seed), orders + 1)
    selections = list(SELECTIONS) if args.selection == "both" else [args.selection]
    print(
        f"{args.subscribers} subscribers ({args.per_order} per order, {orders} orders) in "
        f"{args.load_processes} load processes; {args.bus} bus; {args.runs} runs: "
        f"{args.rate:g} webhooks/s for {args.duration:g} s, then a burst of {args.burst}; "
        f"gateway on cpu {gateway_cpu}, backend on cpu {backend_cpu}, load and publisher on "
        f"cpu {load_cpu}; "
        f"permessage-deflate {'off' if args.no_compression else 'offered'}",
        flush=True,
    )
    samples: dict[str, list[Sample]] = {name: [] for name in selections}
    with tempfile.TemporaryDirectory(prefix="crossdock-bench-") as data_dir:
        seed_all(Settings(data_dir=Path(data_dir), seed=args.seed).systems, reset=True)
        for run in range(args.runs):
            # Alternate who goes first, so that neither always gets the warmer machine.
            for selection in selections if run % 2 == 0 else selections[::-1]:
                sample = run_once(
                    args, selection, targets, Path(data_dir), gateway_cpu, load_cpu, backend_cpu
                )
                samples[selection].append(sample)
            latest = {name: [runs[-1]] for name, runs in samples.items()}
            print(table(f"run {run + 1}/{args.runs}", latest, args))
            for name in selections:
                print(details(samples[name][-1], args.timeline))
            sys.stdout.flush()
    print(table(f"median of {args.runs} runs (lost: summed)", samples, args))
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:
        # Every process it started is stopped by now (context managers, finally blocks).
        raise SystemExit("interrupted") from None
