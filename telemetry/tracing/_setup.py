"""One service's tracing, set up from the standard ``OTEL_*`` variables, or off.

Tracing is on only when an OTLP endpoint is named (``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` or
``OTEL_EXPORTER_OTLP_ENDPOINT``) and ``OTEL_SDK_DISABLED`` is not true, and
``OTEL_TRACES_EXPORTER`` is not ``none``. Off, a service has no tracer at all: no span is made,
nothing is sent, and its requests take no middleware (docs/tracing.md, "Overhead").

Several services may share one process (``crossdock up`` serves them all on one event loop),
so each has its own ``TracerProvider`` with its own ``service.name``; ``OTEL_SERVICE_NAME``
replaces that name in every one of them (for a process that serves one service).
The sampler, unless ``OTEL_TRACES_SAMPLER`` names another, is ``parentbased_traceidratio``
with ``OTEL_TRACES_SAMPLER_ARG`` as its ratio (1.0 without it): the gateway, where traces
start, decides once, and every service below follows the ``traceparent`` it is sent.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from opentelemetry.trace import Tracer

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

    from telemetry.tracing._edge import EdgeSampling

__all__ = ["Tracing", "tracing_configured"]

logger = logging.getLogger(__name__)

_ENDPOINTS = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
_NAMESPACE = "crossdock"
_INSTRUMENTATION = "crossdock"


def tracing_configured(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the environment turns tracing on (see the module docstring)."""
    env = os.environ if environ is None else environ
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    if env.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() == "none":
        return False
    return any(env.get(name, "").strip() for name in _ENDPOINTS)


def _ratio(env: Mapping[str, str]) -> float:
    raw = env.get("OTEL_TRACES_SAMPLER_ARG", "").strip()
    if not raw:
        return 1.0
    try:
        ratio = float(raw)
    except ValueError:
        ratio = -1.0
    if not 0.0 <= ratio <= 1.0:
        logger.warning("OTEL_TRACES_SAMPLER_ARG=%r is not a ratio in [0, 1]: sampling all", raw)
        return 1.0
    return ratio


class Tracing:
    """A service's tracer and the provider that exports its spans; both ``None`` when off."""

    def __init__(
        self,
        service: str,
        tracer: Tracer | None = None,
        provider: TracerProvider | None = None,
        edge_sampling: EdgeSampling | None = None,
    ) -> None:
        self.service = service
        self.tracer = tracer
        self._provider = provider
        # The default sampler's decision for a new trace, taken before any span is made
        # (None: another sampler decides every span itself).
        self.edge_sampling = edge_sampling

    @property
    def enabled(self) -> bool:
        return self.tracer is not None

    @classmethod
    def from_environment(cls, service: str) -> Tracing:
        """Service ``service``'s tracing as the process's ``OTEL_*`` variables configure it
        (or off). The SDK reads them too (exporter, batching, resource), so they are read
        from ``os.environ`` only, when the service is built."""
        env = os.environ
        if not tracing_configured(env):
            return cls(service)
        # Imported only when on: a service without tracing never loads the SDK.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

        from telemetry.tracing._edge import EdgeIds, EdgeSampling

        attributes: dict[str, str] = {"service.namespace": _NAMESPACE}
        if not env.get("OTEL_SERVICE_NAME", "").strip():
            attributes["service.name"] = service
        # Resource.create adds OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME.
        resource = Resource.create(attributes)
        edge_sampling = None
        if env.get("OTEL_TRACES_SAMPLER", "").strip():
            provider = TracerProvider(resource=resource, shutdown_on_exit=False)
        else:
            ratio = _ratio(env)
            ids = EdgeIds()
            edge_sampling = EdgeSampling(ratio, ids)
            provider = TracerProvider(
                resource=resource,
                sampler=ParentBased(TraceIdRatioBased(ratio)),
                id_generator=ids,
                shutdown_on_exit=False,
            )
        # The exporter reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, _HEADERS, _TIMEOUT...; the
        # batch processor OTEL_BSP_SCHEDULE_DELAY and the other OTEL_BSP_* variables.
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        return cls(service, provider.get_tracer(_INSTRUMENTATION), provider, edge_sampling)

    def force_flush(self, timeout_millis: int = 5000) -> bool:
        """Export every span ended so far; whether that finished in time."""
        return self._provider is None or self._provider.force_flush(timeout_millis)

    def shutdown(self) -> None:
        """Export what is left and stop the exporter's thread; tracing is off afterwards."""
        provider, self._provider, self.tracer = self._provider, None, None
        self.edge_sampling = None
        if provider is not None:
            provider.shutdown()
