"""What is streaming right now: open WebSockets and running operations, as Prometheus gauges."""

from __future__ import annotations

from telemetry.metrics import Metrics

__all__ = ["StreamGauges"]

_HELP = {
    "websocket_connections": "graphql-transport-ws sockets open now",
    "active_subscriptions": (
        "operations streaming now over WebSocket or server-sent events "
        "(subscriptions, and queries until their one result is sent)"
    ),
}


class StreamGauges:
    """Counts kept by the WebSocket and event-stream handlers (one event loop, no lock), each
    the gauge ``crossdock_gateway_<name>`` of ``metrics``: with several worker processes
    (``PROMETHEUS_MULTIPROC_DIR``), the sum over the live ones."""

    def __init__(self, metrics: Metrics) -> None:
        self._gauges = {
            name: metrics.gauge(f"crossdock_gateway_{name}", help_text, multiprocess_mode="livesum")
            for name, help_text in _HELP.items()
        }
        for gauge in self._gauges.values():
            gauge.set(0)  # shown before the first socket
        self._websocket_connections = 0
        self._active_subscriptions = 0

    @property
    def websocket_connections(self) -> int:
        return self._websocket_connections

    @websocket_connections.setter
    def websocket_connections(self, value: int) -> None:
        self._websocket_connections = value
        self._gauges["websocket_connections"].set(value)

    @property
    def active_subscriptions(self) -> int:
        return self._active_subscriptions

    @active_subscriptions.setter
    def active_subscriptions(self, value: int) -> None:
        self._active_subscriptions = value
        self._gauges["active_subscriptions"].set(value)
