"""The gateway's ``/metrics``: its counters as they were named before, then (unless
``metrics_histograms`` is off) the time of every request, operation, subscription event and
subgraph fetch and the errors by code, in OpenTelemetry's names (docs/metrics.md).

An operation is timed on every transport: one response (POST, GET) from the text resolved to
the response made; a stream of them (server-sent events, WebSockets, ``@defer``'s multipart
parts) to its last response made. A subscription is no operation that ends on its own: it is
timed per event (the gateway's resolution of it, the entity fetches) and, when it ends, its
lifetime, each in a histogram of its own."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncGenerator, Callable, Iterable

from gateway.demand import DemandMetrics
from gateway.documents import DOCUMENT_COUNTERS, DocumentStats
from gateway.engine import Gateway, GatewayStats, RequestOutcome, StreamOutcome
from gateway.executor import SubgraphTransport
from gateway.wire import GraphQLRequest, GraphQLResponse
from telemetry.metrics import CappedLabel, Metric, Metrics, count_fields, text_families

__all__ = ["COUNTERS", "GatewayMetrics", "requested_name"]

COUNTERS = {
    "requests": "GraphQL requests the engine ran or refused",
    "parses": "query texts parsed (a known text is not parsed again)",
    "validations": "parsed documents validated against the API schema",
    "document_cache_hits": "requests whose query text was already parsed and validated",
    "plans_built": "query plans built (a known operation is not planned again)",
    "plan_cache_hits": "requests whose plan came from the plan cache",
    "queries_shared": "queries answered by an identical query's execution already in flight",
    "executions_refused": "queries and mutations refused before they ran (GATEWAY_OVERLOADED, "
    "503): every execution slot taken and the line for one full (max_executions_queued)",
}
_FETCHES_SHARED = "crossdock_gateway_subgraph_fetches_shared_total"
OPERATION_DURATION = "graphql_server_operation_duration_seconds"
FETCH_DURATION = "subgraph_fetch_duration_seconds"
ERRORS = "graphql_errors"
SUBSCRIPTION_EVENT_DURATION = "graphql_server_subscription_event_duration_seconds"
SUBSCRIPTION_DURATION = "graphql_server_subscription_duration_seconds"
EXECUTIONS_IN_FLIGHT = "crossdock_gateway_executions_in_flight"
EXECUTIONS_QUEUED = "crossdock_gateway_executions_queued"
EXECUTION_WAIT = "crossdock_gateway_execution_wait_duration_seconds"
# A subscription lasts from seconds to days.
_LIFETIME_BUCKETS = (1.0, 10.0, 60.0, 300.0, 900.0, 3600.0, 4 * 3600.0, 12 * 3600.0, 86400.0)
# Error codes come from the gateway and the subgraphs, not the client; bounded all the same.
_ERROR_CODES = 100


def _shared_lines(fetches_shared: int) -> list[str]:
    """The subgraph fetches shared with an identical one in flight, as a Prometheus counter."""
    name, help_text = _FETCHES_SHARED, "subgraph fetches answered by an identical fetch in flight"
    return [f"# HELP {name} {help_text}", f"# TYPE {name} counter", f"{name} {fetches_shared}"]


def requested_name(body: GraphQLRequest) -> str | None:
    """The operation a request names: its ``operationName``, else its trusted document's id
    (``documentId``, ``doc_id``), which only the manifest's ids pass."""
    for key in ("operationName", "documentId", "doc_id"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    return None


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
            "duration of GraphQL operations, to their last response (subscriptions aside)",
            ("graphql_operation_name", "graphql_operation_type"),
        )
        self._events = metrics.histogram(
            SUBSCRIPTION_EVENT_DURATION,
            "time the gateway took to resolve each subscription event (its entity fetches)",
            ("graphql_operation_name",),
        )
        self._lifetimes = metrics.histogram(
            SUBSCRIPTION_DURATION,
            "lifetime of subscriptions, from their start to their end",
            ("graphql_operation_name",),
            _LIFETIME_BUCKETS,
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

    def serve_subscriptions(self, gateway: Gateway) -> None:
        """With ``histograms``, time each subscription event ``gateway`` resolves."""
        if self.histograms:
            gateway.on_subscription_event = self.subscription_event

    def serve_executions(self, gateway: Gateway) -> None:
        """The executions running and waiting in line now (``max_executions_in_flight``), as
        gauges summed over worker processes (0 without a cap); with ``histograms``, how long
        each request that had to wait in line waited."""
        running = self.metrics.gauge(
            EXECUTIONS_IN_FLIGHT, "queries and mutations executing now, each shared one once"
        )
        queued = self.metrics.gauge(
            EXECUTIONS_QUEUED, "queries and mutations waiting for an execution slot now"
        )
        running.set(0)
        queued.set(0)
        slots = gateway.executions
        if slots is None:
            return

        def changed(now_running: int, now_queued: int) -> None:
            running.set(now_running)
            queued.set(now_queued)

        slots.on_change = changed
        if self.histograms:
            slots.on_wait = self.metrics.histogram(
                EXECUTION_WAIT,
                "time requests waited in line for an execution slot (only those that waited), "
                "until they got one, their deadline passed or they left",
                (),
            ).observe

    def subscription_event(self, operation_name: str | None) -> Callable[[float], None]:
        """What times each event of a subscription of ``operation_name`` (its series found
        once, when it starts, not per event)."""
        return self._events.labels(self._names(operation_name or "")).observe

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
        self._count_errors(outcome.response)

    def _count_errors(self, response: GraphQLResponse) -> None:
        for error in response.get("errors") or ():
            extensions = error.get("extensions") or {}
            code = extensions.get("code") if isinstance(extensions, dict) else None
            self._errors.labels(self._codes(code if isinstance(code, str) else "")).inc()

    def stream(
        self, request_name: str | None, outcome: StreamOutcome, started: float
    ) -> StreamOutcome:
        """``outcome`` with its responses timed (``started``: ``time.perf_counter()`` when
        the request was taken up) and their errors counted; a refusal recorded as
        :meth:`operation` records it. As it is without ``histograms``."""
        if not self.histograms:
            return outcome
        if outcome.refused is not None:
            self.operation(request_name, outcome.refused, time.perf_counter() - started)
            return outcome
        responses = outcome.responses
        assert responses is not None
        name = self._names(outcome.operation_name or request_name or "")
        if outcome.operation_type == "subscription":
            timed = self._counted(
                responses,
                ended=lambda: self._lifetimes.labels(name).observe(time.perf_counter() - started),
            )
        else:
            # Timed to its last response made: its only one, or the part without
            # ``hasNext`` (not when the client left before it).
            kind = outcome.operation_type or "unknown"
            timed = self._counted(
                responses,
                last=lambda: self._operations.labels(name, kind).observe(
                    time.perf_counter() - started
                ),
            )
        return dataclasses.replace(outcome, responses=timed)

    async def _counted(
        self,
        responses: AsyncGenerator[GraphQLResponse, None],
        *,
        last: Callable[[], None] | None = None,
        ended: Callable[[], None] | None = None,
    ) -> AsyncGenerator[GraphQLResponse, None]:
        """``responses`` with their errors counted; ``last()`` called at the response without
        ``hasNext``, ``ended()`` when the stream ends however it ends (completed, failed, the
        client left): a subscription's lifetime."""
        try:
            while True:
                try:
                    response = await anext(responses)
                except StopAsyncIteration:
                    break
                self._count_errors(response)
                if last is not None and not response.get("hasNext"):
                    last()
                yield response
                # An idle subscription must not keep its last response (nor this frame).
                del response
        finally:
            if ended is not None:
                ended()
            await responses.aclose()
