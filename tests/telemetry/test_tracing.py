"""``telemetry.tracing`` on a small app served on loopback, exporting to a real OTLP/HTTP
receiver: when tracing is on, what a request's span is, whose decision it follows, which
standard variables count, and the trace ids in its log lines."""

from __future__ import annotations

import io
import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from telemetry.tracing import (
    TraceIdFilter,
    Tracing,
    TracingMiddleware,
    install_trace_ids,
    span,
    trace_headers,
    tracing_configured,
)
from tests.support.otlp import OtlpReceiver, ReceivedSpan, otlp_receiver
from tests.support.servers import serve

ENDPOINT = "http://127.0.0.1:1"


@pytest.mark.parametrize(
    ("env", "on"),
    [
        ({}, False),
        ({"OTEL_TRACES_SAMPLER": "always_on", "OTEL_SERVICE_NAME": "x"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": ENDPOINT + "/v1/traces"}, True),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT, "OTEL_SDK_DISABLED": "true"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT, "OTEL_TRACES_EXPORTER": "none"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": " "}, False),
    ],
)
def test_tracing_is_on_only_with_an_otlp_endpoint_and_the_sdk_enabled(
    env: dict[str, str], on: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert tracing_configured(env) is on
    only_otel(monkeypatch, env)
    tracing = Tracing.from_environment("svc")
    assert tracing.enabled is on
    tracing.shutdown()


log = logging.getLogger("tests.telemetry.app")


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.addFilter(TraceIdFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def app(tracing: Tracing, edge: bool = False) -> Starlette:
    async def work(request: Request) -> Response:
        with span("inner work"):
            log.warning("working")
            headers = trace_headers()
        return PlainTextResponse(headers.get("traceparent", ""))

    async def fail(request: Request) -> Response:
        return PlainTextResponse("no", status_code=503)

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route("/work", work),
            Route("/fail", fail),
            Route("/health", health),
        ],
        middleware=[Middleware(TracingMiddleware, tracing=tracing, edge=edge)],
    )


def only_otel(patch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    """The ``OTEL_*`` variables become ``env``'s."""
    for name in [name for name in os.environ if name.startswith("OTEL_")]:
        patch.delenv(name)
    for name, value in env.items():
        patch.setenv(name, value)


@contextmanager
def served(
    receiver: OtlpReceiver, env: dict[str, str] | None = None, *, edge: bool = False
) -> Iterator[str]:
    """The app tracing as ``env`` (and an endpoint at ``receiver``) configure; on leaving, its
    spans have all been exported."""
    full = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
        "OTEL_BSP_SCHEDULE_DELAY": "50",
        **(env or {}),
    }
    with pytest.MonkeyPatch.context() as patch:
        only_otel(patch, full)
        tracing = Tracing.from_environment("test-service")
    assert tracing.enabled
    with serve(app(tracing, edge)) as url:
        yield url
    assert not tracing.enabled  # shut down with the app's lifespan: everything flushed


def traceparent(trace_id: str, sampled: bool) -> dict[str, str]:
    return {"traceparent": f"00-{trace_id}-{'a' * 16}-{'01' if sampled else '00'}"}


def sampled(traceparent: str) -> bool:
    """The ``sampled`` bit of a ``traceparent``'s flags (another bit says the id is random)."""
    return bool(int(traceparent.rsplit("-", 1)[1], 16) & 1)


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    with otlp_receiver() as running:
        yield running


def named(spans: list[ReceivedSpan], name: str) -> ReceivedSpan:
    [found] = [s for s in spans if s.name == name]
    return found


def test_a_request_continues_its_callers_trace_with_a_server_span_and_its_children(
    receiver: OtlpReceiver,
) -> None:
    trace_id = uuid.uuid4().hex
    with served(receiver) as url:
        answer = httpx.get(f"{url}/work", headers=traceparent(trace_id, True), timeout=10)
        assert httpx.get(f"{url}/health", timeout=10).status_code == 200
        assert httpx.get(f"{url}/fail", timeout=10).status_code == 503
    spans = receiver.spans
    server, inner = named(spans, "GET /work"), named(spans, "inner work")
    assert (server.trace_id, server.parent_span_id, server.kind) == (trace_id, "a" * 16, "SERVER")
    assert (inner.trace_id, inner.parent_span_id) == (trace_id, server.span_id)
    assert server.attributes["http.response.status_code"] == 200
    assert {s.service for s in spans} == {"test-service"}
    # What the request would send on: its inner span's context, sampled.
    assert answer.text == f"00-{trace_id}-{inner.span_id}-01"
    failed = named(spans, "GET /fail")
    assert (failed.status_code, failed.attributes["http.response.status_code"]) == (2, 503)
    assert failed.parent_span_id == ""  # no traceparent: a trace of its own
    assert not [s for s in spans if "health" in s.name]


