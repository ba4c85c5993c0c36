"""Allocation across centers by strategy, with splits, alternates and shortfalls."""

from __future__ import annotations

from datetime import date

from resolvers.allocation import AllocationPlan, Center, Stock, allocate, center_order
from resolvers.records import AllocationStrategy, LineRequest, ShortfallPolicy
from subgraphs.common.types import Region

TODAY = date(2026, 3, 2)
CENTERS = [
    Center("ATL1", Region.SOUTHEAST),
    Center("EWR1", Region.NORTHEAST),
    Center("ORD1", Region.MIDWEST),
    Center("RNO1", Region.WEST),
]
PRIORITY = ["ORD1", "ATL1", "EWR1", "RNO1"]


def stock(sku: str, **available: int) -> list[Stock]:
    return [Stock(sku, c, n, 0, n, 0, None) for c, n in available.items()]


def run(
    lines: list[LineRequest],
    positions: list[Stock],
    strategy: AllocationStrategy = AllocationStrategy.NEAREST,
    shortfall: ShortfallPolicy = ShortfallPolicy.BACKORDER,
) -> AllocationPlan:
    return allocate(
        lines,
        positions,
        CENTERS,
        ship_region=Region.NORTHEAST,
        strategy=strategy,
        shortfall=shortfall,
        priority=PRIORITY,
        today=TODAY,
    )


def test_nearest_orders_centers_by_transit_days() -> None:
    order = center_order(CENTERS, Region.NORTHEAST, AllocationStrategy.NEAREST, PRIORITY)
    assert [c.id for c in order] == ["EWR1", "ORD1", "ATL1", "RNO1"]


def test_priority_follows_the_configured_order() -> None:
    order = center_order(CENTERS, Region.NORTHEAST, AllocationStrategy.PRIORITY, PRIORITY)
    assert [c.id for c in order] == PRIORITY


def test_a_line_the_nearest_center_has_ships_from_it() -> None:
    plan = run([LineRequest("A", 5)], stock("A", EWR1=10, ORD1=10))
    [part] = plan.allocations
    assert (part.center_id, part.quantity, part.alternate) == ("EWR1", 5, False)
    assert part.delivery_date == date(2026, 3, 4)  # one day handling, one day transit
    assert not plan.short


def test_a_short_preferred_center_splits_to_an_alternate() -> None:
    plan = run([LineRequest("A", 15)], stock("A", EWR1=10, ORD1=10))
    assert [(p.center_id, p.quantity, p.alternate) for p in plan.allocations] == [
        ("EWR1", 10, False),
        ("ORD1", 5, True),
    ]


def test_what_no_center_has_is_backordered_with_the_incoming_date() -> None:
    positions = [
        Stock("A", "EWR1", 3, 0, 3, 0, None),
        Stock("A", "ATL1", 0, 0, 0, 50, date(2026, 4, 1)),
    ]
    plan = run([LineRequest("A", 10)], positions)
    assert [p.quantity for p in plan.allocations] == [3]
    [waiting] = plan.backorders
    assert (waiting.quantity, waiting.center_id, waiting.promised_date) == (
        7,
        "ATL1",
        date(2026, 4, 1),
    )


def test_ship_available_leaves_the_rest_unfilled() -> None:
    plan = run([LineRequest("A", 10)], stock("A", EWR1=3), shortfall=ShortfallPolicy.SHIP_AVAILABLE)
    assert [p.quantity for p in plan.allocations] == [3]
    assert plan.backorders == ()
    assert [u.quantity for u in plan.unfilled] == [7]


def test_minimize_splits_ships_whole_lines_from_one_center() -> None:
    positions = [*stock("A", EWR1=10, RNO1=10), *stock("B", RNO1=10)]
    nearest = run([LineRequest("A", 5), LineRequest("B", 5)], positions)
    assert {p.center_id for p in nearest.allocations} == {"EWR1", "RNO1"}
    fewest = run(
        [LineRequest("A", 5), LineRequest("B", 5)],
        positions,
        strategy=AllocationStrategy.MINIMIZE_SPLITS,
    )
    assert {p.center_id for p in fewest.allocations} == {"RNO1"}
