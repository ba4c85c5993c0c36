"""Available-to-promise allocation: which center ships how much of each line, and what waits.

Pure functions over a snapshot of inventory; the WMS reservation makes the result real (and
refuses it atomically if the snapshot went stale).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from connectors.values import Region
from resolvers.records import (
    Allocation,
    AllocationStrategy,
    Backorder,
    LineRequest,
    ShortfallPolicy,
)

__all__ = [
    "TRANSIT_DAYS",
    "AllocationPlan",
    "Center",
    "Stock",
    "allocate",
    "center_order",
]

R = Region
# Ground transit days from a center's region (rows) to a ship-to region (columns).
TRANSIT_DAYS: Mapping[Region, Mapping[Region, int]] = {
    R.NORTHEAST: {R.NORTHEAST: 1, R.SOUTHEAST: 2, R.MIDWEST: 2, R.SOUTHWEST: 4, R.WEST: 5},
    R.SOUTHEAST: {R.NORTHEAST: 2, R.SOUTHEAST: 1, R.MIDWEST: 2, R.SOUTHWEST: 2, R.WEST: 4},
    R.MIDWEST: {R.NORTHEAST: 2, R.SOUTHEAST: 2, R.MIDWEST: 1, R.SOUTHWEST: 3, R.WEST: 3},
    R.SOUTHWEST: {R.NORTHEAST: 4, R.SOUTHEAST: 2, R.MIDWEST: 3, R.SOUTHWEST: 1, R.WEST: 2},
    R.WEST: {R.NORTHEAST: 5, R.SOUTHEAST: 4, R.MIDWEST: 3, R.SOUTHWEST: 2, R.WEST: 1},
}
# Orders picked today ship the next day.
HANDLING_DAYS = 1


@dataclass(frozen=True, slots=True)
class Center:
    id: str
    region: Region


@dataclass(frozen=True, slots=True)
class Stock:
    """One item's position at one center, as the WMS reported it."""

    sku: str
    center_id: str
    on_hand: int
    allocated: int
    available: int
    incoming: int
    incoming_date: date | None


@dataclass(frozen=True, slots=True)
class AllocationPlan:
    allocations: tuple[Allocation, ...]
    backorders: tuple[Backorder, ...]  # kept on the order (BACKORDER)
    unfilled: tuple[Backorder, ...]  # cancelled (SHIP_AVAILABLE) or refused (REJECT)

    @property
    def short(self) -> bool:
        return bool(self.backorders or self.unfilled)


def center_order(
    centers: Sequence[Center],
    ship_region: Region,
    strategy: AllocationStrategy,
    priority: Sequence[str],
) -> list[Center]:
    """The centers in the order a line tries them (before MINIMIZE_SPLITS regroups lines)."""
    rank = {center_id: n for n, center_id in enumerate(priority)}

    def by_priority(center: Center) -> tuple[int, str]:
        return rank.get(center.id, len(rank)), center.id

    if strategy is AllocationStrategy.PRIORITY:
        return sorted(centers, key=by_priority)
    return sorted(centers, key=lambda c: (TRANSIT_DAYS[c.region][ship_region], *by_priority(c)))


def _split_free_center(
    lines: Sequence[LineRequest], order: Sequence[Center], left: dict[tuple[str, str], int]
) -> dict[int, str]:
    """Greedy set cover: the fewest centers that each ship whole lines, nearest first on ties."""
    chosen: dict[int, str] = {}
    open_lines = set(range(len(lines)))
    while open_lines:
        best: tuple[int, str, list[int]] | None = None
        for position, center in enumerate(order):
            budget = dict(left)
            covered = []
            for n in sorted(open_lines):
                key = (lines[n].sku, center.id)
                if budget.get(key, 0) >= lines[n].quantity:
                    budget[key] -= lines[n].quantity
                    covered.append(n)
            if covered and (best is None or len(covered) > len(best[2])):
                best = (position, center.id, covered)
        if best is None:
            return chosen
        _, center_id, covered = best
        for n in covered:
            left[(lines[n].sku, center_id)] -= lines[n].quantity
            chosen[n] = center_id
            open_lines.discard(n)
    return chosen


def _promised_date(
    sku: str, stock: Sequence[Stock], quantity: int
) -> tuple[str | None, date | None]:
    """The center and day incoming supply covers ``quantity`` of ``sku`` soonest."""
    incoming = sorted(
        (s for s in stock if s.sku == sku and s.incoming > 0 and s.incoming_date is not None),
        key=lambda s: (s.incoming_date, s.center_id),
    )
    covering = [s for s in incoming if s.incoming >= quantity] or incoming[-1:]
    if not covering:
        return None, None
    return covering[0].center_id, covering[0].incoming_date


def allocate(
    lines: Sequence[LineRequest],
    stock: Sequence[Stock],
    centers: Sequence[Center],
    *,
    ship_region: Region,
    strategy: AllocationStrategy,
    shortfall: ShortfallPolicy,
    priority: Sequence[str],
    today: date,
) -> AllocationPlan:
    """Split every line across centers by ``strategy``; what none has follows ``shortfall``."""
    order = center_order(centers, ship_region, strategy, priority)
    regions = {center.id: center.region for center in centers}
    left = {(s.sku, s.center_id): s.available for s in stock}
    whole: dict[int, str] = {}
    if strategy is AllocationStrategy.MINIMIZE_SPLITS:
        whole = _split_free_center(lines, order, left)
    ship_date = today + timedelta(days=HANDLING_DAYS)

    def placed(sku: str, center_id: str, quantity: int, alternate: bool) -> Allocation:
        transit = TRANSIT_DAYS[regions[center_id]][ship_region]
        return Allocation(
            sku, center_id, quantity, alternate, ship_date, ship_date + timedelta(days=transit)
        )

    allocations: list[Allocation] = []
    missing: list[Backorder] = []
    for n, line in enumerate(lines):
        preferred = order[0].id if order else ""
        if n in whole:
            allocations.append(placed(line.sku, whole[n], line.quantity, False))
            continue
        remaining = line.quantity
        for center in order:
            take = min(remaining, left.get((line.sku, center.id), 0))
            if take <= 0:
                continue
            left[(line.sku, center.id)] -= take
            allocations.append(placed(line.sku, center.id, take, center.id != preferred))
            remaining -= take
            if remaining == 0:
                break
        if remaining:
            center_id, promised = _promised_date(line.sku, stock, remaining)
            missing.append(Backorder(line.sku, remaining, center_id or preferred, promised))
    if shortfall is ShortfallPolicy.BACKORDER:
        return AllocationPlan(tuple(allocations), tuple(missing), ())
    return AllocationPlan(tuple(allocations), (), tuple(missing))
