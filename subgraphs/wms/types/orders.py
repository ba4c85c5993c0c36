"""The WMS's part of ``Order``: how far fulfillment got, and the work that got it there."""

from __future__ import annotations

import asyncio

import strawberry

from subgraphs.common.fields import described
from subgraphs.wms.enums import FulfillmentStatus
from subgraphs.wms.status import fulfillment_status
from subgraphs.wms.types.base import Info
from subgraphs.wms.types.fulfillment_orders import FulfillmentOrder
from subgraphs.wms.types.shipments import Shipment

__all__ = ["Order"]


@strawberry.federation.type(keys=["id"])
class Order:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Order:
        # The WMS knows orders only through their fulfillment orders: any id is an order
        # that may simply not be released yet (UNFULFILLED).
        return cls(id=strawberry.ID(str(id)))

    @described(
        "How far the order got in fulfillment, derived from its fulfillment orders and "
        "shipments; UNFULFILLED until the first is released."
    )
    async def fulfillment_status(self, info: Info) -> FulfillmentStatus | None:
        loaders = info.context.loaders
        orders, shipments = await asyncio.gather(
            loaders.fulfillment_orders_of_order.load(self.id),
            loaders.shipments_of_order.load(self.id),
        )
        return fulfillment_status(orders, shipments)

    @described("The work released to distribution centers for this order, oldest first.")
    async def fulfillment_orders(self, info: Info) -> list[FulfillmentOrder] | None:
        records = await info.context.loaders.fulfillment_orders_of_order.load(self.id)
        return [FulfillmentOrder.from_record(record) for record in records]

    @described("Every shipment of this order, from any distribution center.")
    async def shipments(self, info: Info) -> list[Shipment] | None:
        records = await info.context.loaders.shipments_of_order.load(self.id)
        return [Shipment.from_record(record) for record in records]
