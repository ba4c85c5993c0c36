"""A real OTLP/HTTP trace receiver on loopback: ``POST /v1/traces`` with protobuf bodies, decoded
with the protocol's own messages (opentelemetry-proto), every span kept for the test to read.

It answers as a collector does (200 with an empty ``ExportTraceServiceResponse``), so the
exporter under test is the production one, unchanged, talking HTTP to a socket.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from tests.support.waiting import wait_until

__all__ = ["OtlpReceiver", "ReceivedSpan", "otlp_receiver"]

_KINDS = {0: "UNSPECIFIED", 1: "INTERNAL", 2: "SERVER", 3: "CLIENT", 4: "PRODUCER", 5: "CONSUMER"}


def _value(value: AnyValue) -> object:
    which = value.WhichOneof("value")
    return None if which is None else getattr(value, which)


@dataclass(frozen=True)
class ReceivedSpan:
    """One span as the receiver decoded it: ids in lowercase hex, as in a ``traceparent``."""

    service: str
    name: str
    kind: str
    trace_id: str
    span_id: str
    parent_span_id: str  # "" for a root span
    attributes: dict[str, object]
    links: tuple[tuple[str, str], ...]  # (trace_id, span_id) of each link
    status_code: int  # 0 unset, 1 ok, 2 error


class OtlpReceiver:
    """What a running receiver has been sent; ``url`` is its base (for the OTEL_* variables)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.requests = 0
        self._spans: list[ReceivedSpan] = []
        self._lock = threading.Lock()

    def record(self, body: bytes) -> None:
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        found = []
        for resource_spans in request.resource_spans:
            resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
            service = str(resource.get("service.name", ""))
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    found.append(
                        ReceivedSpan(
                            service=service,
                            name=span.name,
                            kind=_KINDS.get(span.kind, str(span.kind)),
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_span_id=span.parent_span_id.hex(),
                            attributes={a.key: _value(a.value) for a in span.attributes},
                            links=tuple((k.trace_id.hex(), k.span_id.hex()) for k in span.links),
                            status_code=span.status.code,
                        )
                    )
        with self._lock:
            self.requests += 1
            self._spans.extend(found)

    @property
    def spans(self) -> list[ReceivedSpan]:
        with self._lock:
            return list(self._spans)

    def clear(self) -> None:
        with self._lock:
            self._spans.clear()
            self.requests = 0

    def wait_for(
        self, condition: Callable[[list[ReceivedSpan]], bool], *, timeout: float = 20.0, what: str
    ) -> list[ReceivedSpan]:
        """Every span received, once ``condition`` holds of them (fail after ``timeout``)."""
        wait_until(lambda: condition(self.spans), timeout=timeout, what=what)
        return self.spans


@contextmanager
def otlp_receiver() -> Iterator[OtlpReceiver]:
    """Run a receiver on an ephemeral loopback port for the block."""
    holder: list[OtlpReceiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            if self.path != "/v1/traces":
                self.send_response(404)
                self.end_headers()
                return
            holder[0].record(body)
            answer = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("content-type", "application/x-protobuf")
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    host, port = str(server.server_address[0]), int(server.server_address[1])
    holder.append(OtlpReceiver(f"http://{host}:{port}"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
