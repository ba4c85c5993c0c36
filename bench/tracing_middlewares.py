"""Our request-span middleware against opentelemetry-instrumentation-asgi, in-process: the CPU
one sampled request costs in each (span made and handed to an exporter that drops it).

    pip install --target /tmp/otel-asgi opentelemetry-instrumentation-asgi
    PYTHONPATH=/tmp/otel-asgi .venv/bin/python -m bench.tracing_middlewares

Why ``telemetry.tracing.TracingMiddleware`` is ours (docs/tracing.md): the instrumentation
makes a server span and one per ``http.send``/``http.receive``, and reads every header into
attributes. It is not a dependency of the project, hence the scratch install. A benchmark,
not a test.
"""

from __future__ import annotations

import asyncio
import importlib
import statistics
import time
from collections.abc import Sequence
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from telemetry.tracing import Tracing, TracingMiddleware

_REQUESTS = 3000


class _Drop(SpanExporter):
    def __init__(self) -> None:
        self.spans = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.spans += len(spans)
        return SpanExportResult.SUCCESS


async def _app(scope: Scope, receive: Receive, send: Send) -> None:
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


_SCOPE: dict[str, Any] = {
    "type": "http",
    "asgi": {"version": "3.0"},
    "http_version": "1.1",
    "method": "POST",
    "scheme": "http",
    "path": "/graphql",
    "raw_path": b"/graphql",
    "query_string": b"",
    "root_path": "",
    "headers": [
        (b"host", b"127.0.0.1:4000"),
        (b"content-type", b"application/json"),
        (b"content-length", b"100"),
        (b"user-agent", b"bench"),
    ],
    "client": ("127.0.0.1", 5000),
    "server": ("127.0.0.1", 4000),
}


async def _receive() -> Message:
    return {"type": "http.request", "body": b"x" * 100, "more_body": False}


async def _send(message: Message) -> None:
    pass


async def _cpu_per_request(app: ASGIApp) -> float:
    rounds = []
    for _ in range(5):
        started = time.process_time()
        for _ in range(_REQUESTS):
            await app(dict(_SCOPE), _receive, _send)
        rounds.append((time.process_time() - started) / _REQUESTS)
    return statistics.median(rounds)


async def _main() -> None:
    instrumentation = importlib.import_module("opentelemetry.instrumentation.asgi")
    exporter = _Drop()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing = Tracing("bench", provider.get_tracer("bench"), provider)
    bare = await _cpu_per_request(_app)
    rows = {
        "ours (telemetry.tracing)": TracingMiddleware(_app, tracing=tracing),
        "opentelemetry-instrumentation-asgi": instrumentation.OpenTelemetryMiddleware(
            _app, tracer_provider=provider
        ),
    }
    print(f"no middleware: {bare * 1e6:.1f} us a request")
    for name, app in rows.items():
        before = exporter.spans
        spent = await _cpu_per_request(app)
        spans = (exporter.spans - before) / (5 * _REQUESTS)
        print(f"{name}: +{(spent - bare) * 1e6:.1f} us a request, {spans:g} spans")


if __name__ == "__main__":
    asyncio.run(_main())
