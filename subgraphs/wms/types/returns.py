"""``ReturnReceipt`` and the WMS's part of ``ReturnAuthorization``: goods received back."""

from __future__ import annotations

from datetime import datetime

import strawberry

from connectors.wms.records import ReturnReceiptRecord
from subgraphs.common.access import ORDERS
from subgraphs.common.fields import described
from subgraphs.wms.enums import ReturnDisposition
from subgraphs.wms.types.base import Info
from subgraphs.wms.types.centers import DistributionCenter, referenced_center
from subgraphs.wms.types.inventory import Product

__all__ = ["ReturnAuthorization", "ReturnReceipt", "ReturnReceiptLine"]


@strawberry.type(description="One product received back, and what the dock did with it.")
class ReturnReceiptLine:
    sku: strawberry.Private[str]
    quantity_received: int
    disposition: ReturnDisposition

    @strawberry.field
    def product(self) -> Product | None:
        return Product(sku=self.sku)


@strawberry.type(description="Goods received at a distribution center against a return.")
class ReturnReceipt:
    id: strawberry.ID = strawberry.field(description="The WMS receipt number, e.g. RR-1000001.")
    center_id: strawberry.Private[str]
    received_at: datetime
    lines: list[ReturnReceiptLine]

    @classmethod
    def from_record(cls, record: ReturnReceiptRecord) -> ReturnReceipt:
        return cls(
            id=strawberry.ID(record.id),
            center_id=record.center_id,
            received_at=record.received_at,
            lines=[
                ReturnReceiptLine(
                    sku=line.sku,
                    quantity_received=line.quantity_received,
                    disposition=line.disposition,
                )
                for line in record.lines
            ],
        )

    @strawberry.field
    async def distribution_center(self, info: Info) -> DistributionCenter:
        return await referenced_center(info, self.center_id, f"return receipt {self.id}")


@strawberry.federation.type(keys=["id"], directives=ORDERS)
class ReturnAuthorization:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> ReturnAuthorization:
        return cls(id=strawberry.ID(str(id)))

    @described("What the distribution center received against this return, oldest first.")
    async def receipts(self, info: Info) -> list[ReturnReceipt] | None:
        records = await info.context.loaders.receipts_of_return.load(self.id)
        return [ReturnReceipt.from_record(record) for record in records]
