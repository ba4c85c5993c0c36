"""Submit orders through the gateway at a fixed concurrency; where does the time go?

``python -m bench.orders_submit [--concurrency 16] [--submissions 400]`` seeds a throwaway
world, serves the three reference systems, the four subgraphs and the gateway on loopback
(one process, a thread each), submits one-line orders with fresh idempotency keys and prints
submissions per second, p50/p99 latency, and the share of the submissions' time each system
spent answering (measured inside each system, around every request it served).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from crossdock.settings import SYSTEM_NAMES, Settings
from crossdock.stack import compose_live_supergraph
from gateway.server import GatewaySettings, create_gateway_app
from resolvers.steplog import STEP_TOTALS
from subgraphs.apps import SUBGRAPH_NAMES, create_subgraph_app
from systems.apps import create_system_app
from systems.seeding import seed_all
from systems.world import build_world
from tests.gateway.conftest import supergraph_with_urls
from tests.support.servers import serve

__all__ = ["TimedApp", "main"]

SUBMIT = """
mutation Submit($input: SubmitOrderInput!, $key: String!) {
  submitOrder(input: $input, idempotencyKey: $key) { outcome order { id } userErrors { code } }
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


class TimedApp:
    """Adds up the seconds an app spends on HTTP requests (from first byte in to last out)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.seconds = 0.0
        self.requests = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.seconds += time.perf_counter() - started
            self.requests += 1


def _percentile(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, int(share * len(values)))]


async def _submit_all(
    gateway: str, inputs: list[dict[str, object]], concurrency: int
) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    failures = 0
    queue = list(enumerate(inputs))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(http: httpx.AsyncClient) -> None:
        nonlocal failures
        while queue:
            n, input = queue.pop()
            sent = time.perf_counter()
            response = await http.post(
                f"{gateway}/graphql",
                json={"query": SUBMIT, "variables": {"input": input, "key": f"bench-{n}"}},
            )
            body = response.json()
            if response.status_code != 200 or body.get("errors"):
                failures += 1
                continue
            latencies.append(time.perf_counter() - sent)

    started = time.perf_counter()
    async with httpx.AsyncClient(limits=limits, timeout=60) as http:
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
    return latencies, failures, time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--submissions", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    world = build_world(args.seed)
    account = max(
        (a for a in world.accounts if a.active and not a.credit_hold),
        key=lambda a: a.credit_limit,
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
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        settings = Settings(data_dir=Path(tmp), seed=args.seed)
        seed_all(settings.systems, reset=True)
        timed = {name: TimedApp(create_system_app(name, settings.systems)) for name in SYSTEM_NAMES}
        urls = {name: stack.enter_context(serve(app)) for name, app in timed.items()}
        settings = settings.model_copy(
            update={"crm_url": urls["crm"], "erp_url": urls["erp"], "wms_url": urls["wms"]}
        )
        subgraphs = {
            name: stack.enter_context(serve(create_subgraph_app(name, settings.subgraphs)))
            for name in SUBGRAPH_NAMES
        }
        path = Path(tmp) / "supergraph.graphql"
        path.write_text(
            supergraph_with_urls(
                compose_live_supergraph(settings),
                {name: f"{url}/graphql" for name, url in subgraphs.items()},
            )
        )
        gateway = stack.enter_context(
            serve(create_gateway_app(path, GatewaySettings(reload_interval=0)))
        )
        latencies, failures, elapsed = asyncio.run(_submit_all(gateway, inputs, args.concurrency))
    latencies.sort()
    total = sum(latencies) or 1.0
    print(f"submissions: {len(latencies)} ok, {failures} failed, concurrency {args.concurrency}")
    print(f"throughput:  {len(latencies) / elapsed:.1f} submissions/s")
    if latencies:
        print(
            f"latency:     p50 {statistics.median(latencies) * 1000:.1f} ms, "
            f"p99 {_percentile(latencies, 0.99) * 1000:.1f} ms"
        )
    for name, app in timed.items():
        print(
            f"{name}:         {app.seconds / total:6.1%} of submission time "
            f"({app.requests} requests, {app.seconds * 1000 / max(app.requests, 1):.1f} ms each)"
        )
    systems = sum(app.seconds for app in timed.values())
    print(f"gateway+orchestration (the rest): {max(0.0, 1 - systems / total):6.1%}")
    print("workflow steps, as the orchestration saw them (calls and waiting included):")
    for (kind, step, outcome), (count, seconds) in sorted(STEP_TOTALS.items()):
        if kind == "submitOrder":
            print(
                f"  {step:<20} {outcome:<7} {int(count):>5} x {seconds * 1000 / count:7.1f} ms "
                f"= {seconds / total:6.1%}"
            )


if __name__ == "__main__":
    main()
