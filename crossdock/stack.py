"""What ``crossdock up`` serves: the reference systems, the subgraphs over them, the gateway,
and the consumers of the milestones the wms subgraph's webhook intake publishes.

The intake and the consumers share one bus: the in-process bus in the embedded default (one
instance, since nothing else could see its streams), Redis Streams with consumer groups when
``REDIS_URL`` is set. The consumers run for as long as the wms subgraph's app: they start once
it has started and stop (finishing the batch in hand) before it does, and the bus is closed
after both.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from starlette.applications import Starlette

from consumers import MilestoneConsumers
from crossdock.demo import DemoTraffic, run_demo_beside
from crossdock.dev_auth import DEV_ISSUER, DevIssuer
from crossdock.files import write_atomically
from crossdock.graph import EXAMPLE_QUERY
from crossdock.ops_page import ops_routes
from crossdock.runner import Service
from crossdock.settings import SYSTEM_NAMES, Settings, SystemName
from events.base import EventBus
from events.factory import create_event_bus_for
from gateway.composition import SubgraphSource, compose
from gateway.server import GatewaySettings, create_gateway_app
from resolvers.journal import JOURNAL_FILE
from subgraphs.apps import SUBGRAPH_NAMES, SubgraphName, create_subgraph_app, subgraph_schema
from subgraphs.common import subgraph_sdl
from subgraphs.wms.app import create_app as create_wms_subgraph_app
from systems.apps import create_system_app
from systems.seeding import seed_all
from telemetry.metrics import Metrics

__all__ = [
    "Place",
    "Stack",
    "build_gateway_app",
    "build_service",
    "build_stack",
    "compose_live_supergraph",
    "demo_line",
    "places",
    "prepare_stack",
    "run_consumers_beside",
    "seed",
    "service_settings",
    "supergraph_path",
    "with_demo_timer",
    "with_webhooks_to_the_wms_subgraph",
]


@dataclass(frozen=True)
class Stack:
    """The services of one ``crossdock up``, in start order."""

    services: list[Service]
    seed_report: str
    supergraph_path: Path
    demo: str | None = None  # what the demo traffic does, when it is on


def seed(settings: Settings, *, reset: bool = False) -> str:
    """Seed the systems (or check their data can be served), as ``crossdock seed`` does; a
    reseed also drops the orders subgraph's SQLite journal and the monitoring's SQLite store,
    whose workflows and orders name the world being replaced."""
    derived = [settings.data_dir / JOURNAL_FILE, settings.monitoring_path]
    return seed_all(settings.systems, reset=reset, derived=derived)


def compose_live_supergraph(settings: Settings) -> str:
    """Compose the subgraphs as this code defines them, routed to this run's ports."""
    return compose(
        [
            SubgraphSource(
                name,
                f"http://{settings.client_host}:{settings.ports.subgraph(name)}/graphql",
                subgraph_sdl(subgraph_schema(name)),
            )
            for name in SUBGRAPH_NAMES
        ]
    )


def with_webhooks_to_the_wms_subgraph(settings: Settings) -> Settings:
    """Unless configured otherwise, the WMS sends its milestone webhooks to the wms subgraph."""
    lifecycle = settings.wms_lifecycle
    if lifecycle.webhook_url is not None:
        return settings
    intake = f"http://{settings.client_host}:{settings.ports.wms_subgraph}/webhooks/wms"
    return settings.model_copy(
        update={"wms_lifecycle": lifecycle.model_copy(update={"webhook_url": intake})}
    )


def with_demo_timer(settings: Settings) -> Settings:
    """With the demo on, the WMS moves released orders along on its timer (at
    ``demo.wms_speed_seconds``) unless ``wms_lifecycle.speed_seconds`` sets its own pace."""
    lifecycle = settings.wms_lifecycle
    if not settings.demo.enabled or lifecycle.speed_seconds is not None:
        return settings
    speed = settings.demo.wms_speed_seconds
    return settings.model_copy(
        update={"wms_lifecycle": lifecycle.model_copy(update={"speed_seconds": speed})}
    )


def demo_traffic(settings: Settings) -> DemoTraffic:
    """The demo's client of this run's gateway; with auth on (``--auth dev`` only: the
    command refuses the demo with another issuer) each request carries a fresh staff token
    of the development key."""
    url = f"http://{settings.client_host}:{settings.ports.gateway}/graphql"
    if settings.auth.jwks is None or settings.auth.issuer != DEV_ISSUER:
        return DemoTraffic(url, settings.demo)
    issuer = DevIssuer(settings.data_dir)
    return DemoTraffic(
        url,
        settings.demo,
        token=lambda: issuer.token(scope="staff", subject="crossdock-demo", ttl=300),
    )


def run_consumers_beside(app: Starlette, consumers: MilestoneConsumers, bus: EventBus) -> None:
    """Run ``consumers`` during ``app``'s lifespan, and close ``bus`` after both; the app's
    ``/ready`` then needs them alive and its ``/metrics`` shows them (the wms subgraph's)."""
    checks = getattr(app.state, "ready_checks", None)
    if checks is not None:
        checks["consumers"] = consumers.alive
    metrics: Metrics | None = getattr(app.state, "metrics", None)
    if metrics is not None:
        metrics.collect_async(consumers.metric_families)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            async with inner(app), consumers:
                yield
        finally:
            await bus.aclose()

    app.router.lifespan_context = lifespan


