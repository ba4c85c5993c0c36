"""An LRU map bounded by its entry count and by the bytes its entries are estimated to hold."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

__all__ = ["SizedLru"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SizedLru(Generic[K, V]):
    """Least recently used entries go first when either bound is passed.

    ``put`` takes each entry's weight (its estimated retained bytes) from the caller; an entry
    heavier than ``max_entry_bytes`` is not kept at all, so one huge value cannot flush the rest.
    """

    def __init__(
        self, max_entries: int, max_bytes: int, max_entry_bytes: int | None = None
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_bytes if max_entry_bytes is None else max_entry_bytes
        self.bytes = 0
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry[0]

    def put(self, key: K, value: V, weight: int) -> bool:
        """Keep ``value`` under ``key``; return whether it was kept."""
        if weight > self.max_entry_bytes:
            return False
        old = self._entries.pop(key, None)
        if old is not None:
            self.bytes -= old[1]
        self._entries[key] = (value, weight)
        self.bytes += weight
        while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
            _, (_, dropped) = self._entries.popitem(last=False)
            self.bytes -= dropped
        return True

    def values(self) -> list[V]:
        return [value for value, _ in self._entries.values()]
