"""OrderLine and ReturnLine: the lines of an order and of what follows it in the ERP."""

from __future__ import annotations

import strawberry

from connectors.erp.records import PricedLine
from connectors.erp.records import ReturnLine as ReturnLineRecord
from subgraphs.common.fields import described
from subgraphs.common.types import Money
from subgraphs.erp.enums import ReturnReason
from subgraphs.erp.types.catalog import Product, referenced_product
from subgraphs.erp.types.common import DistributionCenter, Info, money

__all__ = ["OrderLine", "ReturnLine"]


@strawberry.type(description="A priced line of an order, or of the invoice or credit memo of one.")
class OrderLine:
    line_number: int
    quantity: int
    unit_price: Money
    extended_price: Money = strawberry.field(description="quantity times unitPrice.")
    sku: strawberry.Private[str]
    center_id: strawberry.Private[str | None]
    referrer: strawberry.Private[str]

    @classmethod
    def from_record(cls, line: PricedLine, currency: str, referrer: str) -> OrderLine:
        return cls(
            line_number=line.line_number,
            quantity=line.quantity,
            unit_price=money(line.unit_price, currency),
            extended_price=money(line.extended_price, currency),
            sku=line.sku,
            center_id=line.center_id,
            referrer=referrer,
        )

    @strawberry.field
    async def product(self, info: Info) -> Product:
        return await referenced_product(info, self.sku, self.referrer)

    @described("The distribution center the line ships from (or is returned to).")
    def distribution_center(self) -> DistributionCenter | None:
        if self.center_id is None:
            return None
        return DistributionCenter(id=strawberry.ID(self.center_id))


@strawberry.type(description="Goods a return authorization covers.")
class ReturnLine:
    line_number: int
    quantity: int
    reason: ReturnReason | None
    sku: strawberry.Private[str]
    referrer: strawberry.Private[str]

    @classmethod
    def from_record(cls, line: ReturnLineRecord, referrer: str) -> ReturnLine:
        return cls(
            line_number=line.line_number,
            quantity=line.quantity,
            reason=line.reason,
            sku=line.sku,
            referrer=referrer,
        )

    @strawberry.field
    async def product(self, info: Info) -> Product:
        return await referenced_product(info, self.sku, self.referrer)