def _subgraph_app(name: SubgraphName, settings: Settings) -> Starlette:
    if name != "wms":
        return create_subgraph_app(name, settings.subgraphs)
    # The intake and the consumers share this bus: in the embedded default it is in this
    # process's memory, so they live and die in one process, the wms subgraph's.
    bus = create_event_bus_for(settings.bus)
    app = create_wms_subgraph_app(settings.subgraphs, bus=bus)
    run_consumers_beside(app, MilestoneConsumers.from_settings(bus, settings.consumers), bus)
    return app


def _for_our_graph(gateway: GatewaySettings) -> GatewaySettings:
    """Unless configured otherwise, GraphiQL opens on the README's query of our graph, and
    ``/ready`` asks our subgraphs' own ``/ready`` (their systems, their Redis, the
    consumers)."""
    update: dict[str, object] = {}
    if gateway.graphiql_default_query is None:
        update["graphiql_default_query"] = EXAMPLE_QUERY
    if "subgraph_ready_path" not in gateway.model_fields_set:
        update["subgraph_ready_path"] = "/ready"
    return gateway.model_copy(update=update) if update else gateway


def _system_app(name: SystemName, settings: Settings) -> Starlette:
    return create_system_app(name, settings.systems)


@dataclass(frozen=True)
class Place:
    """Where one service of the stack listens, and how its app is built (from the settings
    :func:`prepare_stack` returned) in the process that serves it."""

    name: str
    host: str
    port: int
    path: str
    build: Callable[[Settings], Starlette]

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{self.path}"


def places(settings: Settings) -> list[Place]:
    """Every service of ``crossdock up``, in start order: the systems, the subgraphs over
    them, the gateway over those."""
    host = settings.host
    return [
        *(
            Place(
                f"{name} system", host, settings.system_port(name), "", partial(_system_app, name)
            )
            for name in SYSTEM_NAMES
        ),
        *(
            Place(
                f"{name} subgraph",
                host,
                settings.ports.subgraph(name),
                "/graphql",
                partial(_subgraph_app, name),
            )
            for name in SUBGRAPH_NAMES
        ),
        Place("gateway", host, settings.ports.gateway, "/graphql", build_gateway_app),
    ]


def supergraph_path(settings: Settings) -> Path:
    """Where ``crossdock up`` composes the supergraph that its gateway serves."""
    return settings.data_dir / "supergraph.graphql"


def prepare_stack(settings: Settings) -> tuple[Settings, str]:
    """Seed the systems if needed and compose the supergraph into :func:`supergraph_path`;
    the settings the services run with (webhooks to the wms subgraph) and the seed report.

    Raises ``CompositionFailed`` when the subgraphs do not compose.
    """
    report = seed(settings, reset=False)
    settings = service_settings(settings)
    write_atomically(supergraph_path(settings), compose_live_supergraph(settings))
    return settings, report


def service_settings(settings: Settings) -> Settings:
    """The settings every service of ``crossdock up`` runs with: the WMS's webhooks to the
    wms subgraph, its timer at the demo's pace when the demo is on."""
    return with_demo_timer(with_webhooks_to_the_wms_subgraph(settings))


def build_gateway_app(settings: Settings) -> Starlette:
    """The gateway of ``crossdock up`` over the composed supergraph, with the operations
    page, and the demo traffic when it is on."""
    gateway = create_gateway_app(
        supergraph_path(settings), _for_our_graph(settings.gateway), routes=ops_routes()
    )
    if settings.demo.enabled:
        run_demo_beside(gateway, demo_traffic(settings))
    return gateway


def demo_line(settings: Settings) -> str | None:
    """What the demo traffic does, said at start; None when it is off."""
    if not settings.demo.enabled:
        return None
    return (
        f"demo: an order every {settings.demo.order_interval_seconds:g}s through the "
        f"gateway (one action in {settings.demo.return_every} a return), the WMS timer "
        f"every {settings.wms_lifecycle.speed_seconds:g}s"
    )


def build_service(settings: Settings, place: Place, listen_fd: int | None = None) -> Service:
    """The service at ``place`` (one of :func:`places`), its app built in this process."""
    app = place.build(settings)
    return Service(place.name, app, place.host, place.port, path=place.path, listen_fd=listen_fd)


def build_stack(settings: Settings) -> Stack:
    """Seed the systems if needed, compose the supergraph and build every service, for one
    process (``crossdock up --one-process``).

    Raises ``CompositionFailed`` when the subgraphs do not compose.
    """
    settings, report = prepare_stack(settings)
    services = [build_service(settings, place) for place in places(settings)]
    return Stack(
        services=services,
        seed_report=report,
        supergraph_path=supergraph_path(settings),
        demo=demo_line(settings),
    )
