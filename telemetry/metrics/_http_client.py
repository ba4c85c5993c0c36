"""``http.client.request.duration``: the time of each call a service makes to a system behind it,
by system, method, URL template and the status it answered."""

from __future__ import annotations

import re

from telemetry.metrics._labels import CappedLabel
from telemetry.metrics._registry import Metrics

__all__ = ["HTTP_CLIENT_DURATION", "ClientCalls", "url_template"]

HTTP_CLIENT_DURATION = "http_client_request_duration_seconds"

# A path segment with a digit in it names a record (SO-100100, 42, a UUID), not a collection.
_RECORD = re.compile(r"[^/]*\d[^/]*")


def url_template(path: str) -> str:
    """``/salesOrders/SO-100100/lines`` as ``/salesOrders/{id}/lines``: one series per kind of
    call, not per record (OpenTelemetry's ``url.template``)."""
    return _RECORD.sub("{id}", path.split("?", 1)[0])


class ClientCalls:
    """Records the calls of every client given it into one histogram of ``metrics``."""

    def __init__(self, metrics: Metrics, *, templates: int = 200) -> None:
        self._duration = metrics.histogram(
            HTTP_CLIENT_DURATION,
            "duration of the calls to the systems behind this service, retries included",
            ("system", "http_request_method", "url_template", "http_response_status_code"),
        )
        # Templates come from our code, but a record id without a digit would pass as one.
        self._templates = CappedLabel(templates)

    def observe(
        self, system: str, method: str, path: str, status: int | None, seconds: float
    ) -> None:
        """One call; ``status`` ``None`` when no answer came (refused, timed out, stopped)."""
        self._duration.labels(
            system,
            method,
            self._templates(url_template(path)),
            "" if status is None else str(status),
        ).observe(seconds)
