"""The business monitoring's GraphQL types (``operations``, docs/operations.md): cycle times,
fallout, orders at risk, status latency, inventory discrepancies. The figures come from a
``monitoring.Monitor`` (``info.context.monitor``); every type here is staff only."""

from __future__ import annotations

from datetime import UTC, date, datetime

import strawberry
from graphql import GraphQLError

from monitoring import AtRisk, Monitor
from subgraphs.common.access import STAFF
from subgraphs.common.errors import BadUserInput
from subgraphs.common.fields import described
from subgraphs.wms.enums import AtRiskReason, CycleStage, FalloutKind
from subgraphs.wms.types.base import Info
from subgraphs.wms.types.fulfillment import Order

__all__ = [
    "MONITORING_OFF",
    "CycleTime",
    "CycleTimeBucket",
    "Fallout",
    "FalloutBucket",
    "InventoryDiscrepancy",
    "Latency",
    "Operations",
    "OrderAtRisk",
    "OrdersAtRiskChange",
    "monitor_of",
    "utc",
]

MONITORING_OFF = "MONITORING_OFF"
"""The code of a field asked of a wms subgraph that serves no monitoring."""

_MAX_FIRST = 1000
_MAX_BUCKETS = 5000


def monitor_of(info: Info) -> Monitor:
    monitor = info.context.monitor
    if monitor is None:
        raise GraphQLError(
            "this wms subgraph serves no business monitoring", extensions={"code": MONITORING_OFF}
        )
    return monitor


def utc(seconds: float) -> datetime:
    """Epoch seconds as an aware UTC datetime."""
    return datetime.fromtimestamp(seconds, UTC)


def _first(first: int) -> int:
    if not 0 <= first <= _MAX_FIRST:
        raise BadUserInput(f"first must be 0 to {_MAX_FIRST}, got {first}")
    return first


@strawberry.type
class CycleTime:
    stage: CycleStage
    distribution_center_id: strawberry.ID | None
    count: int
    p50_seconds: float | None
    p90_seconds: float | None


@strawberry.type
class CycleTimeBucket:
    start: datetime
    stage: CycleStage
    count: int
    p50_seconds: float | None
    p90_seconds: float | None


@strawberry.type
class Fallout:
    kind: FalloutKind
    reason: str
    count: int
    rate: float = strawberry.field(
        description="count / orders submitted in the window (0 when none were)."
    )


@strawberry.type
class FalloutBucket:
    start: datetime
    kind: FalloutKind
    count: int


@strawberry.type(directives=STAFF)
class OrderAtRisk:
    order_id: strawberry.ID
    order: Order | None = strawberry.field(
        description="The order entity (resolved by the other subgraphs through the gateway)."
    )
    stage: str
    since: datetime
    reason: AtRiskReason
    detail: str
    promised_date: date | None

    @classmethod
    def of(cls, risk: AtRisk) -> OrderAtRisk:
        return cls(
            order_id=strawberry.ID(risk.order_id),
            order=Order(id=strawberry.ID(risk.order_id)),
            stage=risk.stage,
            since=utc(risk.since),
            reason=AtRiskReason(risk.reason),
            detail=risk.detail,
            promised_date=risk.promised_date,
        )


@strawberry.type
class Latency:
    count: int
    p50_seconds: float | None
    p99_seconds: float | None


@strawberry.type
class InventoryDiscrepancy:
    sku: str
    distribution_center_id: strawberry.ID
    erp_booked: int
    wms_on_hand: int
    difference: int


@strawberry.type(directives=STAFF)
class Operations:
    window_start: datetime
    window_end: datetime

    @described(
        "p50/p90 per stage pair, all centers together (distributionCenterId null) and per center."
    )
    async def cycle_times(self, info: Info) -> list[CycleTime]:
        rows = await monitor_of(info).cycle_times(*self._window)
        return [
            CycleTime(
                stage=r.stage,
                distribution_center_id=None if r.center_id is None else strawberry.ID(r.center_id),
                count=r.count,
                p50_seconds=r.p50_seconds,
                p90_seconds=r.p90_seconds,
            )
            for r in rows
        ]

    @described("Same measures in time buckets, for charts (oldest first).")
    async def cycle_time_series(
        self, info: Info, bucket_minutes: int = 60
    ) -> list[CycleTimeBucket]:
        seconds = self._bucket(bucket_minutes)
        rows = await monitor_of(info).cycle_series(*self._window, seconds)
        return [
            CycleTimeBucket(
                start=utc(r.start),
                stage=r.stage,
                count=r.count,
                p50_seconds=r.p50_seconds,
                p90_seconds=r.p90_seconds,
            )
            for r in rows
        ]

    @described("Counts and rates of orders that fell out, by kind and reason.")
    async def fallout(self, info: Info) -> list[Fallout]:
        rows = await monitor_of(info).fallout(*self._window)
        return [Fallout(kind=r.kind, reason=r.reason, count=r.count, rate=r.rate) for r in rows]

    @described("Fallout counts in time buckets, for charts (oldest first).")
    async def fallout_series(self, info: Info, bucket_minutes: int = 60) -> list[FalloutBucket]:
        seconds = self._bucket(bucket_minutes)
        rows = await monitor_of(info).fallout_series(*self._window, seconds)
        return [FalloutBucket(start=utc(r.start), kind=r.kind, count=r.count) for r in rows]

    @described("Orders at risk now, worst first.")
    async def orders_at_risk(self, info: Info, first: int = 100) -> list[OrderAtRisk]:
        found = await monitor_of(info).at_risk(_first(first))
        return [OrderAtRisk.of(risk) for risk in found]

    @described("WMS event time -> delivered to subscribers.")
    async def shipment_status_latency(self, info: Info) -> Latency:
        found = await monitor_of(info).latency(*self._window)
        return Latency(count=found.count, p50_seconds=found.p50_seconds,
                       p99_seconds=found.p99_seconds)  # fmt: skip

    @described(
        "ERP-booked vs WMS on hand, only where they differ; null (with an error) when a "
        "system cannot be read."
    )
    async def inventory_discrepancies(
        self, info: Info, first: int = 100
    ) -> list[InventoryDiscrepancy] | None:
        monitor = monitor_of(info)
        if monitor.inventory is None:
            raise GraphQLError(
                "this wms subgraph serves no inventory truth", extensions={"code": MONITORING_OFF}
            )
        # A system that fails is SUBGRAPH_ERROR on this field alone (subgraphs.common.errors).
        rows = await monitor.discrepancies(_first(first))
        return [
            InventoryDiscrepancy(
                sku=r.sku,
                distribution_center_id=strawberry.ID(r.center_id),
                erp_booked=r.erp_booked,
                wms_on_hand=r.wms_on_hand,
                difference=r.difference,
            )
            for r in rows
        ]

    @property
    def _window(self) -> tuple[float, float]:
        return self.window_start.timestamp(), self.window_end.timestamp()

    def _bucket(self, minutes: int) -> float:
        start, end = self._window
        if minutes < 1 or (end - start) / (minutes * 60) > _MAX_BUCKETS:
            raise BadUserInput(
                f"bucketMinutes must be at least 1 and make at most {_MAX_BUCKETS} buckets "
                f"of the window, got {minutes}"
            )
        return minutes * 60.0


@strawberry.type(directives=STAFF)
class OrdersAtRiskChange:
    added: list[OrderAtRisk]
    removed_order_ids: list[strawberry.ID]
    at_risk: list[OrderAtRisk]
