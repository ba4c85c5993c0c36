"""A bound on the distinct values of a label whose values a client chooses."""

from __future__ import annotations

__all__ = ["OTHER", "CappedLabel"]

OTHER = "other"
"""The value every value past the cap is counted under."""


class CappedLabel:
    """The first ``limit`` distinct values seen stay themselves; every later one is ``OTHER``.

    Each series costs the scraper memory for as long as it is kept, so a label whose values a
    client chooses (an operation name) must not take a new value per request. The first come
    keep their names: the operations of a deployment's clients are normally sent from the start.
    Per process: with several workers, each picks its own first ``limit``.
    """

    __slots__ = ("_seen", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._seen: set[str] = set()

    def __call__(self, value: str) -> str:
        if value in self._seen:
            return value
        if len(self._seen) < self.limit and value != OTHER:
            self._seen.add(value)
            return value
        return OTHER

    def __len__(self) -> int:
        return len(self._seen)
