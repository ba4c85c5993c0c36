"""The real stack of the end-to-end tests, on loopback: the three systems over a copy of the
seeded databases, the four subgraphs, the wms subgraph's webhook intake with the milestone
consumers and the subscription feed on one Redis bus, and a gateway serving the composed
supergraph. The WMS advances on command and sends its signed webhooks to the intake.

The WMS must know the intake's URL before the wms subgraph is served, and the wms subgraph the
WMS's URL: the wms subgraph's port is therefore reserved first (a bound socket the server then
takes over), so that ``crossdock.stack.with_webhooks_to_the_wms_subgraph`` routes the webhooks
exactly as ``crossdock up`` does.
"""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import orjson
import redis
from starlette.applications import Starlette

from cache.factory import create_cache
from connectors.settings import system_client
from consumers import MilestoneConsumers
from crossdock.ops_page import ops_routes
from crossdock.settings import SYSTEM_NAMES, Settings, SystemName
from crossdock.stack import (
    compose_live_supergraph,
    run_consumers_beside,
    with_webhooks_to_the_wms_subgraph,
)
from events.factory import create_event_bus_for
from gateway.server import GatewaySettings, create_gateway_app
from monitoring import Monitor
from schema.events import MILESTONE_STREAM
from subgraphs.apps import create_subgraph_app
from subgraphs.wms.app import create_app as create_wms_subgraph_app
from subgraphs.wms.intake import WEBHOOK_PATH
from systems.apps import create_system_app
from systems.wms.signing import SIGNATURE_HEADER, signature_header
from tests.gateway.conftest import supergraph_with_urls
from tests.support.servers import serve, serve_on
from tests.support.waiting import wait_until

__all__ = ["CONSUMER_OPTIONS", "E2E_SECRET", "E2EWorld", "StreamEntry", "running_e2e_world"]

E2E_SECRET = "e2e-webhook-secret"

# The consumers beside the wms subgraph: a dead consumer's entries are reclaimed after a few
# seconds (not 30), a failing event is dead-lettered after three quick attempts.
CONSUMER_OPTIONS: dict[str, Any] = {
    "reclaim_idle_seconds": 4.0,
    "retry_delay_seconds": 0.2,
    "max_retry_delay_seconds": 1.0,
    "max_attempts": 3,
    "block_seconds": 0.5,
}


@dataclass(frozen=True)
class StreamEntry:
    """One entry of the milestone stream as Redis holds it."""

    id: str
    event: dict[str, Any]


