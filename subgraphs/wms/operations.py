"""What the wms subgraph tells operators beside its graph: the readiness of its event bus and
of its webhook intake's relay, and the relay's state in ``/metrics`` (to which what runs
beside it adds its own: the milestone consumers under ``crossdock up``)."""

from __future__ import annotations

from starlette.applications import Starlette

from events.base import EventBus
from events.factory import BusSettings
from events.metrics import bus_families
from events.relay import OutboxRelay
from telemetry.metrics import Metric, Metrics, text_families

__all__ = ["mount_operations", "relay_lines"]


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
    """Add the bus and relay checks to ``/ready``, and the relay and where every consumer
    group of the bus stands (``events.metrics``) to ``/metrics``."""
    relay: OutboxRelay = app.state.wms_intake_relay
    checks = app.state.ready_checks
    if bus_settings.redis_url:
        checks["events"] = bus.ping

    async def relaying() -> bool:
        return relay.state in ("starting", "running")

    checks["intake relay"] = relaying

    metrics: Metrics = app.state.metrics
    metrics.collect(lambda: text_families("\n".join(relay_lines(relay)) + "\n"))

    async def groups() -> list[Metric]:
        return await bus_families(bus)

    metrics.collect_async(groups)
