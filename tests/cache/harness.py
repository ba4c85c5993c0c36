"""What the cache tests share: a settable clock, and a cache under test with a way to age it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from cache import Cache, MemoryCache
from tests.support.waiting import wait_until_async

__all__ = ["FakeClock", "Subject"]

# A Redis TTL short enough to wait out, long enough for a test to read the key before it goes.
REDIS_SHORT_TTL = 0.3
MEMORY_SHORT_TTL = 30.0


@dataclass
class FakeClock:
    """A monotonic clock that moves only when a test says so."""

    now: float = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Subject:
    """A ``Cache`` under test and a way to let its short-lived keys expire."""

    kind: Literal["memory", "redis"]
    cache: Cache
    clock: FakeClock = field(default_factory=FakeClock)

    @property
    def short_ttl(self) -> float:
        """A TTL that ``let_expire`` can run out: virtual for memory, real (and short) for Redis."""
        return MEMORY_SHORT_TTL if self.kind == "memory" else REDIS_SHORT_TTL

    async def let_expire(self, *keys: str, timeout: float = 5.0) -> None:
        """Let ``keys``, stored with ``short_ttl``, expire: move the clock, or wait on PTTL."""
        if isinstance(self.cache, MemoryCache):
            self.clock.advance(self.short_ttl)
            return
        cache = self.cache

        async def all_gone() -> bool:
            # ttl() is PTTL: None once the key is gone (these keys all had an expiry).
            return all([await cache.ttl(key) is None for key in keys])

        await wait_until_async(all_gone, timeout=timeout, what=f"{keys!r} to expire")
