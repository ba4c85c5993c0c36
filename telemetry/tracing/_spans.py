"""Child spans under whatever span is current, made with the tracer of the service running.

The tracer travels in a context variable that ``TracingMiddleware`` (or a background task
that ``using`` a service's tracing) sets: code below the faces (connectors, workflows,
consumers) opens spans without knowing which service it runs in, and where no tracer was set
(tracing off) :func:`span` costs one context-variable read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from contextvars import ContextVar, Token

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, Span, SpanKind, Tracer
from opentelemetry.util.types import AttributeValue

from telemetry.tracing._propagation import context_of, link_to
from telemetry.tracing._setup import Tracing

__all__ = ["SpanKind", "annotate", "current_tracer", "reset", "span", "span_after", "using"]

_TRACER: ContextVar[Tracer | None] = ContextVar("crossdock_tracer", default=None)


def current_tracer() -> Tracer | None:
    """The tracer of the service this code runs for (``None``: tracing off)."""
    return _TRACER.get()


def using(tracing: Tracing) -> Token[Tracer | None]:
    """Make ``tracing``'s tracer the current one in this context (and the tasks it starts)."""
    return _TRACER.set(tracing.tracer)


def reset(token: Token[Tracer | None]) -> None:
    _TRACER.reset(token)


_NO_SPAN: AbstractContextManager[None] = nullcontext()
"""What :func:`span` returns when no span is made: one shared, do-nothing context manager (no
generator to make and run for each sampled-out fetch)."""


def span(
    name: str,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Mapping[str, AttributeValue] | None = None,
    links: Sequence[Link] = (),
    context: Context | None = None,
) -> AbstractContextManager[Span | None]:
    """A span ``name`` as the current one for the block (a child of the current span, or of
    ``context`` when given), ended with the block; an exception escaping it is recorded and
    sets the span's status to error. ``None`` and no span at all when tracing is off, or when
    the current span was sampled out (the decision made where the trace began holds)."""
    tracer = _TRACER.get()
    if tracer is None:
        return _NO_SPAN
    if context is None:
        parent = trace.get_current_span().get_span_context()
        if parent.is_valid and not parent.trace_flags.sampled:
            # Sampled out upstream (the gateway decided): a child would not be recorded
            # either, and what goes downstream is the parent's context all the same.
            return _NO_SPAN
    return tracer.start_as_current_span(
        name, context=context, kind=kind, attributes=attributes, links=links
    )


def annotate(attributes: Mapping[str, AttributeValue | None]) -> None:
    """Set ``attributes`` (those not ``None``) on the current span, if it is recorded."""
    if _TRACER.get() is None:
        return
    current = trace.get_current_span()
    if current.is_recording():
        current.set_attributes({k: v for k, v in attributes.items() if v is not None})


def span_after(
    name: str,
    produced_by: str | None,
    *,
    kind: SpanKind = SpanKind.CONSUMER,
    attributes: Mapping[str, AttributeValue] | None = None,
) -> AbstractContextManager[Span | None]:
    """A span for work on an event whose producer's span ``produced_by`` names (its
    ``traceparent``): a child of it, so that the producer's trace and sampling decision go on
    through the event stream, and linked to it, as the messaging conventions have consumers
    point at their message's creation. A root span without one; nothing when tracing is off."""
    if _TRACER.get() is None:
        return nullcontext()
    return span(
        name,
        kind=kind,
        attributes=attributes,
        context=context_of(produced_by),
        links=link_to(produced_by),
    )
