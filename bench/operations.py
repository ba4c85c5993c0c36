"""The at-risk query over 10,000 open orders: how long ``operations { ordersAtRisk }`` takes,
p50 and p99, against the monitoring's store seeded directly through its API.

The store is seeded with ``--orders`` open orders (submitted and released at a center; a
``--stuck`` share of them released long enough ago to be stuck in RELEASED, the rest
recently), then the query is timed two ways: the read itself (``Monitor.at_risk``: the store's
range read of the at-risk index and the reasons worked out for the orders it returns), and
the whole GraphQL request to the wms subgraph's app in process (``httpx.ASGITransport``: no
socket, the app's parsing, validation, resolvers and JSON included). SQLite by default, Redis
with ``--redis-url`` (a prefix of its own, deleted afterwards)::

    .venv/bin/python -m bench.operations
    .venv/bin/python -m bench.operations --redis-url redis://127.0.0.1:6379/0
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import redis

from crossdock.settings import Settings
from monitoring import Fact, FactKind, Monitor, MonitoringConfig, open_store
from subgraphs.wms.app import create_app as create_wms_subgraph_app

__all__ = ["main"]

QUERY = """
{ operations { ordersAtRisk(first: 100) { orderId stage since reason detail promisedDate } } }
"""
CENTERS = ("ORD1", "ATL1", "EWR1", "RNO1")


async def seed(monitor: Monitor, orders: int, stuck: float) -> float:
    """Record ``orders`` open orders; the seconds it took."""
    now = time.time()
    started = time.perf_counter()
    for n in range(orders):
        order = f"O{n:06d}"
        # Stuck ones were released 6 h ago (the threshold is 4 h), the others a minute ago.
        at = now - (6 * 3600 if n < orders * stuck else 60)
        center = CENTERS[n % len(CENTERS)]
        await monitor.record(Fact(f"s-{order}", FactKind.SUBMITTED, order, at - 30))
        await monitor.record(Fact(f"r-{order}", FactKind.RELEASED, order, at, center_id=center))
    return time.perf_counter() - started


async def timed(work: Callable[[], Awaitable[object]], iterations: int) -> dict[str, float]:
    for _ in range(min(20, iterations)):
        await work()
    samples = []
    for _ in range(iterations):
        start = time.perf_counter()
        await work()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 3),
        "p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 3),
    }


async def run(args: argparse.Namespace) -> dict[str, object]:
    scratch = Path(tempfile.mkdtemp(prefix="bench-operations-"))
    prefix = f"bench-operations-{uuid.uuid4().hex[:8]}:"
    config = MonitoringConfig(
        path=scratch / "monitoring.sqlite3", redis_url=args.redis_url, prefix=prefix
    )
    monitor = Monitor(open_store(config), config.policy)
    settings = Settings(data_dir=scratch, redis_url=args.redis_url)
    app = create_wms_subgraph_app(dataclasses.replace(settings.subgraphs, monitoring=config))
    try:
        seconds = await seed(monitor, args.orders, args.stuck)
        open_orders = await monitor.store.open_count()
        at_risk = await monitor.at_risk_count()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://wms") as client:

            async def request() -> None:
                answer = await client.post("/graphql", json={"query": QUERY})
                body = answer.json()
                assert "errors" not in body, body
                assert len(body["data"]["operations"]["ordersAtRisk"]) == min(100, at_risk)

            graphql = await timed(request, args.iterations)
        store = await timed(lambda: monitor.at_risk(100), args.iterations)
        return {
            "store": "redis" if args.redis_url else "sqlite",
            "open_orders": open_orders,
            "at_risk": at_risk,
            "seed_seconds": round(seconds, 1),
            "at_risk_read": store,
            "graphql_request": graphql,
            "iterations": args.iterations,
        }
    finally:
        await monitor.aclose()
        if args.redis_url:
            own = redis.Redis.from_url(args.redis_url)
            keys = list(own.scan_iter(f"{prefix}*", count=1000))
            for start in range(0, len(keys), 1000):
                own.delete(*keys[start : start + 1000])
            own.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--stuck", type=float, default=0.1, help="share stuck in RELEASED")
    parser.add_argument("--iterations", type=int, default=500)
    parser.add_argument("--redis-url", default=None)
    print(json.dumps(asyncio.run(run(parser.parse_args()))))


if __name__ == "__main__":
    main()
