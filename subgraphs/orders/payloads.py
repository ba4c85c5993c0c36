"""What the orders subgraph's operations answer: submission and promise payloads."""

from __future__ import annotations

import datetime
from decimal import Decimal

import strawberry

from resolvers.cancel import CancelResult
from resolvers.records import Outcome, SubmitResult
from resolvers.release import ReleaseResult
from resolvers.service import Promise
from subgraphs.common.types import Money
from subgraphs.orders.types import (
    DistributionCenter,
    Order,
    OrderAllocation,
    OrderBackorder,
    OrderUserError,
    Product,
)

__all__ = [
    "CancelOrderPayload",
    "CenterAvailability",
    "LinePromise",
    "OrderPromise",
    "ReleaseOrderPayload",
    "SubmitOrderPayload",
]


@strawberry.type(description="What a cancellation took off the order.")
class CancelOrderPayload:
    order: Order | None
    cancelled_skus: list[str] = strawberry.field(
        description="Products whose open quantities were cancelled (and their stock released)."
    )
    user_errors: list[OrderUserError]

    @classmethod
    def of(cls, result: CancelResult) -> CancelOrderPayload:
        order_id = result.order_id
        return cls(
            order=Order(id=strawberry.ID(order_id)) if order_id else None,
            cancelled_skus=list(result.cancelled_skus),
            user_errors=[OrderUserError.of(x) for x in result.user_errors],
        )


@strawberry.type(description="What lifting an order's review hold released.")
class ReleaseOrderPayload:
    order: Order | None
    fulfillment_order_numbers: list[str] = strawberry.field(
        description="The WMS fulfillment orders the release made, one per center."
    )
    user_errors: list[OrderUserError]

    @classmethod
    def of(cls, result: ReleaseResult) -> ReleaseOrderPayload:
        order_id = result.order_id
        return cls(
            order=Order(id=strawberry.ID(order_id)) if order_id else None,
            fulfillment_order_numbers=list(result.fulfillment_orders),
            user_errors=[OrderUserError.of(x) for x in result.user_errors],
        )


@strawberry.type(description="How a submission ended, and where its stock comes from.")
class SubmitOrderPayload:
    order: Order | None = strawberry.field(description="The ERP order; null when rejected.")
    outcome: Outcome
    allocations: list[OrderAllocation]
    backorders: list[OrderBackorder] = strawberry.field(
        description="Quantities kept on the order until incoming supply arrives (BACKORDER)."
    )
    unfilled: list[OrderBackorder] = strawberry.field(
        description="Quantities left off the order (SHIP_AVAILABLE)."
    )
    subtotal: Money | None
    user_errors: list[OrderUserError]

    @classmethod
    def of(cls, result: SubmitResult) -> SubmitOrderPayload:
        order_id = result.order_id
        return cls(
            order=Order(id=strawberry.ID(order_id)) if order_id else None,
            outcome=result.outcome,
            allocations=[OrderAllocation.of(x) for x in result.allocations],
            backorders=[OrderBackorder.of(x) for x in result.backorders],
            unfilled=[OrderBackorder.of(x) for x in result.unfilled],
            subtotal=None if result.subtotal is None else Money.of(result.subtotal),
            user_errors=[OrderUserError.of(x) for x in result.user_errors],
        )


@strawberry.type(description="One product's availability at one distribution center.")
class CenterAvailability:
    distribution_center: DistributionCenter
    on_hand: int
    allocated: int
    available: int
    incoming: int
    incoming_date: datetime.date | None


@strawberry.type(description="What one line would get if the order were submitted now.")
class LinePromise:
    sku: str
    product: Product
    quantity: int
    unit_price: Money
    extended_price: Money
    availability: list[CenterAvailability]
    allocations: list[OrderAllocation]
    backordered_quantity: int
    earliest_ship_date: datetime.date | None
    earliest_delivery_date: datetime.date | None = strawberry.field(
        description="When the whole line can arrive at the ship-to region."
    )


@strawberry.type(description="The promise of an order: availability, split, dates and prices.")
class OrderPromise:
    lines: list[LinePromise]
    outcome: Outcome = strawberry.field(description="What submitting the order now would give.")
    subtotal: Money | None
    user_errors: list[OrderUserError]

    @classmethod
    def of(cls, promise: Promise, quantities: dict[str, int]) -> OrderPromise:
        plan = promise.plan
        if plan is None:
            return cls(
                lines=[],
                outcome=Outcome.REJECTED,
                subtotal=None,
                user_errors=[OrderUserError.of(x) for x in promise.user_errors],
            )
        lines = []
        for sku, quantity in quantities.items():
            parts = [x for x in plan.allocations if x.sku == sku]
            waiting = [x for x in plan.backorders if x.sku == sku]
            unit = plan.prices.get(sku, Decimal(0))
            delivery = [x.delivery_date for x in parts]
            delivery += [x.promised_date for x in waiting if x.promised_date is not None]
            complete = not waiting or all(x.promised_date for x in waiting)
            lines.append(
                LinePromise(
                    sku=sku,
                    product=Product(sku=sku),
                    quantity=quantity,
                    unit_price=Money.of(unit, plan.currency),
                    extended_price=Money.of(unit * quantity, plan.currency),
                    availability=[
                        CenterAvailability(
                            distribution_center=DistributionCenter(id=strawberry.ID(s.center_id)),
                            on_hand=s.on_hand,
                            allocated=s.allocated,
                            available=s.available,
                            incoming=s.incoming,
                            incoming_date=s.incoming_date,
                        )
                        for s in promise.stock
                        if s.sku == sku
                    ],
                    allocations=[OrderAllocation.of(x) for x in parts],
                    backordered_quantity=sum(x.quantity for x in waiting),
                    earliest_ship_date=min((x.ship_date for x in parts), default=None),
                    earliest_delivery_date=max(delivery) if delivery and complete else None,
                )
            )
        return cls(
            lines=lines,
            outcome=Outcome.ON_HOLD if plan.hold_reason else Outcome.CONFIRMED,
            subtotal=Money.of(plan.subtotal, plan.currency),
            user_errors=[],
        )
