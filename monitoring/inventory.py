"""``InventoryTruth``: ERP-booked against WMS on hand per SKU and center, where they differ.

Both sides come from the systems through a ``Balances`` source (one call per system for every
position); the comparison is cached for ``ttl_seconds`` so that a dashboard polling it costs
the systems one read per period, and concurrent readers share one refresh.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from connectors.erp.client import ErpClient
from connectors.wms.client import WmsClient

__all__ = ["Balance", "Balances", "Discrepancy", "InventoryTruth", "from_systems"]


@dataclass(frozen=True, slots=True)
class Balance:
    """One SKU at one center as both systems have it."""

    sku: str
    center_id: str
    erp_booked: int
    wms_on_hand: int


@dataclass(frozen=True, slots=True)
class Discrepancy:
    sku: str
    center_id: str
    erp_booked: int
    wms_on_hand: int

    @property
    def difference(self) -> int:
        """WMS minus ERP: positive when the warehouse holds more than the books say."""
        return self.wms_on_hand - self.erp_booked


Balances = Callable[[], Awaitable[list[Balance]]]
"""Every position of both systems."""


def from_systems(erp: ErpClient, wms: WmsClient) -> Balances:
    """Both sides from the systems: the ERP's booked balances (one call), then the WMS's
    positions of those items (``GET /inventory`` in batches). A position only one system has
    counts as 0 in the other."""

    async def balances() -> list[Balance]:
        booked = {(b.sku, b.center_id): b.quantity for b in await erp.booked_balances()}
        skus = sorted({sku for sku, _ in booked})
        positions = await wms.positions(skus) if skus else []
        on_hand = {(p.sku, p.center_id): p.on_hand for p in positions}
        return [
            Balance(sku, center, booked.get((sku, center), 0), on_hand.get((sku, center), 0))
            for sku, center in sorted(booked.keys() | on_hand.keys())
        ]

    return balances


class InventoryTruth:
    """The positions where ``balances`` differ, largest difference first, cached."""

    def __init__(
        self,
        balances: Balances,
        *,
        ttl_seconds: float = 30.0,
        close: Callable[[], Awaitable[None]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._balances, self._ttl, self._close, self._clock = balances, ttl_seconds, close, clock
        self._cached: tuple[float, list[Discrepancy]] | None = None
        self._refresh: asyncio.Task[list[Discrepancy]] | None = None

    async def discrepancies(self) -> list[Discrepancy]:
        cached = self._cached
        if cached is not None and self._clock() - cached[0] < self._ttl:
            return cached[1]
        if self._refresh is None or self._refresh.done():
            self._refresh = asyncio.ensure_future(self._compare())
        return await asyncio.shield(self._refresh)

    async def _compare(self) -> list[Discrepancy]:
        found = [
            Discrepancy(b.sku, b.center_id, b.erp_booked, b.wms_on_hand)
            for b in await self._balances()
            if b.erp_booked != b.wms_on_hand
        ]
        found.sort(key=lambda d: (-abs(d.difference), d.sku, d.center_id))
        self._cached = (self._clock(), found)
        return found

    async def aclose(self) -> None:
        if self._refresh is not None and not self._refresh.done():
            self._refresh.cancel()
        if self._close is not None:
            await self._close()
