"""``FulfillmentMilestone``: one event of the milestone stream, as a subscriber receives it.

The event (``schema.events.FulfillmentMilestone``) carries ids; what they name is loaded per
event through the context's loaders (fulfillment order, shipment, center) or left to the
gateway (the order's ERP fields, the account's CRM fields) through entity fetches.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

from schema import events
from subgraphs.common.access import AUTHENTICATED_TYPE
from subgraphs.common.fields import described
from subgraphs.wms.enums import Carrier
from subgraphs.wms.types.base import Info
from subgraphs.wms.types.centers import DistributionCenter, load_center
from subgraphs.wms.types.fulfillment import (
    FulfillmentOrder,
    Order,
    Shipment,
    load_fulfillment_order,
    shipment_of,
)
from subgraphs.wms.types.inventory import Product

__all__ = ["Account", "FulfillmentMilestone", "MilestoneQuantity", "MilestoneType"]


@strawberry.enum(
    description="A step in the life of a fulfillment order or its shipment, in the order "
    "they usually happen; DELAYED, EXCEPTION, BACKORDERED and CANCELLED may come at any point."
)
class MilestoneType(Enum):
    RELEASED = "RELEASED"
    PICKING = "PICKING"
    PICKED = "PICKED"
    PACKED = "PACKED"
    SHIPPED = "SHIPPED"
    IN_TRANSIT = "IN_TRANSIT"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    DELIVERED = "DELIVERED"
    DELAYED = "DELAYED"
    EXCEPTION = "EXCEPTION"
    BACKORDERED = "BACKORDERED"
    CANCELLED = "CANCELLED"
    RETURN_RECEIVED = "RETURN_RECEIVED"


@strawberry.federation.type(
    keys=[Key(fields=FieldSet("id"), resolvable=False)],
    description="A customer account; the CRM subgraph resolves it.",
    directives=AUTHENTICATED_TYPE,
)
class Account:
    id: strawberry.ID = strawberry.field(description="The CRM account id.")


@strawberry.type(description="How many units of one product a milestone concerns.")
class MilestoneQuantity:
    sku: str = strawberry.field(description="The product's SKU, e.g. SKU-10646.")
    quantity: int = strawberry.field(
        description="Units picked, shipped, backordered or received, as the milestone says."
    )

    @described("The product.")
    def product(self) -> Product | None:
        return Product(sku=self.sku)


@strawberry.type(
    description="A milestone the WMS reported for a fulfillment order or a shipment, live."
)
class FulfillmentMilestone:
    event: strawberry.Private[events.FulfillmentMilestone]
    event_id: strawberry.ID = strawberry.field(
        description="Unique per milestone; pass it as `after` to resume after this one."
    )
    type: MilestoneType = strawberry.field(description="What happened.")
    occurred_at: datetime = strawberry.field(description="When it happened in the warehouse.")
    tracking_number: str | None = strawberry.field(
        description="The carrier tracking number, from SHIPPED on."
    )
    carrier: Carrier | None = strawberry.field(description="The carrier, from SHIPPED on.")
    exception_reason: str | None = strawberry.field(
        description="What went wrong, for an EXCEPTION or a DELAYED milestone."
    )
    estimated_delivery: datetime | None = strawberry.field(
        description="When the carrier expects to deliver, if it said."
    )
    quantities: list[MilestoneQuantity] = strawberry.field(
        description="The units concerned, per product (empty when the milestone names none)."
    )

    @classmethod
    def from_event(cls, event: events.FulfillmentMilestone) -> FulfillmentMilestone:
        detail = event.detail
        return cls(
            event=event,
            event_id=strawberry.ID(event.event_id),
            type=MilestoneType(event.type.value),
            occurred_at=event.occurred_at,
            tracking_number=detail.tracking_number,
            carrier=_carrier(detail.carrier),
            exception_reason=detail.exception_reason,
            estimated_delivery=detail.estimated_delivery,
            quantities=[
                MilestoneQuantity(sku=line.sku, quantity=line.quantity)
                for line in detail.quantities
            ],
        )

    @described("The order this milestone is part of.")
    def order(self) -> Order:
        return Order(id=strawberry.ID(self.event.order_id))

    @described("The order's customer account, when the ERP named it.")
    def account(self) -> Account | None:
        account_id = self.event.account_id
        return None if account_id is None else Account(id=strawberry.ID(account_id))

    @described("The fulfillment order, as it stands now (null for a milestone of none).")
    async def fulfillment_order(self, info: Info) -> FulfillmentOrder | None:
        number = self.event.fulfillment_order_id
        return None if number is None else await load_fulfillment_order(info, number)

    @described("The shipment, as it stands now (null before it shipped).")
    async def shipment(self, info: Info) -> Shipment | None:
        number = self.event.shipment_id
        if number is None:
            return None
        return shipment_of(await info.context.loaders.shipment.load(number))

    @described("The distribution center where it happened.")
    async def distribution_center(self, info: Info) -> DistributionCenter | None:
        return await load_center(info, self.event.center_id)


def _carrier(code: str | None) -> Carrier | None:
    # The canonical event names carriers in our words already (UPS, FEDEX, …).
    try:
        return None if code is None else Carrier(code)
    except ValueError:
        return None