def test_at_the_edge_a_callers_context_is_linked_not_followed(receiver: OtlpReceiver) -> None:
    theirs = uuid.uuid4().hex
    with served(receiver, {"OTEL_TRACES_SAMPLER_ARG": "0"}, edge=True) as url:
        answer = httpx.get(f"{url}/work", headers=traceparent(theirs, True), timeout=10)
    assert receiver.spans == [] and not sampled(answer.text)  # the edge's ratio decided
    with served(receiver, edge=True) as url:
        httpx.get(f"{url}/work", headers=traceparent(theirs, False), timeout=10)
    server = named(receiver.spans, "GET /work")
    assert server.trace_id != theirs and server.parent_span_id == ""
    assert server.links == ((theirs, "a" * 16),)


def test_a_caller_that_sampled_its_trace_out_is_followed(receiver: OtlpReceiver) -> None:
    trace_id = uuid.uuid4().hex
    with served(receiver) as url:
        answer = httpx.get(f"{url}/work", headers=traceparent(trace_id, False), timeout=10)
    assert receiver.spans == []
    # Sent on as not sampled, so that the services below record nothing either.
    assert answer.text.startswith(f"00-{trace_id}-") and not sampled(answer.text)


@pytest.mark.parametrize(
    "env",
    [{"OTEL_TRACES_SAMPLER_ARG": "0"}, {"OTEL_TRACES_SAMPLER": "always_off"}],
)
def test_the_sampler_decides_for_requests_that_come_without_a_trace(
    receiver: OtlpReceiver, env: dict[str, str]
) -> None:
    with served(receiver, env) as url:
        answer = httpx.get(f"{url}/work", timeout=10)
    assert receiver.spans == [] and not sampled(answer.text)


def test_at_the_edge_the_ratio_is_applied_once_by_trace_id_and_sampled_out_requests_send_00(
    receiver: OtlpReceiver,
) -> None:
    """The edge decides before making any span (docs/tracing.md, "Overhead"): by the same rule
    as ``traceidratio`` on the request's trace id, once, each request with ids of its own."""
    with served(receiver, {"OTEL_TRACES_SAMPLER_ARG": "0.5"}, edge=True) as url:
        sent = [httpx.get(f"{url}/work", timeout=10).text for _ in range(40)]
    trace_ids = [value.split("-")[1] for value in sent]
    assert len(set(trace_ids)) == len(sent)  # each request a trace (and log ids) of its own
    bound = round(0.5 * 2**64)
    for value, trace_id in zip(sent, trace_ids, strict=True):
        assert sampled(value) is (int(trace_id, 16) & (2**64 - 1) < bound), value
    recorded = {s.trace_id for s in receiver.spans}
    assert recorded == {t for v, t in zip(sent, trace_ids, strict=True) if sampled(v)}
    assert 0 < len(recorded) < len(sent)
    # A recorded request is the request span and its child, what it sent on their context.
    for value in sent:
        if sampled(value):
            trace_id, inner_id = value.split("-")[1:3]
            inner = next(s for s in receiver.spans if s.span_id == inner_id)
            assert inner.trace_id == trace_id and inner.name == "inner work"


def test_at_the_edge_another_sampler_named_decides_every_request(receiver: OtlpReceiver) -> None:
    with served(receiver, {"OTEL_TRACES_SAMPLER": "always_on"}, edge=True) as url:
        sent = [httpx.get(f"{url}/work", timeout=10).text for _ in range(5)]
    assert all(sampled(value) for value in sent)
    assert len([s for s in receiver.spans if s.name == "GET /work"]) == 5


def test_otel_service_name_and_resource_attributes_are_honoured(receiver: OtlpReceiver) -> None:
    with served(
        receiver,
        {"OTEL_SERVICE_NAME": "renamed", "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=t"},
    ) as url:
        httpx.get(f"{url}/work", timeout=10)
    assert {s.service for s in receiver.spans} == {"renamed"}


def test_log_lines_carry_the_ids_of_the_span_they_are_written_in(receiver: OtlpReceiver) -> None:
    records = Records()
    text = io.StringIO()
    printed = logging.StreamHandler(text)
    install_trace_ids(printed)  # as crossdock's servers log with tracing on
    log.addHandler(records)
    log.addHandler(printed)
    trace_id = uuid.uuid4().hex
    try:
        with served(receiver) as url:
            httpx.get(f"{url}/work", headers=traceparent(trace_id, True), timeout=10)
        log.warning("outside any span")
    finally:
        log.removeHandler(records)
        log.removeHandler(printed)
    inner = named(receiver.spans, "inner work")
    first, second = text.getvalue().splitlines()
    assert f"[trace_id={trace_id} span_id={inner.span_id}] working" in first
    assert "[trace_id= span_id=] outside any span" in second
    inside, outside = records.records
    assert (inside.trace_id, inside.span_id) == (trace_id, inner.span_id)  # type: ignore[attr-defined]
    assert (outside.trace_id, outside.span_id) == ("", "")  # type: ignore[attr-defined]
