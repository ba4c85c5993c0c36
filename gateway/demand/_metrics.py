"""Demand control's numbers in Prometheus' text format: estimated and actual costs as
histograms, results and refusals counted by code."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = ["CostHistogram", "DemandMetrics"]

# Costs span orders of magnitude (Apollo's documentation suggests these buckets).
_BUCKETS = (0.0, 10.0, 100.0, 1_000.0, 10_000.0, 100_000.0, 1_000_000.0, 10_000_000.0)


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return str(int(value)) if value.is_integer() else repr(value)


@dataclass
class CostHistogram:
    """Observations by upper bound (each counts in every bucket at or above it)."""

    counts: list[int] = field(default_factory=lambda: [0] * len(_BUCKETS))
    total: float = 0.0
    count: int = 0

    def observe(self, value: float) -> None:
        for index, bound in enumerate(_BUCKETS):
            if value <= bound:
                self.counts[index] += 1
        self.total += value
        self.count += 1

    def lines(self, name: str, help_text: str) -> list[str]:
        lines = [f"# HELP {name} {help_text}", f"# TYPE {name} histogram"]
        lines += [
            f'{name}_bucket{{le="{_number(bound)}"}} {count}'
            for bound, count in zip(_BUCKETS, self.counts, strict=True)
        ]
        lines += [
            f'{name}_bucket{{le="+Inf"}} {self.count}',
            f"{name}_sum {_number(self.total)}",
            f"{name}_count {self.count}",
        ]
        return lines


@dataclass
class DemandMetrics:
    """Kept by :class:`DemandControl` for the gateway's lifetime (one event loop, no lock)."""

    estimated: CostHistogram = field(default_factory=CostHistogram)
    actual: CostHistogram = field(default_factory=CostHistogram)
    # COST_OK, COST_ESTIMATED_TOO_EXPENSIVE, COST_ACTUAL_TOO_EXPENSIVE,
    # COST_QUERY_PARSE_FAILURE: what was found, in either mode.
    results: dict[str, int] = field(default_factory=dict)
    # What was refused for it (enforce mode only).
    refused: dict[str, int] = field(default_factory=dict)

    def result(self, code: str) -> None:
        self.results[code] = self.results.get(code, 0) + 1

    def refusal(self, code: str) -> None:
        self.refused[code] = self.refused.get(code, 0) + 1

    def prometheus_lines(self) -> list[str]:
        lines = self.estimated.lines(
            "crossdock_gateway_cost_estimated",
            "estimated cost of each operation, computed before any fetch",
        )
        lines += self.actual.lines(
            "crossdock_gateway_cost_actual", "actual cost of each response, from what it holds"
        )
        for name, label, counts, help_text in (
            (
                "crossdock_gateway_cost_results_total",
                "result",
                self.results,
                "demand control results by code (COST_OK or why it was over), in either mode",
            ),
            (
                "crossdock_gateway_cost_refused_total",
                "code",
                self.refused,
                "operations refused by demand control (enforce mode), by error code",
            ),
        ):
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} counter"]
            lines += [f'{name}{{{label}="{code}"}} {counts[code]}' for code in sorted(counts)]
        return lines