@dataclass(frozen=True)
class E2EWorld:
    """Where everything of the running stack answers, and how a test talks to it."""

    settings: Settings  # system URLs point at the copies; Redis and the prefixes are this run's
    systems: dict[SystemName, str]
    wms_subgraph: str
    gateway: str
    wms_subgraph_app: Starlette
    supergraph: Path  # the gateway's, with the subgraphs' URLs of this run

    @property
    def events_prefix(self) -> str:
        return self.settings.event_streams_prefix

    # -- the graph -------------------------------------------------------------------------

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST an operation to the gateway; the whole body."""
        response = httpx.post(
            f"{self.gateway}/graphql",
            json={"query": query, "variables": variables or {}},
            timeout=60,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The ``data`` of an operation that must succeed without errors."""
        body = self.graphql(query, variables)
        assert "errors" not in body, body["errors"]
        found: dict[str, Any] = body["data"]
        return found

    # -- the systems -----------------------------------------------------------------------

    def faults(self, system: SystemName, *routes: str, **faults: object) -> None:
        """Set ``system``'s injected faults, on ``routes`` only if given; none when bare."""
        body = {
            "latency_ms": 0,
            "error_rate": 0.0,
            "rate_limit_per_second": None,
            "routes": list(routes) or None,
            **faults,
        }
        response = httpx.put(f"{self.systems[system]}/_admin/faults", json=body, timeout=10)
        assert response.status_code == 200, response.text

    def clear_faults(self) -> None:
        for name in SYSTEM_NAMES:
            self.faults(name)

    def system(self, name: SystemName, method: str, path: str, **kwargs: Any) -> Any:
        """A reference system's JSON answer (any 2xx)."""
        response = httpx.request(method, f"{self.systems[name]}{path}", timeout=30, **kwargs)
        assert response.is_success, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    def advance(
        self, fulfillment_order: str, to: str, *, exception: str | None = None
    ) -> list[dict[str, Any]]:
        """Move a fulfillment order on to stage ``to``; the webhook bodies the WMS wrote."""
        body: dict[str, Any] = {"fulfillment_order_no": fulfillment_order, "to": to}
        if exception is not None:
            body["exception"] = exception
        events: list[dict[str, Any]] = self.system("wms", "POST", "/_admin/advance", json=body)[
            "events"
        ]
        return events

    def deliveries(self, fulfillment_order: str | None = None) -> list[dict[str, Any]]:
        """The WMS's webhook delivery log (of one fulfillment order)."""
        params = {} if fulfillment_order is None else {"fulfillment_order_no": fulfillment_order}
        log: list[dict[str, Any]] = self.system(
            "wms", "GET", "/_admin/webhook-deliveries", params=params
        )["data"]
        return log

    def wait_delivered(self, fulfillment_order: str, *, timeout: float = 20.0) -> None:
        """Until the WMS has delivered (had acknowledged) every webhook of the order."""

        def delivered() -> bool:
            log = self.deliveries(fulfillment_order)
            return bool(log) and all(d["status"] == "DELIVERED" for d in log)

        wait_until(delivered, timeout=timeout, what=f"webhooks of {fulfillment_order} delivered")

    # -- the webhook intake ----------------------------------------------------------------

    def post_webhook(self, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
        return httpx.post(
            f"{self.wms_subgraph}{WEBHOOK_PATH}",
            content=body,
            headers={"Content-Type": "application/json", **(headers or {})},
            timeout=30,
        )

    def post_signed(self, payload: dict[str, Any] | bytes) -> httpx.Response:
        """POST a webhook signed now with the WMS's secret, as the WMS would."""
        body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
        return self.post_webhook(body, {SIGNATURE_HEADER: signature_header(E2E_SECRET, body)})

    # -- the event bus, as Redis holds it --------------------------------------------------

    def _redis(self) -> redis.Redis:
        assert self.settings.redis_url is not None
        return redis.Redis.from_url(self.settings.redis_url)

    def stream_key(self, kind: str = "stream") -> str:
        """The key of the milestone stream (``kind`` "stream") or its dead letters ("dead"),
        as ``events.RedisStreamBus`` names them."""
        return f"{self.events_prefix}{kind}:{MILESTONE_STREAM}"

    def entries(self) -> list[StreamEntry]:
        """Every entry of the milestone stream, oldest first."""
        client = self._redis()
        try:
            raw: Any = client.xrange(self.stream_key())
        finally:
            client.close()
        return [StreamEntry(i.decode(), orjson.loads(f[b"data"])) for i, f in raw]

    def dead_letters(self) -> list[dict[str, Any]]:
        """The milestone stream's dead letters: their fields, with ``data`` parsed."""
        client = self._redis()
        try:
            raw: Any = client.xrange(self.stream_key("dead"))
        finally:
            client.close()
        letters = []
        for _, fields in raw:
            letter = {k.decode(): v.decode() for k, v in fields.items() if k != b"data"}
            letter["data"] = orjson.loads(fields[b"data"])
            letters.append(letter)
        return letters

    def groups(self) -> dict[str, dict[str, Any]]:
        """The consumer groups of the milestone stream (``XINFO GROUPS``) by name."""
        client = self._redis()
        try:
            rows: Any = client.xinfo_groups(self.stream_key())
        finally:
            client.close()
        return {_text(row["name"]): row for row in rows}

    def wait_settled(self, *groups: str, timeout: float = 30.0) -> None:
        """Until each of ``groups`` has been handed every entry and acknowledged it (handled,
        or dead-lettered)."""

        def settled() -> bool:
            found = self.groups()
            return all(
                g in found and found[g]["pending"] == 0 and found[g]["lag"] == 0 for g in groups
            )

        wait_until(settled, timeout=timeout, what=f"groups {groups} settled")

    def pending(self, group: str, consumer: str | None = None) -> list[str]:
        """The entry ids pending in ``group`` (for ``consumer`` only, if given)."""
        client = self._redis()
        try:
            rows: Any = client.xpending_range(
                self.stream_key(), group, min="-", max="+", count=10_000, consumername=consumer
            )
        finally:
            client.close()
        return [_text(row["message_id"]) for row in rows]


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


@contextmanager
def reserved_port(host: str = "127.0.0.1") -> Iterator[socket.socket]:
    """A bound loopback socket on an ephemeral port, for a server to take over."""
    # IPPROTO_TCP: asyncio then sets TCP_NODELAY on accepted connections (crossdock.runner).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    try:
        yield sock
    finally:
        sock.close()


def _wms_subgraph_with_consumers(settings: Settings) -> Starlette:
    """The wms subgraph as ``crossdock up`` builds it: the intake, the subscription feed and
    the consumers on one bus (Redis, under this run's prefix), with quick test timings."""
    bus = create_event_bus_for(settings.bus)
    app = create_wms_subgraph_app(settings.subgraphs, bus=bus)
    consumers = MilestoneConsumers(
        bus,
        erp=system_client("erp", settings.connectors),
        wms=system_client("wms", settings.connectors),
        crm=system_client("crm", settings.connectors),
        cache=create_cache(settings.redis_url, prefix=settings.reference_cache_prefix),
        monitor=Monitor.from_config(settings.monitoring_config),
        **CONSUMER_OPTIONS,
    )
    run_consumers_beside(app, consumers, bus)
    return app


@contextmanager
def running_e2e_world(settings: Settings, scratch: Path) -> Iterator[E2EWorld]:
    """Everything of ``settings`` (a copied data dir, Redis and a prefix of the run's own)."""
    with ExitStack() as stack:
        sock = stack.enter_context(reserved_port())
        ports = settings.ports.model_copy(update={"wms_subgraph": sock.getsockname()[1]})
        settings = with_webhooks_to_the_wms_subgraph(settings.model_copy(update={"ports": ports}))
        systems = {
            name: stack.enter_context(serve(create_system_app(name, settings.systems)))
            for name in SYSTEM_NAMES
        }
        settings = settings.model_copy(
            update={"crm_url": systems["crm"], "erp_url": systems["erp"], "wms_url": systems["wms"]}
        )
        # The orders journal keeps its Redis keys under a fixed prefix: this run's journal
        # stays in its own data dir instead.
        # Its outcomes go to the business monitoring in this run's Redis all the same.
        orders_settings = settings.model_copy(update={"redis_url": None})
        orders_subgraph = orders_settings.subgraphs
        orders_subgraph = dataclasses.replace(
            orders_subgraph,
            workflows=dataclasses.replace(
                orders_subgraph.workflows, monitoring=settings.monitoring_config
            ),
        )
        urls = {
            "crm": stack.enter_context(serve(create_subgraph_app("crm", settings.subgraphs))),
            "erp": stack.enter_context(serve(create_subgraph_app("erp", settings.subgraphs))),
            "orders": stack.enter_context(serve(create_subgraph_app("orders", orders_subgraph))),
        }
        wms_app = _wms_subgraph_with_consumers(settings)
        urls["wms"] = stack.enter_context(serve_on(wms_app, sock))
        path = scratch / "supergraph.graphql"
        path.write_text(
            supergraph_with_urls(
                compose_live_supergraph(settings), {n: f"{u}/graphql" for n, u in urls.items()}
            )
        )
        # One wms subscription per client: tests/e2e/streams.py knows a client is subscribed
        # by counting the feed's subscribers, which identical subscriptions would share
        # (docs/deduplication.md; tests/gateway/test_subscription_sharing.py covers sharing).
        gateway_settings = GatewaySettings(reload_interval=0, share_subscriptions=False)
        gateway = stack.enter_context(
            serve(create_gateway_app(path, gateway_settings, routes=ops_routes()))
        )
        yield E2EWorld(
            settings=settings,
            systems=systems,
            wms_subgraph=urls["wms"],
            gateway=gateway,
            wms_subgraph_app=wms_app,
            supergraph=path,
        )


@contextmanager
def running_replica(world: E2EWorld) -> Iterator[E2EWorld]:
    """A second gateway over a second wms subgraph, sharing only ``world``'s Redis with it
    (the milestone stream): what a client reaches through another replica of each. The other
    subgraphs and the systems are the world's; the replica runs no consumers."""
    bus = create_event_bus_for(world.settings.bus)
    app = create_wms_subgraph_app(world.settings.subgraphs, bus=bus)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            async with inner(app):
                yield
        finally:
            await bus.aclose()

    app.router.lifespan_context = lifespan
    with ExitStack() as stack:
        wms = stack.enter_context(serve(app))
        path = world.supergraph.with_name("replica-supergraph.graphql")
        path.write_text(
            supergraph_with_urls(world.supergraph.read_text(), {"wms": f"{wms}/graphql"})
        )
        gateway = stack.enter_context(
            serve(create_gateway_app(path, GatewaySettings(reload_interval=0)))
        )
        yield replace(
            world, gateway=gateway, wms_subgraph=wms, wms_subgraph_app=app, supergraph=path
        )
