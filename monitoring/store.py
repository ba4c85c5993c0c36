"""``MonitoringStore``: where the monitoring keeps its state, the seam over SQLite and Redis.

A store records a fact at most once per event id, atomically with what it changes: the order's
state (``monitoring.projection``), its place in the index of open orders by the moment their
first risk begins (``monitoring.risk``), and the samples the windows are computed from. Both
stores pass the same tests (``tests/monitoring/test_store.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from monitoring.records import Fact, Measure, OrderState, Sample

__all__ = ["MonitoringStore", "StoredOrder"]


@dataclass(frozen=True, slots=True)
class StoredOrder:
    """An open order as the at-risk index holds it: its state and its first risk's moment."""

    state: OrderState
    due: float


class MonitoringStore(Protocol):
    async def record(self, fact: Fact) -> bool:
        """Record ``fact``; ``False`` when its event id was recorded before (nothing changes)."""
        ...

    async def order(self, order_id: str) -> OrderState | None:
        """What is known of the order (``None``: nothing)."""
        ...

    async def due(self, now: float, limit: int) -> list[StoredOrder]:
        """Up to ``limit`` open orders whose first risk began by ``now``, earliest first."""
        ...

    async def due_count(self, now: float) -> int:
        """How many open orders' first risk began by ``now``."""
        ...

    async def open_count(self) -> int:
        """How many orders are open."""
        ...

    async def samples(self, measure: Measure, since: float, until: float) -> list[Sample]:
        """The samples of ``measure`` taken in ``[since, until]``, oldest first."""
        ...

    async def prune(self, before: float) -> None:
        """Forget samples and event ids older than ``before``, and orders closed before it."""
        ...

    async def reindex(self) -> int:
        """Recompute every open order's risk moment with the store's policy (its thresholds
        may have changed since the order was written); how many orders are open."""
        ...

    async def aclose(self) -> None: ...
