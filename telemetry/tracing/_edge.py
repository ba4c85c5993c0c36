"""Sampling decided once, cheaply, where traces start (the gateway): most requests are sampled
out, and those should cost next to nothing.

The SDK's way makes a span object for every request, sampled or not (ids, a sampling result,
the attributes, a ``NonRecordingSpan`` for the dropped ones). With the default sampler,
``parentbased_traceidratio``, the decision for a request that starts a trace is a function of
its trace id alone (``trace_id & (2**64 - 1) < bound``), so the edge draws the id itself and
decides first: a sampled-out request gets a non-recording context with fresh ids (flags
``00``: the services below follow it and record nothing, and log lines still tell requests
apart) and no span; a sampled one hands the id it drew to the SDK (:class:`EdgeIds`), whose
sampler then reaches the same decision on it, so the ratio is applied once.
``OTEL_TRACES_SAMPLER`` naming another sampler turns this off: the SDK decides every request
itself (docs/tracing.md, "Overhead").
"""

from __future__ import annotations

import random

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import TraceIdRatioBased
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

__all__ = ["EdgeIds", "EdgeSampling"]

_NOT_SAMPLED = TraceFlags(TraceFlags.DEFAULT)


class EdgeIds(RandomIdGenerator):
    """The SDK's ids, except that the next trace id may be one already decided on."""

    def __init__(self) -> None:
        self.next_trace_id = 0

    def generate_trace_id(self) -> int:
        staged, self.next_trace_id = self.next_trace_id, 0
        return staged or super().generate_trace_id()


class EdgeSampling:
    """A root ratio sampler's decision taken before any span is made."""

    def __init__(self, ratio: float, ids: EdgeIds) -> None:
        self._bound = TraceIdRatioBased.get_bound_for_rate(ratio)
        self._ids = ids

    def sampled_out(self) -> Context | None:
        """Decide a new trace's sampling: the context to run a sampled-out request in (no span
        to make), or ``None`` when it is sampled, the id it drew staged for the span started
        next (synchronously: nothing may start another span in between)."""
        trace_id = random.getrandbits(128) or 1
        if trace_id & TraceIdRatioBased.TRACE_ID_LIMIT < self._bound:
            self._ids.next_trace_id = trace_id
            return None
        context = SpanContext(
            trace_id, random.getrandbits(64) or 1, is_remote=False, trace_flags=_NOT_SAMPLED
        )
        return trace.set_span_in_context(NonRecordingSpan(context))
