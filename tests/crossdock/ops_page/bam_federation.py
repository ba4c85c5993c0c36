"""A federation serving the contract of the operations page (``docs/operations-page.md``),
with the data a test puts in, on real loopback servers.

``bam`` implements ``Query.operations`` and ``Subscription.ordersAtRiskChanged`` as the
contract shapes them (the BAM subgraph that computes them from events is another piece of
work); ``OrderAtRisk.order`` is an ``Order`` entity whose ``number`` only ``ledger`` resolves,
so the page's list goes through an entity fetch as it does in the real graph. A test sets what
the graph holds with :class:`Board` and every subscriber gets the new list at once.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import Enum

import strawberry
import strawberry.federation
from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute
from strawberry.federation.schema_directives import Authenticated, RequiresScopes

from gateway.auth import AuthSettings
from gateway.composition import SubgraphSource, compose
from subgraphs.common.app import SubgraphGraphQL
from subgraphs.common.fields import described
from subgraphs.common.identity import Identification
from subgraphs.common.sdl import subgraph_sdl
from tests.support.servers import serve

__all__ = [
    "AtRisk",
    "Board",
    "CycleBucket",
    "FalloutBucket",
    "FalloutTotal",
    "running_bam_federation",
]


@strawberry.enum
class CycleStage(Enum):
    SUBMITTED_TO_RELEASED = "SUBMITTED_TO_RELEASED"
    RELEASED_TO_SHIPPED = "RELEASED_TO_SHIPPED"
    SHIPPED_TO_DELIVERED = "SHIPPED_TO_DELIVERED"
    SHIPPED_TO_INVOICED = "SHIPPED_TO_INVOICED"
    RETURN_AUTHORIZED_TO_RECEIVED = "RETURN_AUTHORIZED_TO_RECEIVED"
    RETURN_RECEIVED_TO_CREDITED = "RETURN_RECEIVED_TO_CREDITED"


@strawberry.enum
class FalloutKind(Enum):
    CREDIT_HOLD = "CREDIT_HOLD"
    MANUAL_REVIEW = "MANUAL_REVIEW"
    REJECTED = "REJECTED"
    RELEASE_FAILED = "RELEASE_FAILED"
    BACKORDERED = "BACKORDERED"


@strawberry.enum
class AtRiskReason(Enum):
    STUCK_IN_STAGE = "STUCK_IN_STAGE"
    PROMISE_AT_RISK = "PROMISE_AT_RISK"
    SHIPMENT_DELAYED = "SHIPMENT_DELAYED"
    SHIPMENT_EXCEPTION = "SHIPMENT_EXCEPTION"


# --- what a test puts in (plain records; the schema's types are built from them) ---------


@dataclass(frozen=True)
class CycleBucket:
    start: datetime
    stage: str  # a CycleStage name
    count: int
    p50_seconds: float | None
    p90_seconds: float | None


@dataclass(frozen=True)
class FalloutBucket:
    start: datetime
    kind: str  # a FalloutKind name
    count: int


@dataclass(frozen=True)
class FalloutTotal:
    kind: str
    reason: str
    count: int
    rate: float


@dataclass(frozen=True)
class AtRisk:
    order_id: str
    stage: str
    since: datetime
    reason: str  # an AtRiskReason name
    detail: str
    promised_date: date | None = None


@dataclass
class Board:
    """What the ``bam`` subgraph serves, set from the test's thread; each change of the
    at-risk list reaches every subscriber (through the loop of the server thread it runs in)."""

    cycle_series: list[CycleBucket] = field(default_factory=list)
    fallout_series: list[FalloutBucket] = field(default_factory=list)
    fallout: list[FalloutTotal] = field(default_factory=list)
    at_risk: list[AtRisk] = field(default_factory=list)
    subscribers: dict[asyncio.Queue[list[AtRisk]], asyncio.AbstractEventLoop] = field(
        default_factory=dict
    )
    lock: threading.Lock = field(default_factory=threading.Lock)

    def set_at_risk(self, orders: list[AtRisk]) -> None:
        """The list now; subscribers are told."""
        with self.lock:
            self.at_risk = list(orders)
            subscribers = list(self.subscribers.items())
        for queue, loop in subscribers:
            loop.call_soon_threadsafe(queue.put_nowait, list(orders))

    def subscribed(self) -> int:
        with self.lock:
            return len(self.subscribers)

    def _register(self) -> tuple[asyncio.Queue[list[AtRisk]], list[AtRisk]]:
        queue: asyncio.Queue[list[AtRisk]] = asyncio.Queue()
        with self.lock:
            self.subscribers[queue] = asyncio.get_running_loop()
            return queue, list(self.at_risk)

    def _unregister(self, queue: asyncio.Queue[list[AtRisk]]) -> None:
        with self.lock:
            self.subscribers.pop(queue, None)


BOARD = Board()

# As the contract says: staff only (enforced by the gateway when its auth is on).
STAFF_ONLY = (Authenticated(), RequiresScopes(scopes=[["staff"]]))


# --- the contract's types ----------------------------------------------------------------


@strawberry.federation.type(keys=["id"], name="Order")
class OrderRef:
    id: strawberry.ID


@strawberry.type(name="CycleTime")
class CycleTimeType:
    stage: CycleStage
    distribution_center_id: strawberry.ID | None
    count: int
    p50_seconds: float | None
    p90_seconds: float | None


@strawberry.type(name="CycleTimeBucket")
class CycleTimeBucketType:
    start: datetime
    stage: CycleStage
    count: int
    p50_seconds: float | None
    p90_seconds: float | None


@strawberry.type(name="Fallout")
class FalloutType:
    kind: FalloutKind
    reason: str
    count: int
    rate: float


@strawberry.type(name="FalloutBucket")
class FalloutBucketType:
    start: datetime
    kind: FalloutKind
    count: int


@strawberry.type(name="OrderAtRisk")
class OrderAtRiskType:
    order_id: strawberry.ID
    order: OrderRef | None
    stage: str
    since: datetime
    reason: AtRiskReason
    detail: str
    promised_date: date | None


@strawberry.type(name="Latency")
class LatencyType:
    count: int
    p50_seconds: float | None
    p99_seconds: float | None


@strawberry.type(name="InventoryDiscrepancy")
class InventoryDiscrepancyType:
    sku: str
    distribution_center_id: strawberry.ID
    erp_booked: int
    wms_on_hand: int
    difference: int


def _at_risk(item: AtRisk) -> OrderAtRiskType:
    return OrderAtRiskType(
        order_id=strawberry.ID(item.order_id),
        order=OrderRef(id=strawberry.ID(item.order_id)),
        stage=item.stage,
        since=item.since,
        reason=AtRiskReason[item.reason],
        detail=item.detail,
        promised_date=item.promised_date,
    )


@strawberry.type(name="Operations")
class OperationsType:
    window_hours: strawberry.Private[int]

    @strawberry.field
    def window_start(self) -> datetime:
        return datetime.now(UTC) - timedelta(hours=self.window_hours)

    @strawberry.field
    def window_end(self) -> datetime:
        return datetime.now(UTC)

    @strawberry.field
    def cycle_times(self) -> list[CycleTimeType]:
        return []

    @strawberry.field
    def cycle_time_series(self, bucket_minutes: int = 60) -> list[CycleTimeBucketType]:
        return [
            CycleTimeBucketType(
                start=b.start,
                stage=CycleStage[b.stage],
                count=b.count,
                p50_seconds=b.p50_seconds,
                p90_seconds=b.p90_seconds,
            )
            for b in BOARD.cycle_series
        ]

    @strawberry.field
    def fallout(self) -> list[FalloutType]:
        return [
            FalloutType(kind=FalloutKind[f.kind], reason=f.reason, count=f.count, rate=f.rate)
            for f in BOARD.fallout
        ]

    @strawberry.field
    def fallout_series(self, bucket_minutes: int = 60) -> list[FalloutBucketType]:
        return [
            FalloutBucketType(start=b.start, kind=FalloutKind[b.kind], count=b.count)
            for b in BOARD.fallout_series
        ]

    @strawberry.field
    def orders_at_risk(self, first: int = 100) -> list[OrderAtRiskType]:
        with BOARD.lock:
            return [_at_risk(item) for item in BOARD.at_risk[:first]]

    @strawberry.field
    def shipment_status_latency(self) -> LatencyType:
        return LatencyType(count=0, p50_seconds=None, p99_seconds=None)

    @strawberry.field
    def inventory_discrepancies(self, first: int = 100) -> list[InventoryDiscrepancyType]:
        return []


@strawberry.type(name="OrdersAtRiskChange")
class OrdersAtRiskChangeType:
    added: list[OrderAtRiskType]
    removed_order_ids: list[strawberry.ID]
    at_risk: list[OrderAtRiskType]


@strawberry.type(name="Query")
class BamQuery:
    @described("Business activity monitoring over the last windowHours.", directives=STAFF_ONLY)
    def operations(self, window_hours: int = 24) -> OperationsType:
        return OperationsType(window_hours=window_hours)


async def _changes() -> AsyncGenerator[OrdersAtRiskChangeType, None]:
    """The list now, then each change, as added/removed against the one before."""
    queue, current = BOARD._register()
    before: dict[str, AtRisk] = {}
    try:
        while True:
            now = {item.order_id: item for item in current}
            yield OrdersAtRiskChangeType(
                added=[_at_risk(item) for key, item in now.items() if key not in before],
                removed_order_ids=[strawberry.ID(key) for key in before if key not in now],
                at_risk=[_at_risk(item) for item in current],
            )
            before = now
            current = await queue.get()
    finally:
        BOARD._unregister(queue)


@strawberry.type(name="Subscription")
class BamSubscription:
    @strawberry.subscription(directives=STAFF_ONLY)  # type: ignore[untyped-decorator]
    async def orders_at_risk_changed(self) -> AsyncGenerator[OrdersAtRiskChangeType, None]:
        async for change in _changes():
            yield change


@strawberry.federation.type(keys=["id"], name="Order")
class LedgerOrder:
    id: strawberry.ID

    @strawberry.field
    def number(self) -> str:
        """``SO-`` and the id's digits, so a test knows what the page must show."""
        return "SO-" + "".join(c for c in str(self.id) if c.isdigit())

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> LedgerOrder:
        return cls(id=id)


