"""Prometheus metrics for any of our services, in OpenTelemetry's names.

- ``_registry``: ``Metrics``, one service's own registry (never the process-global one), its
  families made once by name, values read when ``/metrics`` is read (``gauge_family``,
  ``text_families``), and the exposition, across processes when ``PROMETHEUS_MULTIPROC_DIR``
  is set.
- ``_labels``: ``CappedLabel``, a bound on the values a client-chosen label takes.
- ``_counted``: ``CountedFields``, a record of ``int`` counts that also counts into counters
  once bound (``count_fields``).
- ``_http_server``: ``HttpServerMetrics``, the ASGI middleware timing every request by route
  (``http_server_request_duration_seconds``), and ``metrics_route``, ``GET /metrics``.
- ``_http_client``: ``ClientCalls``, the time of each call a service makes to a system behind
  it (``http_client_request_duration_seconds``).
"""

from telemetry.metrics._counted import CountedFields, count_fields
from telemetry.metrics._http_client import ClientCalls, url_template
from telemetry.metrics._http_server import HTTP_SERVER_DURATION, HttpServerMetrics, metrics_route
from telemetry.metrics._labels import OTHER, CappedLabel
from telemetry.metrics._registry import (
    CONTENT_TYPE,
    MULTIPROCESS_DIR_ENV,
    SECONDS_BUCKETS,
    Metric,
    Metrics,
    gauge_family,
    text_families,
)

__all__ = [
    "CONTENT_TYPE",
    "HTTP_SERVER_DURATION",
    "MULTIPROCESS_DIR_ENV",
    "OTHER",
    "SECONDS_BUCKETS",
    "CappedLabel",
    "ClientCalls",
    "CountedFields",
    "HttpServerMetrics",
    "Metric",
    "Metrics",
    "count_fields",
    "gauge_family",
    "metrics_route",
    "text_families",
    "url_template",
]
