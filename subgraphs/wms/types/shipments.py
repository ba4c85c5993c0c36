"""``Shipment``: what left a distribution center with a carrier, and where it is now."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from subgraphs.common.vendor import dangling
from subgraphs.wms.enums import Carrier, ShipmentStatus
from subgraphs.wms.records import ShipmentRecord
from subgraphs.wms.types.base import Info
from subgraphs.wms.types.centers import DistributionCenter, referenced_center
from subgraphs.wms.types.fulfillment_orders import FulfillmentOrder, load_fulfillment_order
from subgraphs.wms.types.inventory import Product
from subgraphs.wms.vendor import SYSTEM

if TYPE_CHECKING:
    from subgraphs.wms.types.orders import Order

__all__ = ["Shipment", "ShipmentLine", "TrackingEvent", "shipment_of"]


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
    keys=["id"], description="Packages that left a distribution center with a carrier."
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
    def order(self) -> Annotated[Order, strawberry.lazy("subgraphs.wms.types.orders")] | None:
        from subgraphs.wms.types.orders import Order

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
