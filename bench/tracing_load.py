"""What tracing costs a request: fedbench behind our gateway with tracing off, sampled at 10%
and at 100%, exporting over OTLP/HTTP to a receiver in this process.

    .venv/bin/python -m bench.tracing_load --runs 3 --duration 8 --concurrency 50

Gateways pinned to the same core, runs interleaved, each measured alone:

- ``tracing off``: no ``OTEL_*`` variable (no middleware, no span, nothing sent);
- ``tracing 10%``: ``OTEL_EXPORTER_OTLP_ENDPOINT`` at the receiver and
  ``OTEL_TRACES_SAMPLER_ARG=0.1`` (the default sampler, ``parentbased_traceidratio``): every
  request decides, one in ten is recorded and exported with its spans (the request and each
  fetch; the query is parsed and planned once, so no parse/validate or plan span after that);
- ``tracing 100%``: the same, every request recorded (for scale);
- with ``--aa``, ``tracing off (A/A)``: a second untraced gateway, whose ratio to the first
  is the noise the others' ratios carry.

Prints requests/s, p50/p99 and requests per gateway CPU-second per run and the medians, and
the ratio against tracing off; the goal is a cost under 5% at 10%. On a shared machine that
ratio moves by several percent from run to run, so the same run also times the spans of one
request alone (made, sampled and exported in this process) and prints them as a share of a
request's gateway CPU time. The receiver (on the load's
core) answers every export as a collector does and counts the spans it was sent. Subgraphs
replay known answers, so the gateways are what is measured. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from bench.fedbench_subgraphs import FEDBENCH
from bench.front_door_load import Contender, compare, fedbench_upstream, pin_load, start_gateway
from bench.gateway_vs_apollo import (
    add_dedup_argument,
    add_load_arguments,
    dedup_environment,
    supergraph_for,
)
from telemetry.tracing import SpanKind, Tracing, annotate, reset, span, trace_headers, using


class _Counts:
    def __init__(self) -> None:
        self.exports = 0
        self.spans = 0
        self.lock = threading.Lock()


@contextmanager
def receiver() -> Iterator[tuple[str, _Counts]]:
    """An OTLP/HTTP trace receiver on loopback: its base URL and what it has been sent."""
    counts = _Counts()
    answer = ExportTraceServiceResponse().SerializeToString()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            request = ExportTraceServiceRequest()
            request.ParseFromString(body)
            spans = sum(len(s.spans) for r in request.resource_spans for s in r.scope_spans)
            with counts.lock:
                counts.exports += 1
                counts.spans += spans
            self.send_response(200)
            self.send_header("content-type", "application/x-protobuf")
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", counts
    finally:
        server.shutdown()
        server.server_close()


_WORK_REQUESTS = 2000
_FETCHES = 4  # fedbench's plan: four fetches a request


def tracing_work(endpoint: str, ratio: str) -> float:
    """Seconds of CPU (this process's, the exporter's thread included) that the spans of one
    fedbench request take at ``ratio``, the median of a few rounds of ``_WORK_REQUESTS``: the
    request span and a fetch span with its ``traceparent`` per fetch,
    exported to the receiver (fedbench's one query is parsed and planned once: no span for
    either afterwards). What tracing adds per request beside the load run's noise."""
    os.environ.update({"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_TRACES_SAMPLER_ARG": ratio})
    tracing = Tracing.from_environment("bench")
    assert tracing.tracer is not None
    tracer = tracing.tracer
    token = using(tracing)
    rounds = []
    try:
        for _ in range(5):
            started = time.process_time()
            for _ in range(_WORK_REQUESTS):
                with tracer.start_as_current_span("POST /graphql", kind=SpanKind.SERVER):
                    annotate({"graphql.operation.type": "query", "graphql.operation.name": "T"})
                    for _ in range(_FETCHES):
                        with span("fetch reviews", kind=SpanKind.CLIENT):
                            trace_headers()
            tracing.force_flush()
            rounds.append((time.process_time() - started) / _WORK_REQUESTS)
    finally:
        reset(token)
        tracing.shutdown()
    return statistics.median(rounds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tracing_load", description=__doc__)
    add_load_arguments(parser, concurrency=50)
    add_dedup_argument(parser)
    parser.add_argument("--no-full", action="store_true", help="leave out tracing at 100%%")
    parser.add_argument(
        "--aa",
        action="store_true",
        help="a second gateway with tracing off, compared with the first as the others are: "
        "the noise of the ratios on this machine now",
    )
    args = parser.parse_args(argv)
    body = (FEDBENCH / "body.json").read_bytes()
    gateway_cpu, load_cpu = pin_load(args)
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        urls = fedbench_upstream(stack, load_cpu)
        supergraph = folder / "supergraph.graphql"
        supergraph.write_text(supergraph_for("fedbench", urls))
        endpoint, counts = stack.enter_context(receiver())

        sharing = dedup_environment(args.dedup)

        def traced(ratio: str) -> dict[str, str]:
            return {
                **sharing,
                "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
                "OTEL_TRACES_SAMPLER_ARG": ratio,
            }

        contenders = {
            "tracing off": Contender(*start_gateway(stack, supergraph, gateway_cpu, sharing)),
            "tracing 10%": Contender(*start_gateway(stack, supergraph, gateway_cpu, traced("0.1"))),
        }
        if args.aa:
            contenders["tracing off (A/A)"] = Contender(
                *start_gateway(stack, supergraph, gateway_cpu, sharing)
            )
        if not args.no_full:
            contenders["tracing 100%"] = Contender(
                *start_gateway(stack, supergraph, gateway_cpu, traced("1.0"))
            )
        where = (
            f"dedup {args.dedup}; gateways on cpu {gateway_cpu}, load, subgraphs and receiver"
            f" on cpu {load_cpu}"
        )
        per_cpu = compare(contenders, body, args, baseline="tracing off", where=where)
        print(f"the receiver was sent {counts.spans} spans in {counts.exports} exports")
        for ratio in ("0.1", "1.0"):
            spent = tracing_work(endpoint, ratio)
            share = spent * per_cpu["tracing off"]
            print(
                f"the spans of a request alone at {float(ratio):.0%} (made, sampled, exported),"
                f" in this process: {spent * 1e6:.1f} us a request, {share:.2%} of a request's"
                " gateway CPU time with tracing off"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
