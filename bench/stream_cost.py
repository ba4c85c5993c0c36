"""What the gateway adds per streamed response for its metrics and (off) its tracing, in-process.

    .venv/bin/python -m bench.stream_cost --events 200000 --runs 7

Interleaved runs of: a bare async generator of responses drained, and the same through
``GatewayMetrics.stream`` (a subscription's wrapper: errors counted, its lifetime timed); the
tracing-off checks an event meets at the gateway and the feed (``current_tracer()``,
``mark_event(None)``); and one event's resolution-time observation, its series bound once.
Medians of the runs, in microseconds (nanoseconds for the checks). A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import AsyncGenerator

from gateway.engine import StreamOutcome
from gateway.server._metrics import GatewayMetrics
from gateway.wire import GraphQLResponse
from telemetry.metrics import Metrics
from telemetry.tracing import current_tracer, mark_event

_EVENT: GraphQLResponse = {"data": {"milestone": {"seq": 1}}}


async def _source(events: int) -> AsyncGenerator[GraphQLResponse, None]:
    for _ in range(events):
        yield _EVENT


async def _drain(responses: AsyncGenerator[GraphQLResponse, None], events: int) -> float:
    started = time.perf_counter()
    while True:
        try:
            await anext(responses)
        except StopAsyncIteration:
            break
    return (time.perf_counter() - started) / events * 1e6


async def _main(events: int, runs: int) -> None:
    metrics = GatewayMetrics(Metrics())
    bare, wrapped, checks, observed = [], [], [], []
    observe = metrics.subscription_event("S")
    for _ in range(runs):
        bare.append(await _drain(_source(events), events))
        outcome = StreamOutcome(
            responses=_source(events), operation_name="S", operation_type="subscription"
        )
        timed = metrics.stream("S", outcome, time.perf_counter()).responses
        assert timed is not None
        wrapped.append(await _drain(timed, events))
        started = time.perf_counter()
        for _ in range(events):
            current_tracer()
            mark_event(None)
        checks.append((time.perf_counter() - started) / events * 1e9)
        started = time.perf_counter()
        for _ in range(events):
            observe(0.001)
        observed.append((time.perf_counter() - started) / events * 1e6)
    base, through = statistics.median(bare), statistics.median(wrapped)
    print(f"bare generator: {base:.2f} us/event")
    print(f"through the metrics wrapper: {through:.2f} us/event (+{through - base:.2f})")
    print(f"tracing off, the checks of one event: {statistics.median(checks):.0f} ns")
    print(f"one event's resolution time observed: {statistics.median(observed):.2f} us")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(_main(args.events, args.runs))


if __name__ == "__main__":
    main()
