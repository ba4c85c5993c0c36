"""What is streaming right now: open WebSockets and running operations, as Prometheus gauges."""

from __future__ import annotations

from dataclasses import dataclass, fields

__all__ = ["StreamGauges"]

_HELP = {
    "websocket_connections": "graphql-transport-ws sockets open now",
    "active_subscriptions": (
        "operations streaming now over WebSocket or server-sent events "
        "(subscriptions, and queries until their one result is sent)"
    ),
}


@dataclass
class StreamGauges:
    """Counts kept by the WebSocket and event-stream handlers (one event loop, no lock)."""

    websocket_connections: int = 0
    active_subscriptions: int = 0

    def prometheus_lines(self) -> list[str]:
        """Each gauge as ``crossdock_gateway_<field>`` in Prometheus' text format."""
        lines = []
        for field in fields(self):
            name = f"crossdock_gateway_{field.name}"
            lines += [
                f"# HELP {name} {_HELP[field.name]}",
                f"# TYPE {name} gauge",
                f"{name} {getattr(self, field.name)}",
            ]
        return lines