@strawberry.type(name="Query")
class LedgerQuery:
    @strawberry.field
    def order(self, id: strawberry.ID) -> LedgerOrder:
        return LedgerOrder(id=id)


BAM_SCHEMA = strawberry.federation.Schema(
    query=BamQuery, subscription=BamSubscription, types=[OrderRef]
)
LEDGER_SCHEMA = strawberry.federation.Schema(query=LedgerQuery, types=[LedgerOrder])


def _app(schema: strawberry.federation.Schema) -> Starlette:
    # Any subgraph, not one of ours: it verifies nothing (auth is the gateway's here).
    view = SubgraphGraphQL(
        schema,
        lambda actor: object(),
        identification=Identification(AuthSettings(), refuse_tokens_when_off=False),
    )
    view.max_subscriptions_per_connection = None
    return Starlette(
        routes=[
            Route("/graphql", view, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", view),
        ]
    )


@dataclass(frozen=True)
class BamFederation:
    board: Board
    supergraph_sdl: str


@contextmanager
def running_bam_federation() -> Iterator[BamFederation]:
    """Both subgraphs on loopback, composed; the board emptied on entry."""
    with BOARD.lock:
        BOARD.cycle_series, BOARD.fallout_series, BOARD.fallout, BOARD.at_risk = [], [], [], []
    with ExitStack() as stack:
        bam = stack.enter_context(serve(_app(BAM_SCHEMA))) + "/graphql"
        ledger = stack.enter_context(serve(_app(LEDGER_SCHEMA))) + "/graphql"
        sdl = compose(
            [
                SubgraphSource("bam", bam, subgraph_sdl(BAM_SCHEMA)),
                SubgraphSource("ledger", ledger, subgraph_sdl(LEDGER_SCHEMA)),
            ]
        )
        yield BamFederation(BOARD, sdl)
