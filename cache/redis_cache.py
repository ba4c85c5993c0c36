"""``RedisCache``: the cache that replicas share, over ``redis.asyncio`` with a connection pool."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Protocol, cast
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import InvalidResponse, RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from cache.base import CacheUnavailable, ttl_milliseconds

__all__ = ["RedisCache"]

# INCR, and PEXPIRE only if this INCR created the counter: one script, so no other client can
# slip between the two and no counter is left without its expiry.
_INCREMENT = """
local created = redis.call('EXISTS', KEYS[1]) == 0
local count = redis.call('INCR', KEYS[1])
if created and tonumber(ARGV[1]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return count
"""


class _Closable(Protocol):
    # ConnectionPool.aclose (redis>=5.0.1) is missing from the older types-redis stubs.
    async def aclose(self) -> None: ...


class RedisCache:
    """A ``Cache`` in Redis, every key under ``prefix``, so one server can host many caches.

    Connections come from a bounded, blocking pool: a burst waits for a free connection rather
    than failing. A refused, reset or timed-out connection is retried briefly, then surfaces as
    ``CacheUnavailable``; the cache never stalls a request for long on a dead server.
    ``timeout_seconds`` bounds connecting, each command, and the wait for a pooled connection.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "crossdock:",
        max_connections: int = 64,
        timeout_seconds: float = 2.0,
    ) -> None:
        self._prefix = prefix
        self._address = _safe_address(url)
        self._redis = aioredis.Redis(
            connection_pool=aioredis.BlockingConnectionPool.from_url(
                url,
                max_connections=max_connections,
                timeout=timeout_seconds,
                socket_timeout=timeout_seconds,
                socket_connect_timeout=timeout_seconds,
                retry=Retry(ExponentialBackoff(cap=0.1, base=0.01), retries=2),
            )
        )
        self._increment = self._redis.register_script(_INCREMENT)

    @property
    def prefix(self) -> str:
        return self._prefix

    async def get(self, key: str) -> bytes | None:
        with self._unavailable():
            value = await self._redis.get(self._prefix + key)
        return _bytes_or_none(value)

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        if not keys:
            return []
        with self._unavailable():
            values = await self._redis.mget([self._prefix + key for key in keys])
        return [_bytes_or_none(value) for value in values]

    async def set(self, key: str, value: bytes, *, ttl_seconds: float | None = None) -> None:
        px = ttl_milliseconds(ttl_seconds)
        with self._unavailable():
            await self._redis.set(self._prefix + key, value, px=px)

    async def set_many(
        self, items: Mapping[str, bytes], *, ttl_seconds: float | None = None
    ) -> None:
        px = ttl_milliseconds(ttl_seconds)
        if not items:
            return
        with self._unavailable():
            async with self._redis.pipeline(transaction=True) as pipe:
                for key, value in items.items():
                    pipe.set(self._prefix + key, value, px=px)
                await pipe.execute()

    async def set_if_absent(
        self, key: str, value: bytes, *, ttl_seconds: float | None = None
    ) -> bool:
        px = ttl_milliseconds(ttl_seconds)
        with self._unavailable():
            stored = await self._redis.set(self._prefix + key, value, px=px, nx=True)
        return bool(stored)

    async def delete(self, *keys: str) -> int:
        if not keys:
            return 0
        with self._unavailable():
            removed: int = await self._redis.delete(*(self._prefix + key for key in keys))
        return removed

    async def increment(self, key: str, *, ttl_seconds: float | None = None) -> int:
        px = ttl_milliseconds(ttl_seconds) or 0
        with self._unavailable():
            try:
                count = await self._increment(keys=[self._prefix + key], args=[px])
            except ResponseError as exc:
                raise ValueError(f"value under {key!r} is not an integer counter: {exc}") from exc
        return int(count)

    async def ttl(self, key: str) -> float | None:
        with self._unavailable():
            milliseconds: int = await self._redis.pttl(self._prefix + key)
        # -2: no such key; -1: no expiry.
        return None if milliseconds < 0 else milliseconds / 1000

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except RedisError:
            return False

    async def aclose(self) -> None:
        # The client does not own the pool it was given, so the pool is closed here.
        await cast(_Closable, self._redis.connection_pool).aclose()

    @contextmanager
    def _unavailable(self) -> Iterator[None]:
        """Turn the Redis client's connection failures into ``CacheUnavailable``."""
        try:
            yield
        # InvalidResponse: the URL points at something that does not speak Redis.
        except (RedisConnectionError, RedisTimeoutError, InvalidResponse) as exc:
            raise CacheUnavailable(f"Redis at {self._address} is unavailable: {exc}") from exc


def _bytes_or_none(value: object) -> bytes | None:
    # The client never decodes responses, but its types allow for ``decode_responses=True``.
    if value is None or isinstance(value, bytes):
        return value
    raise TypeError(f"expected bytes from Redis, got {type(value).__name__}")


def _safe_address(url: str) -> str:
    """``url`` without credentials or query, fit for an error message or a log line."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return f"unix://{parts.path}"
    host = parts.hostname or "localhost"
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}:{parts.port or 6379}{parts.path}"
