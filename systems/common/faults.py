"""What a flaky backend does to a request: throttle it, slow it down, or fail it."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from systems.settings import FaultSettings

__all__ = ["FaultDecision", "FaultInjector", "TokenBucket"]


class TokenBucket:
    """``rate`` tokens a second, holding at most ``burst``; starts full."""

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._updated = now

    def take(self, now: float) -> float:
        """Take a token: 0.0 if one was there, else the seconds until one will be."""
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self.burst, self._tokens + elapsed * self.rate)
        self._updated = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) / self.rate


@dataclass(frozen=True)
class FaultDecision:
    """What to do with one request, in order: throttle, else delay, then maybe fail."""

    retry_after: int | None = None  # seconds; set when the request is throttled (429)
    delay_seconds: float = 0.0
    fail: bool = False  # answer 503


class FaultInjector:
    """Decides the fault of each request from the current ``FaultSettings``.

    The settings are read on every decision, so replacing them takes effect at once; the
    token bucket is rebuilt (full) whenever the settings object is replaced. Settings with
    ``routes`` fault only requests to those routes (``"POST /salesOrders"``); the others pass
    untouched and take no token.
    """

    def __init__(
        self,
        settings: Callable[[], FaultSettings],
        *,
        clock: Callable[[], float],
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._rand = rand
        self._bucket: TokenBucket | None = None
        self._bucket_for: FaultSettings | None = None

    def decide(self, route: str | None = None) -> FaultDecision:
        """The fault of one request to ``route`` (``"METHOD /template"``)."""
        faults = self._settings()
        if faults.routes is not None and route not in faults.routes:
            return FaultDecision()
        if faults.rate_limit_per_second is not None:
            now = self._clock()
            if self._bucket is None or self._bucket_for is not faults:
                rate = faults.rate_limit_per_second
                self._bucket = TokenBucket(rate, max(1.0, rate), now)
                self._bucket_for = faults
            wait = self._bucket.take(now)
            if wait > 0:
                return FaultDecision(retry_after=max(1, math.ceil(wait)))
        fail = faults.error_rate > 0 and self._rand() < faults.error_rate
        return FaultDecision(delay_seconds=faults.latency_ms / 1000, fail=fail)
