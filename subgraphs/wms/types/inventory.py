"""``InventoryPosition`` and the WMS's part of ``Product``: inventory and availability."""

from __future__ import annotations

from datetime import date

import strawberry

from connectors.wms.records import PositionRecord
from subgraphs.common.fields import described
from subgraphs.wms.types.base import Info
from subgraphs.wms.types.centers import DistributionCenter, referenced_center

__all__ = ["InventoryPosition", "Product"]


@strawberry.type(description="One product's inventory at one distribution center.")
class InventoryPosition:
    sku: strawberry.Private[str]
    center_id: strawberry.Private[str]
    on_hand: int = strawberry.field(description="Units physically in the building.")
    allocated: int = strawberry.field(description="Units reserved for open fulfillment orders.")
    available: int = strawberry.field(description="Units free to promise: on hand - allocated.")
    incoming: int = strawberry.field(description="Units expected on inbound receipts.")
    incoming_date: date | None = strawberry.field(
        description="When the incoming units are expected, if any are."
    )

    @classmethod
    def from_record(cls, record: PositionRecord) -> InventoryPosition:
        return cls(
            sku=record.sku,
            center_id=record.center_id,
            on_hand=record.on_hand,
            allocated=record.allocated,
            available=record.available,
            incoming=record.incoming,
            incoming_date=record.incoming_date,
        )

    @strawberry.field
    async def distribution_center(self, info: Info) -> DistributionCenter:
        return await referenced_center(info, self.center_id, f"inventory of {self.sku}")

    @strawberry.field
    def product(self) -> Product | None:
        return Product(sku=self.sku)


@strawberry.federation.type(keys=["sku"])
class Product:
    sku: str

    @classmethod
    def resolve_reference(cls, sku: str) -> Product:
        return cls(sku=str(sku))

    @described("Inventory of this product, one position per distribution center that stocks it.")
    async def inventory(self, info: Info) -> list[InventoryPosition] | None:
        positions = await info.context.loaders.positions_of_sku.load(self.sku)
        return [InventoryPosition.from_record(p) for p in positions]

    @described("Units available to promise now, across every distribution center.")
    async def available_to_promise(self, info: Info) -> int | None:
        positions = await info.context.loaders.positions_of_sku.load(self.sku)
        return sum(max(p.available, 0) for p in positions)
