"""The subscription benchmark's backend in one process: what ``crossdock up`` runs, less the
gateway.

``python -m bench.subscription_backend --data-dir DIR --cache-prefix P [--redis-url URL]
[--subscriptions N]``
builds the stack as ``crossdock up`` does (``crossdock.stack.build_stack``: the reference
systems over an already seeded ``DIR``, the subgraphs, the wms subgraph's webhook intake, its
subscription feed and the milestone consumers on one event bus: Redis Streams under ``P`` when
``--redis-url`` is given, else the in-process bus), serves everything but the gateway on free
loopback ports and prints one JSON line once all of it accepts connections::

    {"supergraph": PATH, "webhook": URL, "secret": S, "pid": N, "lifted_limits": {...}}

``PATH`` is the composed supergraph routed to those ports, for the gateway process;
``lifted_limits`` names a subgraph whose limit of subscriptions per WebSocket was below
``N`` and had to be lifted (see ``lift_subscription_limit``). It runs
until SIGTERM or SIGINT (``crossdock.runner.serve_all``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from pathlib import Path

from starlette.types import ASGIApp

from bench.gc_watch import install as watch_gc
from bench.gc_watch import thresholds
from crossdock.runner import serve_all
from crossdock.settings import Ports, Settings
from crossdock.stack import build_stack
from tests.support.ports import reserve_port

__all__ = ["main"]


def _free_ports(count: int) -> list[int]:
    """``count`` distinct ports nothing listens on, which the kernel hands no one else
    before the services bind them (``tests.support.ports``)."""
    return [reserve_port() for _ in range(count)]


def backend_settings(data_dir: Path, cache_prefix: str, redis_url: str | None) -> Settings:
    """Settings of one benchmark run: its own ports, data, Redis prefix (cache and streams)."""
    names = list(Ports.model_fields)
    ports = Ports(**dict(zip(names, _free_ports(len(names)), strict=True)))
    return Settings(
        host="127.0.0.1",
        ports=ports,
        data_dir=data_dir,
        redis_url=redis_url,
        cache_prefix=cache_prefix,
        events_prefix=None,
    )


def lift_subscription_limit(app: ASGIApp, needed: int) -> int | None:
    """Strawberry refuses more than ``max_subscriptions_per_connection`` (100 by default)
    subscriptions on one WebSocket, and the gateway multiplexes all of its subscriptions to a
    subgraph on one connection: lift the limit of ``app``'s GraphQL view if it is below
    ``needed``. Returns the limit it lifted (``None``: none was in the way)."""
    for route in getattr(app, "routes", ()):
        view = getattr(route, "endpoint", None)
        limit = getattr(view, "max_subscriptions_per_connection", None)
        if isinstance(limit, int) and limit < needed:
            view.max_subscriptions_per_connection = None  # type: ignore[union-attr]
            return limit
    return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.subscription_backend")
    parser.add_argument("--data-dir", type=Path, required=True, help="an already seeded folder")
    parser.add_argument("--cache-prefix", required=True)
    parser.add_argument("--redis-url", default=None)
    parser.add_argument("--subscriptions", type=int, default=0, help="how many will be opened")
    args = parser.parse_args(argv)
    watch_gc()
    settings = backend_settings(args.data_dir, args.cache_prefix, args.redis_url)
    stack = build_stack(settings)
    services = [service for service in stack.services if service.name != "gateway"]
    lifted = {
        s.name: lift_subscription_limit(s.app, args.subscriptions)
        for s in services
        if s.name == "wms subgraph"
    }
    announce = {
        "supergraph": str(stack.supergraph_path),
        "webhook": f"http://127.0.0.1:{settings.ports.wms_subgraph}/webhooks/wms",
        "secret": settings.wms_lifecycle.webhook_secret,
        "pid": os.getpid(),
        "lifted_limits": {name: limit for name, limit in lifted.items() if limit is not None},
    }
    asyncio.run(serve_all(services, on_started=json.dumps(announce), gc_thresholds=thresholds()))


if __name__ == "__main__":
    main()
