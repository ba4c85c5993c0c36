"""The package's public surface: what other packages may import from ``telemetry.tracing``,
and that ``telemetry`` itself stays a docstring (each kind of telemetry is its own module)."""

from __future__ import annotations

import telemetry
import telemetry.tracing


def test_public_surface() -> None:
    assert sorted(telemetry.tracing.__all__) == sorted(
        [
            "EVENT_TRACEPARENT",
            "LOG_FORMAT",
            "TRACEPARENT",
            "EventTrace",
            "SpanKind",
            "TraceIdFilter",
            "Tracing",
            "TracingMiddleware",
            "annotate",
            "context_of",
            "current_tracer",
            "install_trace_ids",
            "link_to",
            "mark_event",
            "reset",
            "span",
            "span_after",
            "trace_headers",
            "traceparent",
            "tracing_configured",
            "tracing_events",
            "using",
        ]
    )
    for name in telemetry.tracing.__all__:
        assert hasattr(telemetry.tracing, name), name


def test_the_telemetry_package_exports_nothing_itself() -> None:
    assert not hasattr(telemetry, "__all__")
