"""A closed-loop load generator: ``concurrency`` clients posting one body until a deadline.

:func:`run_load` goes through httpx (~2.5 ms of CPU per request: at a few hundred requests/s
it is what a shared core runs out of first), :func:`run_lean_load` through
:mod:`bench.http1` (a small fraction of that): both report the same counts and latencies at
rates either can generate (``python -m bench.loadgen_check``).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

import httpx

__all__ = ["LoadResult", "drive", "run_lean_load", "run_load"]


@dataclass(frozen=True)
class LoadResult:
    """What one load phase measured (latencies in milliseconds)."""

    requests: int
    failures: int
    seconds: float
    p50_ms: float
    p99_ms: float
    # CPU seconds the load generator's own process used (0.0: not measured).
    load_cpu_seconds: float = 0.0
    max_ms: float = float("nan")

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def drive(load: Coroutine[Any, Any, LoadResult]) -> LoadResult:
    """Run one load to its end on a fresh event loop: uvloop's when installed (less CPU per
    request for the load generator), asyncio's otherwise."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(load)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(load)


def _percentile(sorted_values: list[float], share: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, round(share * (len(sorted_values) - 1)))
    return sorted_values[index]


async def run_load(
    url: str,
    body: bytes,
    *,
    concurrency: int,
    seconds: float,
    max_requests: int,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """Post ``body`` to ``url`` from ``concurrency`` clients for ``seconds`` (or
    ``max_requests`` in all), with ``headers`` besides the content type; a non-200 answer
    counts as a failure, not as a request."""
    latencies: list[float] = []
    failures = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"content-type": "application/json", **(headers or {})}
    started = time.perf_counter()
    deadline = started + seconds

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal failures
        while time.perf_counter() < deadline and len(latencies) + failures < max_requests:
            sent = time.perf_counter()
            try:
                response = await http.post(url, content=body, headers=headers)
            except httpx.HTTPError:
                failures += 1
                continue
            if response.status_code == 200:
                latencies.append((time.perf_counter() - sent) * 1000)
            else:
                failures += 1

    cpu_started = time.process_time()
    async with httpx.AsyncClient(limits=limits, timeout=30) as http:
        await asyncio.gather(*(client(http) for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return _result(latencies, failures, elapsed, time.process_time() - cpu_started)


def _result(latencies: list[float], failures: int, elapsed: float, cpu: float) -> LoadResult:
    latencies.sort()
    return LoadResult(
        requests=len(latencies),
        failures=failures,
        seconds=elapsed,
        p50_ms=statistics.median(latencies) if latencies else float("nan"),
        p99_ms=_percentile(latencies, 0.99),
        load_cpu_seconds=cpu,
        max_ms=latencies[-1] if latencies else float("nan"),
    )


async def run_lean_load(
    url: str,
    body: bytes,
    *,
    concurrency: int,
    seconds: float,
    max_requests: int,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """:func:`run_load` over :class:`bench.http1.PostClient` (a fraction of httpx's CPU per
    request: the request bytes are built once, each answer is cut by its content-length):
    for a gateway whose capacity, not the load generator's, is to be measured."""
    from bench.http1 import PostClient

    latencies: list[float] = []
    failures = 0
    http = PostClient(url, connections=concurrency)
    message = http.message(body, {"content-type": "application/json", **(headers or {})})
    clock = time.perf_counter
    cpu_started = time.process_time()
    started = clock()
    deadline = started + seconds

    async def client() -> None:
        nonlocal failures
        record = latencies.append
        while (sent := clock()) < deadline and len(latencies) + failures < max_requests:
            if await http.post_message(message) == 200:
                record((clock() - sent) * 1000)
            else:
                failures += 1

    try:
        await asyncio.gather(*(client() for _ in range(concurrency)))
    finally:
        await http.aclose()
    elapsed = clock() - started
    return _result(latencies, failures, elapsed, time.process_time() - cpu_started)
