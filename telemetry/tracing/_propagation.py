"""W3C trace context (``traceparent``, ``tracestate``) across HTTP and the event streams.

Only W3C Trace Context, whatever ``OTEL_PROPAGATORS`` says: it is what every hop here speaks,
and what an event entry keeps. A sampled-out request still sends its ``traceparent`` (flags
``00``), so the services below, which follow their parent's decision, record nothing for it.
"""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import INVALID_SPAN_CONTEXT, Link, SpanContext
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

__all__ = ["TRACEPARENT", "context_of", "link_to", "trace_headers", "traceparent"]

TRACEPARENT = "traceparent"
_TRACESTATE = "tracestate"
_W3C = TraceContextTextMapPropagator()


def traceparent() -> str | None:
    """The current span's ``traceparent``, or ``None`` when no span is current."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"


_NO_HEADERS: Mapping[str, str] = {}
# The last span context's headers: a request's fetches (and a workflow's system calls) ask
# for the same context's headers one after another, so they are formatted once for all.
_last: tuple[SpanContext, Mapping[str, str]] = (INVALID_SPAN_CONTEXT, _NO_HEADERS)


def trace_headers() -> Mapping[str, str]:
    """The headers that carry the current span's context to a service called now (none when
    no span is current). Read-only: the same mapping is handed to every call made under
    one span."""
    global _last
    context = trace.get_current_span().get_span_context()
    last_context, last_headers = _last
    if context is last_context:
        return last_headers
    if not context.is_valid:
        return _NO_HEADERS
    headers = {
        TRACEPARENT: f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"
    }
    if context.trace_state:
        headers[_TRACESTATE] = context.trace_state.to_header()
    _last = (context, headers)
    return headers


def context_of(carrier: Mapping[str, str] | str | None) -> Context | None:
    """The parent context a ``traceparent`` (a string, or headers holding one) names, or
    ``None`` when there is none or it is malformed (a new trace starts then)."""
    if carrier is None:
        return None
    headers = {TRACEPARENT: carrier} if isinstance(carrier, str) else carrier
    if not headers.get(TRACEPARENT):
        return None
    context = _W3C.extract(headers)
    if not trace.get_current_span(context).get_span_context().is_valid:
        return None
    return context


def link_to(value: str | None) -> list[Link]:
    """A span link to the span a ``traceparent`` names (none for ``None`` or a bad one): how a
    consumer's or a subscriber's span points at the span that produced its event."""
    context = context_of(value)
    if context is None:
        return []
    return [Link(trace.get_current_span(context).get_span_context())]
