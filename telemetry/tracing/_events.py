"""The trace context of each subscription event, from the code that yields it to the message
that carries it.

A subgraph's subscription yields events produced elsewhere (a webhook's milestone, through the
outbox and the bus); the gateway resolves each one (entity fetches) long after the socket
opened, so a span of its own there belongs in the producer's trace, not the socket's. The
subgraph sends the context in the ``next`` payload's ``extensions`` (``traceparent``: the
delivery span's, :data:`EVENT_TRACEPARENT`), and the gateway continues it (docs/tracing.md,
"Subscriptions").

Between the code that yields an event (a feed, deep in a resolver's generator) and the
transport that writes its message, a per-operation :class:`EventTrace` holder travels in a
context variable: the transport sets one when the operation starts (:func:`tracing_events`),
the generator marks each event on it (:func:`mark_event`), the transport takes it with the
result (:meth:`EventTrace.take`). A holder rather than the value, because the executor may
run each step of the generator in a task of its own, whose context is a copy: a variable set
there would be lost, a holder set before is shared.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["EVENT_TRACEPARENT", "EventTrace", "mark_event", "tracing_events"]

EVENT_TRACEPARENT = "traceparent"
"""The key of an event's W3C ``traceparent`` in a subscription result's ``extensions``."""


class EventTrace:
    """The ``traceparent`` of the event an operation yields next (``None``: none known)."""

    __slots__ = ("traceparent",)

    def __init__(self) -> None:
        self.traceparent: str | None = None

    def take(self) -> str | None:
        """The mark of the event just yielded, cleared (the next event marks its own)."""
        found, self.traceparent = self.traceparent, None
        return found


_CURRENT: ContextVar[EventTrace | None] = ContextVar("crossdock_event_trace", default=None)


@contextmanager
def tracing_events() -> Iterator[EventTrace]:
    """A holder for the events of the operation run in the block (in this context)."""
    holder = EventTrace()
    token = _CURRENT.set(holder)
    try:
        yield holder
    finally:
        _CURRENT.reset(token)


def mark_event(traceparent: str | None) -> None:
    """Say that the event about to be yielded was produced under ``traceparent`` (nothing when
    there is none, or no transport carries it: one context-variable read)."""
    if traceparent is None:
        return
    holder = _CURRENT.get()
    if holder is not None:
        holder.traceparent = traceparent
