"""Where automatic persisted queries are kept: query texts by their sha256.

:class:`MemoryApqStore` is one process's, bounded by bytes. :class:`RedisApqStore` is shared
by every gateway on one Redis. :class:`TieredApqStore` puts the first in front of the second
(as Apollo Router does), and decides what happens when Redis is down: the store carries on
from memory, so a registration is still kept here and a hash this process has not seen is a
miss (the client sends its text again). Nothing is refused because Redis failed; a request
waits on Redis at most ``timeout`` seconds, and after a failure Redis is left alone for
``retry_interval`` seconds so that a dead server costs requests nothing.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from typing import Protocol

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from gateway._lru import SizedLru
from gateway.documents._stats import DocumentStats

__all__ = ["ApqStore", "MemoryApqStore", "RedisApqStore", "StoreUnavailable", "TieredApqStore"]

log = logging.getLogger("gateway.documents")

# What an entry costs beyond its text: the 64-character key and the LRU's bookkeeping.
_ENTRY_OVERHEAD = 256


class StoreUnavailable(Exception):
    """The shared store did not answer (refused, reset, timed out, or an error reply)."""


class ApqStore(Protocol):
    """Query texts by the lowercase hex sha256 of their UTF-8."""

    async def get(self, sha256: str) -> str | None: ...

    async def put(self, sha256: str, text: str) -> None: ...

    async def aclose(self) -> None: ...


class MemoryApqStore:
    """This process's texts, least recently used dropped first past ``max_bytes``; a text over
    a sixteenth of ``max_bytes`` is not kept, so one registration cannot flush the rest."""

    def __init__(self, max_bytes: int) -> None:
        self._texts: SizedLru[str, str] = SizedLru(
            max(1, max_bytes // _ENTRY_OVERHEAD), max_bytes, max_entry_bytes=max_bytes // 16
        )

    @property
    def bytes(self) -> int:
        return self._texts.bytes

    async def get(self, sha256: str) -> str | None:
        return self._texts.get(sha256)

    async def put(self, sha256: str, text: str) -> None:
        self._texts.put(sha256, text, sys.getsizeof(text) + _ENTRY_OVERHEAD)

    async def aclose(self) -> None:
        return None


class RedisApqStore:
    """Texts in Redis under ``<prefix>apq:<sha256>``, each for ``ttl`` seconds (None: no
    expiry). Every failure, and any command slower than ``timeout``, is
    :class:`StoreUnavailable`; nothing is retried (the caller falls back at once)."""

    def __init__(self, url: str, *, prefix: str, ttl: float | None, timeout: float) -> None:
        self.prefix = f"{prefix}apq:"
        self.ttl_ms = None if ttl is None else max(1, int(ttl * 1000))
        self.timeout = timeout
        # ``from_pool``: the client owns its pool, so ``aclose`` closes its connections too.
        self._redis = aioredis.Redis.from_pool(
            aioredis.BlockingConnectionPool.from_url(
                url,
                max_connections=32,
                timeout=timeout,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                retry=Retry(NoBackoff(), 0),
            )
        )

    async def get(self, sha256: str) -> str | None:
        value = await self._call(self._redis.get(self.prefix + sha256))
        if not isinstance(value, bytes):
            return None
        return value.decode("utf-8", "surrogatepass")

    async def put(self, sha256: str, text: str) -> None:
        value = text.encode("utf-8", "surrogatepass")
        await self._call(self._redis.set(self.prefix + sha256, value, px=self.ttl_ms))

    async def _call(self, command: object) -> object:
        try:
            async with asyncio.timeout(self.timeout):
                return await command  # type: ignore[misc]
        except (RedisError, OSError, TimeoutError) as error:
            raise StoreUnavailable(f"{type(error).__name__}: {error}") from None

    async def aclose(self) -> None:
        await self._redis.aclose()


class TieredApqStore:
    """Memory in front of Redis; Redis failures are counted, logged once per outage, and
    answered from memory (see the module docstring)."""

    def __init__(
        self,
        memory: MemoryApqStore,
        shared: RedisApqStore,
        *,
        retry_interval: float,
        stats: DocumentStats | None = None,
    ) -> None:
        self.memory = memory
        self.shared = shared
        self.retry_interval = retry_interval
        self.stats = stats if stats is not None else DocumentStats()
        self._down_until = 0.0
        self._down = False

    async def get(self, sha256: str) -> str | None:
        text = await self.memory.get(sha256)
        if text is None and self._shared_usable():
            try:
                text = await self.shared.get(sha256)
            except StoreUnavailable as error:
                self._failed(error)
                return None
            self._recovered()
            if text is not None:
                await self.memory.put(sha256, text)
        return text

    async def put(self, sha256: str, text: str) -> None:
        await self.memory.put(sha256, text)
        if not self._shared_usable():
            return
        try:
            await self.shared.put(sha256, text)
        except StoreUnavailable as error:
            self._failed(error)
            return
        self._recovered()

    def _shared_usable(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, error: StoreUnavailable) -> None:
        self.stats.apq_store_errors += 1
        self._down_until = time.monotonic() + self.retry_interval
        if not self._down:
            self._down = True
            log.warning(
                "persisted queries: Redis is unavailable (%s); serving from memory, "
                "retrying every %ss",
                error,
                self.retry_interval,
            )

    def _recovered(self) -> None:
        if self._down:
            self._down = False
            log.warning("persisted queries: Redis answers again")

    async def aclose(self) -> None:
        await self.shared.aclose()
