"""The ``Cache`` Protocol: the one seam between the in-memory cache and Redis."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Protocol, TypeAlias, runtime_checkable

__all__ = ["JSON", "Cache", "CacheUnavailable", "ttl_milliseconds"]

JSON: TypeAlias = dict[str, "JSON"] | list["JSON"] | str | int | float | bool | None
"""A JSON value, as ``orjson.loads`` returns it."""


class CacheUnavailable(Exception):
    """The cache's backing store cannot be reached (connection refused, reset or timed out).

    Callers that can do without the cache (read-through caches) catch this and carry on;
    callers that cannot (idempotency records, rate limits) let it propagate.
    """


@runtime_checkable
class Cache(Protocol):
    """Byte values under string keys, with optional expiry, atomic counters and set-if-absent.

    A ``ttl_seconds`` must be positive; ``None`` means the entry does not expire. Every method
    except ``ping`` and ``aclose`` raises ``CacheUnavailable`` when the store cannot be reached.
    """

    async def get(self, key: str) -> bytes | None:
        """The value under ``key``, or ``None`` if there is none (or it has expired)."""
        ...

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """The values under ``keys``, in order, in one round trip; ``None`` for each miss."""
        ...

    async def set(self, key: str, value: bytes, *, ttl_seconds: float | None = None) -> None:
        """Store ``value`` under ``key``, replacing any value and expiry it had."""
        ...

    async def set_many(
        self, items: Mapping[str, bytes], *, ttl_seconds: float | None = None
    ) -> None:
        """Store every item, all with the same expiry, in one round trip."""
        ...

    async def set_if_absent(
        self, key: str, value: bytes, *, ttl_seconds: float | None = None
    ) -> bool:
        """Atomically store ``value`` unless ``key`` holds one; ``True`` if this call stored it."""
        ...

    async def delete(self, *keys: str) -> int:
        """Remove ``keys``; the number that existed."""
        ...

    async def increment(self, key: str, *, ttl_seconds: float | None = None) -> int:
        """Atomically add one to the counter under ``key`` (a missing key counts as 0).

        ``ttl_seconds`` applies only when this call creates the counter, so a window's expiry
        is not pushed back by later increments. Raises ``ValueError`` if the key holds a
        value that is not an integer.
        """
        ...

    async def ttl(self, key: str) -> float | None:
        """Seconds until ``key`` expires; ``None`` if there is no such key or it never expires."""
        ...

    async def ping(self) -> bool:
        """Whether the store answers; never raises ``CacheUnavailable``."""
        ...

    async def aclose(self) -> None:
        """Release connections; the cache must not be used afterwards."""
        ...


def ttl_milliseconds(ttl_seconds: float | None) -> int | None:
    """``ttl_seconds`` as whole milliseconds (rounded up, at least 1); rejects non-positive."""
    if ttl_seconds is None:
        return None
    if not ttl_seconds > 0 or math.isinf(ttl_seconds):
        raise ValueError(f"ttl_seconds must be a positive finite number, got {ttl_seconds!r}")
    return max(1, math.ceil(ttl_seconds * 1000))
