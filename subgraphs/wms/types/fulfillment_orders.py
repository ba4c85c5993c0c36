"""``FulfillmentOrder``: a pick wave released to one distribution center for an ERP order."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from subgraphs.wms.enums import FulfillmentOrderStatus
from subgraphs.wms.records import FulfillmentOrderRecord
from subgraphs.wms.types.base import Info
from subgraphs.wms.types.centers import DistributionCenter, referenced_center
from subgraphs.wms.types.inventory import Product

if TYPE_CHECKING:
    from subgraphs.wms.types.orders import Order
    from subgraphs.wms.types.shipments import Shipment

__all__ = ["FulfillmentOrder", "FulfillmentOrderLine", "load_fulfillment_order"]


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
    def order(self) -> Annotated[Order, strawberry.lazy("subgraphs.wms.types.orders")] | None:
        from subgraphs.wms.types.orders import Order

        return Order(id=strawberry.ID(self.record.order_id))

    @strawberry.field
    async def distribution_center(self, info: Info) -> DistributionCenter:
        return await referenced_center(info, self.record.center_id, f"fulfillment order {self.id}")

    @strawberry.field
    async def shipments(
        self, info: Info
    ) -> list[Annotated[Shipment, strawberry.lazy("subgraphs.wms.types.shipments")]]:
        from subgraphs.wms.types.shipments import Shipment

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
