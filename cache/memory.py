"""``MemoryCache``: the embedded default, one process's dictionary with expiry and LRU eviction."""

from __future__ import annotations

import heapq
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from cache.base import ttl_milliseconds

__all__ = ["MemoryCache"]

# Redis counters are signed 64-bit decimal strings; the twin accepts and refuses the same.
_MAX_COUNTER = 2**63 - 1
_INTEGER = re.compile(rb"-?(0|[1-9][0-9]*)")


@dataclass(frozen=True, slots=True)
class _Entry:
    value: bytes
    expires_at: float | None


class MemoryCache:
    """An in-process ``Cache``: entries expire by ``clock`` and the least recently used go first.

    Every method runs to completion without awaiting, so each operation is atomic with respect
    to the other tasks of the event loop (``set_if_absent`` and ``increment`` included). It is
    not shared between threads or processes; that is what ``RedisCache`` is for.
    """

    def __init__(
        self, *, max_entries: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, got {max_entries}")
        self._max_entries = max_entries
        self._clock = clock
        # Least recently used first.
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        # (expires_at, key) of every expiry ever set; stale pairs are skipped when popped.
        self._expiries: list[tuple[float, str]] = []

    def __len__(self) -> int:
        """Entries held, including expired ones not yet dropped."""
        return len(self._entries)

    async def get(self, key: str) -> bytes | None:
        entry = self._live(key, self._clock())
        return None if entry is None else entry.value

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        now = self._clock()
        return [None if (entry := self._live(key, now)) is None else entry.value for key in keys]

    async def set(self, key: str, value: bytes, *, ttl_seconds: float | None = None) -> None:
        now = self._clock()
        self._store(key, value, self._expires_at(ttl_seconds, now), now)

    async def set_many(
        self, items: Mapping[str, bytes], *, ttl_seconds: float | None = None
    ) -> None:
        now = self._clock()
        expires_at = self._expires_at(ttl_seconds, now)
        for key, value in items.items():
            self._store(key, value, expires_at, now)

    async def set_if_absent(
        self, key: str, value: bytes, *, ttl_seconds: float | None = None
    ) -> bool:
        now = self._clock()
        expires_at = self._expires_at(ttl_seconds, now)
        if self._live(key, now) is not None:
            return False
        self._store(key, value, expires_at, now)
        return True

    async def delete(self, *keys: str) -> int:
        now = self._clock()
        removed = 0
        for key in keys:
            if self._live(key, now) is not None:
                del self._entries[key]
                removed += 1
        return removed

    async def increment(self, key: str, *, ttl_seconds: float | None = None) -> int:
        now = self._clock()
        expires_at = self._expires_at(ttl_seconds, now)
        entry = self._live(key, now)
        if entry is None:
            count = 1
        else:
            if _INTEGER.fullmatch(entry.value) is None:
                raise ValueError(f"value under {key!r} is not an integer")
            count = int(entry.value) + 1
            if count > _MAX_COUNTER:
                raise ValueError(f"counter under {key!r} would overflow")
            expires_at = entry.expires_at
        self._store(key, str(count).encode(), expires_at, now)
        return count

    async def ttl(self, key: str) -> float | None:
        now = self._clock()
        entry = self._live(key, now)
        if entry is None or entry.expires_at is None:
            return None
        return entry.expires_at - now

    async def ping(self) -> bool:
        return True

    async def aclose(self) -> None:
        self._entries.clear()
        self._expiries.clear()

    def _expires_at(self, ttl_seconds: float | None, now: float) -> float | None:
        ttl_milliseconds(ttl_seconds)  # the same validation as Redis
        return None if ttl_seconds is None else now + ttl_seconds

    def _live(self, key: str, now: float) -> _Entry | None:
        """The unexpired entry under ``key``, marked most recently used; drops an expired one."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires_at is not None and entry.expires_at <= now:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry

    def _store(self, key: str, value: bytes, expires_at: float | None, now: float) -> None:
        self._entries[key] = _Entry(value, expires_at)
        self._entries.move_to_end(key)
        if expires_at is not None:
            heapq.heappush(self._expiries, (expires_at, key))
        if len(self._entries) > self._max_entries:
            # Expired entries make room before any live one is evicted.
            self._drop_expired(now)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        if len(self._expiries) > 2 * len(self._entries) + 64:
            self._compact_expiries()

    def _drop_expired(self, now: float) -> None:
        while self._expiries and self._expiries[0][0] <= now:
            expires_at, key = heapq.heappop(self._expiries)
            entry = self._entries.get(key)
            if entry is not None and entry.expires_at == expires_at:
                del self._entries[key]

    def _compact_expiries(self) -> None:
        """Rebuild the heap from the entries, forgetting the pairs that no longer apply."""
        self._expiries = [
            (entry.expires_at, key)
            for key, entry in self._entries.items()
            if entry.expires_at is not None
        ]
        heapq.heapify(self._expiries)
