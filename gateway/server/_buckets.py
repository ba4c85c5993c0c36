"""Token buckets: in this process's memory, or in Redis so that every gateway process sharing
it draws on one bucket.

A bucket holds up to ``capacity`` tokens and gains ``rate`` a second; a request takes one, or
is refused (and told how long until there is one) when there is none. A refused request
changes nothing: its bucket is not written. Both stores compute the same thing; the Redis one
does it in one Lua script, so concurrent requests from several processes cannot both take the
last token, and on Redis's clock, so the processes' clocks need not agree.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

__all__ = ["Buckets", "Decision", "MemoryBuckets", "RedisBuckets", "retry_after_seconds"]


@dataclass(frozen=True)
class Decision:
    """Whether the request may go on; if not, the seconds until the bucket has a token."""

    allowed: bool
    retry_after: float = 0.0


class Buckets(Protocol):
    """Where buckets live."""

    async def take(self, key: str, capacity: int, rate: float) -> Decision:
        """Take one token from bucket ``key`` (full when new), or refuse."""
        ...

    async def aclose(self) -> None: ...


def _refill(tokens: float, elapsed: float, capacity: int, rate: float) -> float:
    return min(float(capacity), tokens + max(0.0, elapsed) * rate)


class MemoryBuckets:
    """Buckets in this process, for a gateway without Redis.

    At most ``max_buckets`` are kept, the least recently used dropped first: a dropped bucket
    comes back full, which only an attacker holding that many addresses gains from.
    """

    def __init__(self, max_buckets: int = 100_000) -> None:
        self.max_buckets = max_buckets
        # key -> (tokens, monotonic time they were counted at)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    async def take(self, key: str, capacity: int, rate: float) -> Decision:
        now = time.monotonic()
        held = self._buckets.get(key)
        if held is None:
            tokens = float(capacity)
        else:
            tokens = _refill(held[0], now - held[1], capacity, rate)
        if tokens < 1:
            return Decision(False, (1 - tokens) / rate)
        self._buckets[key] = (tokens - 1, now)
        self._buckets.move_to_end(key)
        if len(self._buckets) > self.max_buckets:
            self._buckets.popitem(last=False)
        return Decision(True)

    async def aclose(self) -> None:
        self._buckets.clear()


# KEYS[1]: the bucket, a hash {tokens, ts}. ARGV: capacity, tokens a second. Returns
# {1, "0"} when a token was taken, else {0, seconds until one} (as a string: Redis truncates
# a Lua number to an integer).
_TAKE = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local held = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(held[1])
if tokens == nil then
  tokens = capacity
else
  tokens = math.min(capacity, tokens + math.max(0, now - tonumber(held[2])) * rate)
end
if tokens < 1 then
  return {0, tostring((1 - tokens) / rate)}
end
tokens = tokens - 1
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'ts',
  string.format('%.6f', now))
-- Gone once it would be full again: a full bucket and no bucket are the same.
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate * 1000) + 1000)
return {1, '0'}
"""


class RedisBuckets:
    """Buckets in Redis under ``prefix``, shared by every process using the same Redis.

    Once Redis refuses a bucket, no token can come into it before the wait it gave has passed
    (other processes only take tokens), so until then it is refused here without asking:
    a flood of refused requests costs neither a round trip nor Redis's time. At most
    ``max_remembered`` such buckets are remembered, the oldest forgotten first.

    Raises ``redis.RedisError`` (or ``OSError``) when Redis cannot answer within ``timeout``;
    the caller decides what that means.
    """

    def __init__(
        self,
        url: str,
        prefix: str,
        timeout: float,
        max_connections: int = 64,
        max_remembered: int = 100_000,
    ) -> None:
        self.prefix = prefix
        self.max_remembered = max_remembered
        # key -> monotonic time before which the bucket has no token
        self._empty_until: OrderedDict[str, float] = OrderedDict()
        self.client = redis.Redis(
            connection_pool=redis.BlockingConnectionPool.from_url(
                url,
                max_connections=max_connections,
                timeout=timeout,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                # Once, at once: enough for a pooled connection Redis dropped; a Redis that is
                # down is the caller's to handle now, not after backing off.
                retry=Retry(NoBackoff(), retries=1),
            )
        )
        self._take = self.client.register_script(_TAKE)

    async def take(self, key: str, capacity: int, rate: float) -> Decision:
        # Taken before the round trip: the remembered wait ends no later than Redis's.
        now = time.monotonic()
        until = self._empty_until.get(key)
        if until is not None:
            if now < until:
                return Decision(False, until - now)
            del self._empty_until[key]
        allowed, wait = await self._take(keys=[self.prefix + key], args=[capacity, repr(rate)])
        if int(allowed):
            return Decision(True)
        seconds = max(0.0, float(wait))
        self._empty_until[key] = now + seconds
        if len(self._empty_until) > self.max_remembered:
            self._empty_until.popitem(last=False)
        return Decision(False, seconds)

    async def aclose(self) -> None:
        await self.client.aclose()
        # The client does not own the pool it was given.
        await self.client.connection_pool.disconnect()


def retry_after_seconds(decision: Decision) -> int:
    """``Retry-After`` as HTTP wants it: whole seconds, at least one."""
    return max(1, math.ceil(decision.retry_after))
