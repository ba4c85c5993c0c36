"""Accounts, products and addresses of the seeded world that a test can order with.

Tests that share one copied world must not compete for the same stock, so :class:`Picker`
hands out each SKU once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from systems.world_records import InventoryRecord, World

__all__ = ["NEWARK", "Picker", "line", "order_input"]

NEWARK: dict[str, Any] = {
    "street": "1 Raymond Plaza",
    "city": "Newark",
    "state": "NJ",
    "postalCode": "07105",
    "country": "US",
    "region": "NORTHEAST",
}

Positions = dict[str, InventoryRecord]


def line(sku: str, quantity: int) -> dict[str, Any]:
    return {"sku": sku, "quantity": quantity}


def order_input(account_id: str, *lines: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"accountId": account_id, "lines": list(lines), "shipTo": NEWARK, **extra}


def available(position: InventoryRecord) -> int:
    return max(position.on_hand - position.allocated, 0)


class Picker:
    """Hands out the world's accounts and SKUs, each SKU to one test only."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._used: set[str] = set()
        self._positions: dict[str, Positions] = defaultdict(dict)
        for position in world.inventory:
            self._positions[position.sku][position.center_id] = position
        self._active = {p.sku for p in world.products if p.active}
        self._prices = {p.sku: p.list_price for p in world.products}

    def account(self, *, region: str = "NORTHEAST") -> str:
        """An active account in good standing with the largest credit limit."""
        candidates = [
            a for a in self.world.accounts if a.active and not a.credit_hold and a.region == region
        ]
        return max(candidates, key=lambda a: a.credit_limit).id

    def small_account(self) -> str:
        """An active account in good standing with the smallest credit limit."""
        candidates = [a for a in self.world.accounts if a.active and not a.credit_hold]
        return min(candidates, key=lambda a: a.credit_limit).id

    def held_account(self) -> str:
        return next(a.id for a in self.world.accounts if a.active and a.credit_hold)

    def inactive_account(self) -> str:
        return next(a.id for a in self.world.accounts if not a.active)

    def inactive_sku(self) -> str:
        return next(p.sku for p in self.world.products if not p.active)

    def sku(self, condition: Callable[[Positions], bool]) -> str:
        """An unused active SKU whose positions (by center) meet ``condition``."""
        for sku, positions in self._positions.items():
            if sku in self._used or sku not in self._active:
                continue
            if condition(positions):
                self._used.add(sku)
                return sku
        raise LookupError("no SKU left that meets the condition")

    def available(self, sku: str, center: str) -> int:
        return available(self._positions[sku][center])

    def total_available(self, sku: str) -> int:
        return sum(available(p) for p in self._positions[sku].values())

    def stocked(self, center: str = "EWR1", at_least: int = 50) -> str:
        return self.sku(lambda ps: available(ps[center]) >= at_least)

    def short_at(self, center: str = "EWR1") -> str:
        """Some stock at ``center``, more elsewhere."""
        return self.sku(
            lambda ps: (
                0 < available(ps[center]) < 50
                and sum(available(p) for c, p in ps.items() if c != center) >= 50
            )
        )

    def absent_at(self, center: str = "EWR1") -> str:
        """None at ``center``, plenty at another."""
        return self.sku(
            lambda ps: (
                available(ps[center]) == 0
                and any(available(p) >= 20 for c, p in ps.items() if c != center)
            )
        )

    def out_of_stock(self) -> str:
        """None anywhere, but supply is coming."""
        return self.sku(
            lambda ps: (
                all(available(p) == 0 for p in ps.values())
                and any(p.incoming > 0 for p in ps.values())
            )
        )
