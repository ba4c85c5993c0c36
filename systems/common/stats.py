"""Request counts by route template, so tests can assert how often a system was called."""

from __future__ import annotations

from collections import Counter
from typing import TypedDict

__all__ = ["RequestStats", "StatsSnapshot"]


class StatsSnapshot(TypedDict):
    """``{"total": 4, "requests": {"GET /accounts": 3, "GET /accounts/{id}": 1}}``"""

    total: int
    requests: dict[str, int]


class RequestStats:
    """Counts requests by ``"METHOD /route/{template}"``.

    Only the event loop thread records, so a plain Counter needs no lock.
    """

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()

    def record(self, method: str, path: str) -> None:
        self._counts[f"{method} {path}"] += 1

    def count(self, key: str) -> int:
        """How many ``"METHOD /template"`` requests arrived since the last reset."""
        return self._counts[key]

    @property
    def total(self) -> int:
        return self._counts.total()

    def reset(self) -> None:
        self._counts.clear()

    def snapshot(self) -> StatsSnapshot:
        return {"total": self.total, "requests": dict(sorted(self._counts.items()))}
