"""Counts kept as plain ``int`` fields of a record (``stats.parses += 1``) that also count into
prometheus-client counters once bound, so that several worker processes add up."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prometheus_client import Counter

from telemetry.metrics._registry import Metrics

__all__ = ["CountedFields", "count_fields"]


class CountedFields:
    """A mixin for a record of ``int`` counts: once :func:`count_fields` has bound it, every
    increase of a bound field is added to its counter as well. Unbound, it is the plain
    record (its fields read, compared and printed as before)."""

    def __setattr__(self, name: str, value: Any) -> None:
        counters: dict[str, Counter] | None = self.__dict__.get("_counters")
        if counters is not None and name in counters:
            increase = value - self.__dict__[name]
            if increase > 0:
                counters[name].inc(increase)
        object.__setattr__(self, name, value)


def count_fields(
    record: CountedFields, metrics: Metrics, names: Mapping[str, tuple[str, str]]
) -> None:
    """Bind each field of ``record`` in ``names`` to the counter ``(name, help)`` of
    ``metrics`` (``name`` without ``_total``), starting from the count it holds."""
    counters = {}
    for field, (name, help_text) in names.items():
        counter = counters[field] = metrics.counter(name, help_text)
        held = getattr(record, field)
        if held:
            counter.inc(held)
    object.__setattr__(record, "_counters", counters)
