"""Trace ids in log lines: a filter that adds ``trace_id`` and ``span_id`` to every record.

Outside a span (or with tracing off) both are empty strings, so a format may always name
them: ``%(trace_id)s``.
"""

from __future__ import annotations

import logging

from opentelemetry import trace

__all__ = ["LOG_FORMAT", "TraceIdFilter", "install_trace_ids"]

LOG_FORMAT = (
    "%(asctime)s %(levelname)s %(name)s [trace_id=%(trace_id)s span_id=%(span_id)s] %(message)s"
)


class TraceIdFilter(logging.Filter):
    """Sets ``record.trace_id`` (32 hex digits) and ``record.span_id`` (16) from the span
    current when the record is made; empty when there is none. Lets every record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            record.trace_id = f"{context.trace_id:032x}"
            record.span_id = f"{context.span_id:016x}"
        else:
            record.trace_id = record.span_id = ""
        return True


def install_trace_ids(handler: logging.Handler, *, fmt: str = LOG_FORMAT) -> None:
    """Give ``handler`` the filter and a format that shows the ids."""
    if not any(isinstance(f, TraceIdFilter) for f in handler.filters):
        handler.addFilter(TraceIdFilter())
    handler.setFormatter(logging.Formatter(fmt))
