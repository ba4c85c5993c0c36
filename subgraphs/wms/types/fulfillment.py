"""The WMS's fulfillment graph: ``FulfillmentOrder`` (a pick wave released to one center for an
ERP order), ``Shipment`` (what left a center with a carrier, and where it is now) and the WMS's
part of ``Order`` (how far fulfillment got, and the work that got it there).

One module because each of these types refers to the others (a fulfillment order's order and
shipments, a shipment's fulfillment order and order, an order's fulfillment orders and
shipments): together they import nothing that imports them.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime

import strawberry

from connectors.payloads import dangling
from connectors.wms.records import FulfillmentOrderRecord, ShipmentRecord
from connectors.wms.status import fulfillment_status
from connectors.wms.vendor import SYSTEM
from subgraphs.common.access import ORDERS
from subgraphs.common.fields import described
from subgraphs.wms.enums import Carrier, FulfillmentOrderStatus, FulfillmentStatus, ShipmentStatus
from subgraphs.wms.types.base import Info
from subgraphs.wms.types.centers import DistributionCenter, referenced_center
from subgraphs.wms.types.inventory import Product

__all__ = [
    "FulfillmentOrder",
    "FulfillmentOrderLine",
    "Order",
    "Shipment",
    "ShipmentLine",
    "TrackingEvent",
    "load_fulfillment_order",
    "shipment_of",
]


@strawberry.type(description="One product and quantity of a fulfillment order.")
class FulfillmentOrderLine:
    sku: strawberry.Private[str]
    quantity: int

    @strawberry.field
    def product(self) -> Product | None:
        return Product(sku=self.sku)


@strawberry.federation.type(
    keys=["id"],
    description="Work released to one distribution center to pick, pack and ship (part of) "
    "an order.",
    directives=ORDERS,
)
class FulfillmentOrder:
    id: strawberry.ID = strawberry.field(description="The WMS number, e.g. FO-1000001.")
    record: strawberry.Private[FulfillmentOrderRecord]
    status: FulfillmentOrderStatus
    released_at: datetime
    lines: list[FulfillmentOrderLine]

    @classmethod
    def from_record(cls, record: FulfillmentOrderRecord) -> FulfillmentOrder:
        return cls(
            id=strawberry.ID(record.id),
            record=record,
            status=record.status,
            released_at=record.released_at,
            lines=[
                FulfillmentOrderLine(sku=line.sku, quantity=line.quantity) for line in record.lines
            ],
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> FulfillmentOrder | None:
        return await load_fulfillment_order(info, str(id))

    @strawberry.field
    def order(self) -> Order | None:

        return Order(id=strawberry.ID(self.record.order_id))

    @strawberry.field
    async def distribution_center(self, info: Info) -> DistributionCenter:
        return await referenced_center(info, self.record.center_id, f"fulfillment order {self.id}")

    @strawberry.field
    async def shipments(self, info: Info) -> list[Shipment]:

        # Through the order's shipments: one batch serves Order.shipments and this alike.
        records = await info.context.loaders.shipments_of_order.load(self.record.order_id)
        return [
            Shipment.from_record(record)
            for record in records
            if record.fulfillment_order_id == self.record.id
        ]


async def load_fulfillment_order(info: Info, number: str) -> FulfillmentOrder | None:
    """The fulfillment order ``number``, or ``None`` if the WMS does not know it."""
    return await info.context.loaders.fulfillment_order.load_as(
        number, FulfillmentOrder.from_record
    )


@strawberry.type(description="One scan of a shipment, as the carrier reported it.")
class TrackingEvent:
    status: ShipmentStatus
    description: str
    location: str = strawberry.field(description="City and state of the scan, e.g. Reno, NV.")
    occurred_at: datetime


@strawberry.type(description="One product and quantity in a shipment.")
class ShipmentLine:
    sku: strawberry.Private[str]
    quantity: int

    @strawberry.field
    def product(self) -> Product | None:
        return Product(sku=self.sku)


@strawberry.federation.type(
    keys=["id"],
    description="Packages that left a distribution center with a carrier.",
    directives=ORDERS,
)
class Shipment:
    id: strawberry.ID = strawberry.field(description="The WMS number, e.g. SH-1000001.")
    record: strawberry.Private[ShipmentRecord]
    carrier: Carrier
    service: str = strawberry.field(description="The carrier's service level, e.g. UPS Ground.")
    tracking_number: str
    status: ShipmentStatus
    package_count: int
    weight_kg: float
    shipped_at: datetime
    estimated_delivery: date
    delivered_at: datetime | None
    tracking_events: list[TrackingEvent] = strawberry.field(description="Oldest first.")
    lines: list[ShipmentLine]

    @classmethod
    def from_record(cls, record: ShipmentRecord) -> Shipment:
        return cls(
            id=strawberry.ID(record.id),
            record=record,
            carrier=record.carrier,
            service=record.service,
            tracking_number=record.tracking_number,
            status=record.status,
            package_count=record.package_count,
            weight_kg=float(record.weight_kg),
            shipped_at=record.shipped_at,
            estimated_delivery=record.estimated_delivery,
            delivered_at=record.delivered_at,
            tracking_events=[
                TrackingEvent(
                    status=e.status,
                    description=e.description,
                    location=e.location,
                    occurred_at=e.occurred_at,
                )
                for e in record.events
            ],
            lines=[ShipmentLine(sku=line.sku, quantity=line.quantity) for line in record.lines],
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Shipment | None:
        return shipment_of(await info.context.loaders.shipment.load(str(id)))

    @strawberry.field
    def order(self) -> Order | None:

        return Order(id=strawberry.ID(self.record.order_id))

    @strawberry.field
    async def fulfillment_order(self, info: Info) -> FulfillmentOrder:
        number = self.record.fulfillment_order_id
        # Through the order's fulfillment orders: one batch serves Order.fulfillmentOrders and
        # this alike, whichever of the two answers first.
        of_order = await info.context.loaders.fulfillment_orders_of_order.load(self.record.order_id)
        record = next((fo for fo in of_order if fo.id == number), None)
        found = (
            FulfillmentOrder.from_record(record)
            if record is not None
            else await load_fulfillment_order(info, number)
        )
        if found is None:
            raise dangling(SYSTEM, f"shipment {self.id}", "fulfillment order", number)
        return found

    @strawberry.field
    async def distribution_center(self, info: Info) -> DistributionCenter:
        return await referenced_center(info, self.record.center_id, f"shipment {self.id}")


def shipment_of(record: ShipmentRecord | None) -> Shipment | None:
    return None if record is None else Shipment.from_record(record)


@strawberry.federation.type(keys=["id"], directives=ORDERS)
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
