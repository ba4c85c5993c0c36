"""The gateway's ``/metrics``: its counters as they were named before, then (unless
``metrics_histograms`` is off) the time of every request, operation and subgraph fetch and the
errors by code, in OpenTelemetry's names (docs/metrics.md)."""

from __future__ import annotations

from collections.abc import Iterable

from gateway.demand import DemandMetrics
from gateway.documents import DOCUMENT_COUNTERS, DocumentStats
from gateway.engine import GatewayStats, RequestOutcome
from gateway.executor import SubgraphTransport
from telemetry.metrics import CappedLabel, Metric, Metrics, count_fields, text_families

__all__ = ["COUNTERS", "GatewayMetrics"]

COUNTERS = {
    "requests": "GraphQL requests the engine ran or refused",
    "parses": "query texts parsed (a known text is not parsed again)",
    "validations": "parsed documents validated against the API schema",
    "document_cache_hits": "requests whose query text was already parsed and validated",
    "plans_built": "query plans built (a known operation is not planned again)",
    "plan_cache_hits": "requests whose plan came from the plan cache",
    "queries_shared": "queries answered by an identical query's execution already in flight",
}
_FETCHES_SHARED = "crossdock_gateway_subgraph_fetches_shared_total"
OPERATION_DURATION = "graphql_server_operation_duration_seconds"
FETCH_DURATION = "subgraph_fetch_duration_seconds"
ERRORS = "graphql_errors"
# Error codes come from the gateway and the subgraphs, not the client; bounded all the same.
_ERROR_CODES = 100


def _shared_lines(fetches_shared: int) -> list[str]:
    """The subgraph fetches shared with an identical one in flight, as a Prometheus counter."""
    name, help_text = _FETCHES_SHARED, "subgraph fetches answered by an identical fetch in flight"
    return [f"# HELP {name} {help_text}", f"# TYPE {name} counter", f"{name} {fetches_shared}"]


def _names(helps: dict[str, str]) -> dict[str, tuple[str, str]]:
    return {field: (f"crossdock_gateway_{field}", text) for field, text in helps.items()}


class GatewayMetrics:
    """What one gateway app records and serves on ``/metrics``."""

    def __init__(
        self,
        metrics: Metrics,
        *,
        histograms: bool = True,
        operation_names: int = 100,
    ) -> None:
        self.metrics = metrics
        self.histograms = histograms
        self._operations = metrics.histogram(
            OPERATION_DURATION,
            "duration of GraphQL operations answered with one response (POST and GET)",
            ("graphql_operation_name", "graphql_operation_type"),
        )
        self._fetches = metrics.histogram(
            FETCH_DURATION, "duration of the gateway's fetches from each subgraph", ("subgraph",)
        )
        self._errors = metrics.counter(
            ERRORS, "errors in GraphQL responses, by extensions.code", ("code",)
        )
        self._names = CappedLabel(operation_names)
        self._codes = CappedLabel(_ERROR_CODES)

    def serve(
        self,
        stats: GatewayStats,
        transport: SubgraphTransport,
        demand: DemandMetrics,
        documents: DocumentStats,
    ) -> None:
        """Serve the gateway's counters: the engine's and the documents' as counters of the
        registry (summed across worker processes), the shared fetches and demand control's
        numbers as read when ``/metrics`` is read (the answering process's); and, with
        ``histograms``, time ``transport``'s fetches."""
        count_fields(stats, self.metrics, _names(COUNTERS))
        count_fields(documents, self.metrics, _names(DOCUMENT_COUNTERS))

        def families() -> Iterable[Metric]:
            lines = _shared_lines(transport.fetches_shared) + demand.prometheus_lines()
            return text_families("\n".join(lines) + "\n")

        self.metrics.collect(families)
        if self.histograms:
            transport.on_fetch = self.fetch

    def fetch(self, subgraph: str, seconds: float) -> None:
        self._fetches.labels(subgraph).observe(seconds)

    def operation(self, request_name: str | None, outcome: RequestOutcome, seconds: float) -> None:
        """One operation answered; its name is the operation's (or the one the request
        asked for, or the trusted document's id), capped at ``operation_names``."""
        if not self.histograms:
            return
        name = outcome.operation_name or request_name or ""
        kind = outcome.operation_type or "unknown"
        self._operations.labels(self._names(name), kind).observe(seconds)
        for error in outcome.response.get("errors") or ():
            extensions = error.get("extensions") or {}
            code = extensions.get("code") if isinstance(extensions, dict) else None
            self._errors.labels(self._codes(code if isinstance(code, str) else "")).inc()
