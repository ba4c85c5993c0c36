"""What the wms subgraph tells operators beside its graph: the readiness of its event bus and
of its webhook intake's relay, and ``/metrics`` for both (and for whatever runs beside it and
adds its lines: the milestone consumers under ``crossdock up``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from events.base import EventBus
from events.factory import BusSettings
from events.relay import OutboxRelay

__all__ = ["MetricLines", "mount_operations", "relay_lines"]

MetricLines = Callable[[], Awaitable[list[str]]]
"""Prometheus text lines, made when ``/metrics`` is read."""


def relay_lines(relay: OutboxRelay) -> list[str]:
    """The intake relay's state and counts as Prometheus lines."""
    age = relay.oldest_unrelayed_age
    lines = [
        "# HELP crossdock_wms_intake_unrelayed webhooks on disk not yet on the event stream",
        "# TYPE crossdock_wms_intake_unrelayed gauge",
        f"crossdock_wms_intake_unrelayed {relay.unrelayed}",
        "# HELP crossdock_wms_intake_oldest_unrelayed_seconds age of the oldest of them",
        "# TYPE crossdock_wms_intake_oldest_unrelayed_seconds gauge",
        f"crossdock_wms_intake_oldest_unrelayed_seconds {0.0 if age is None else age:.3f}",
        "# HELP crossdock_wms_intake_relay_running 1 while the relay publishes normally",
        "# TYPE crossdock_wms_intake_relay_running gauge",
        f"crossdock_wms_intake_relay_running {int(relay.state == 'running')}",
    ]
    for name, value, help_text in (
        ("relayed", relay.relayed, "publishes to the stream, republishes included"),
        ("losses", relay.losses, "times the stream was found to have lost relayed events"),
        ("requeued", relay.requeued, "events queued again after those losses"),
    ):
        metric = f"crossdock_wms_intake_{name}_total"
        lines += [f"# HELP {metric} {help_text}", f"# TYPE {metric} counter", f"{metric} {value}"]
    return lines


def mount_operations(app: Starlette, bus: EventBus, bus_settings: BusSettings) -> None:
    """Add the bus and relay checks to ``/ready`` and serve ``/metrics``; other parts add
    their lines to ``app.state.metric_lines``."""
    relay: OutboxRelay = app.state.wms_intake_relay
    checks = app.state.ready_checks
    if bus_settings.redis_url:
        checks["events"] = bus.ping

    async def relaying() -> bool:
        return relay.state in ("starting", "running")

    checks["intake relay"] = relaying

    async def relay_metrics() -> list[str]:
        return relay_lines(relay)

    sources: list[MetricLines] = [relay_metrics]
    app.state.metric_lines = sources

    async def metrics(request: Request) -> Response:
        lines = [line for source in sources for line in await source()]
        return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")

    app.add_route("/metrics", metrics, methods=["GET"])
