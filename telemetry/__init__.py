"""Technical telemetry shared by every service (the gateway, the graph and the systems): traces
(``telemetry.tracing``, docs/tracing.md) and metrics (``telemetry.metrics``, docs/metrics.md).
Generic: it imports none of our packages."""
