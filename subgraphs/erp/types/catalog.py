"""Product and PriceList: the ERP's catalogue, read through the reference cache."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from connectors.erp.records import ItemRecord, PriceLevelRecord
from subgraphs.common.types import Money
from subgraphs.erp.enums import UnitOfMeasure
from subgraphs.erp.types.common import BASE_CURRENCY, Info, dangling, money

__all__ = [
    "PriceList",
    "Product",
    "QuantityBreak",
    "load_price_list",
    "load_product",
    "referenced_product",
]


def _discounted(amount: Decimal, percent: Decimal) -> Decimal:
    return amount * (100 - percent) / 100


@strawberry.type(description="From minQuantity units on, the product costs discountPercent less.")
class QuantityBreak:
    min_quantity: int
    discount_percent: float
    unit_price: Money = strawberry.field(description="The list price less the discount.")


@strawberry.federation.type(keys=["sku"], description="A product the distributor sells.")
class Product:
    sku: str = strawberry.field(description="The ERP item id, e.g. SKU-10001.")
    name: str
    description: str | None
    category: str | None
    unit_of_measure: UnitOfMeasure
    list_price: Money = strawberry.field(description="The base price, before any discount.")
    active: bool
    weight_kg: float
    quantity_breaks: list[QuantityBreak] = strawberry.field(
        description="Volume discounts off the list price, smallest quantity first."
    )

    @classmethod
    def from_record(cls, record: ItemRecord) -> Product:
        return cls(
            sku=record.sku,
            name=record.name,
            description=record.description,
            category=record.category,
            unit_of_measure=record.unit_of_measure,
            list_price=money(record.list_price, BASE_CURRENCY),
            active=record.active,
            weight_kg=float(record.weight_kg),
            quantity_breaks=[
                QuantityBreak(
                    min_quantity=b.min_quantity,
                    discount_percent=float(b.discount_percent),
                    unit_price=money(
                        _discounted(record.list_price, b.discount_percent), BASE_CURRENCY
                    ),
                )
                for b in record.quantity_breaks
            ],
        )

    @classmethod
    async def resolve_reference(cls, info: Info, sku: str) -> Product | None:
        return await load_product(info, sku)


async def load_product(info: Info, sku: str) -> Product | None:
    """The product with ``sku``, or ``None`` if the ERP has no such item."""
    return await info.context.loaders.product.load_as(sku, Product.from_record)


async def referenced_product(info: Info, sku: str, referrer: str) -> Product:
    """The product a line of ``referrer`` is for; a dangling reference is the ERP's fault."""
    product = await load_product(info, sku)
    if product is None:
        raise dangling(referrer, "item", sku)
    return product


@strawberry.federation.type(keys=["id"], description="A price list customers buy from.")
class PriceList:
    id: strawberry.ID = strawberry.field(description="The ERP price level id, e.g. PL-GOLD.")
    name: str
    discount_percent: float = strawberry.field(
        description="Off the list price of every product without a price of its own in the list."
    )

    @classmethod
    def from_record(cls, record: PriceLevelRecord) -> PriceList:
        return cls(
            id=strawberry.ID(record.id),
            name=record.name,
            discount_percent=float(record.discount_percent),
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> PriceList | None:
        return await load_price_list(info, str(id))


async def load_price_list(info: Info, price_list_id: str) -> PriceList | None:
    return await info.context.loaders.price_level.load_as(price_list_id, PriceList.from_record)
