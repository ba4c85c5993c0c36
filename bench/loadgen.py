"""A closed-loop load generator: ``concurrency`` clients posting one body until a deadline."""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass

import httpx

__all__ = ["LoadResult", "run_lean_load", "run_load"]


@dataclass(frozen=True)
class LoadResult:
    """What one load phase measured (latencies in milliseconds)."""

    requests: int
    failures: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


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

    async with httpx.AsyncClient(limits=limits, timeout=30) as http:
        await asyncio.gather(*(client(http) for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return LoadResult(
        requests=len(latencies),
        failures=failures,
        seconds=elapsed,
        p50_ms=statistics.median(latencies) if latencies else float("nan"),
        p99_ms=_percentile(latencies, 0.99),
    )


async def run_lean_load(
    url: str, body: bytes, *, concurrency: int, seconds: float, max_requests: int
) -> LoadResult:
    """:func:`run_load` over :class:`bench.http1.PostClient` (a fraction of httpx's CPU per
    request): for a gateway that has every core but the load generator's share to itself."""
    from bench.http1 import PostClient

    latencies: list[float] = []
    failures = 0
    headers = {"content-type": "application/json"}
    http = PostClient(url, connections=concurrency)
    started = time.perf_counter()
    deadline = started + seconds

    async def client() -> None:
        nonlocal failures
        while time.perf_counter() < deadline and len(latencies) + failures < max_requests:
            sent = time.perf_counter()
            if await http.post(body, headers) == 200:
                latencies.append((time.perf_counter() - sent) * 1000)
            else:
                failures += 1

    try:
        await asyncio.gather(*(client() for _ in range(concurrency)))
    finally:
        await http.aclose()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return LoadResult(
        requests=len(latencies),
        failures=failures,
        seconds=elapsed,
        p50_ms=statistics.median(latencies) if latencies else float("nan"),
        p99_ms=_percentile(latencies, 0.99),
    )
