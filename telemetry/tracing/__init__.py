"""OpenTelemetry traces for every service, off unless an OTLP endpoint is configured.

``Tracing.from_environment(service)`` reads the standard ``OTEL_*`` variables once per service;
``TracingMiddleware`` gives each HTTP request its server span (and the service's tracer to
everything the request runs); ``span`` opens a child span when there is a tracer, and is a
no-op otherwise; ``traceparent``/``context_of``/``link_to`` carry W3C trace context across
HTTP and the event streams; ``tracing_events``/``mark_event`` carry an event's context to the
subscription message that delivers it; ``TraceIdFilter`` puts the ids in log lines.
docs/tracing.md.
"""

from telemetry.tracing._asgi import TracingMiddleware
from telemetry.tracing._events import EVENT_TRACEPARENT, EventTrace, mark_event, tracing_events
from telemetry.tracing._logging import LOG_FORMAT, TraceIdFilter, install_trace_ids
from telemetry.tracing._propagation import (
    TRACEPARENT,
    context_of,
    link_to,
    trace_headers,
    traceparent,
)
from telemetry.tracing._setup import Tracing, tracing_configured
from telemetry.tracing._spans import (
    SpanKind,
    annotate,
    current_tracer,
    reset,
    span,
    span_after,
    using,
)

__all__ = [
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
