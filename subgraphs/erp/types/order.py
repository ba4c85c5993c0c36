"""Order and OrderLine: the sales order as the ERP keeps it, and what hangs off it."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from subgraphs.common.fields import described
from subgraphs.common.types import Address, Money
from subgraphs.erp.enums import FinancialStatus, HoldReason, OrderStatus
from subgraphs.erp.records import OrderRecord, PricedLine
from subgraphs.erp.types.catalog import Product, referenced_product
from subgraphs.erp.types.common import DistributionCenter, Info, dangling, money

if TYPE_CHECKING:
    from subgraphs.erp.types.account import Account
    from subgraphs.erp.types.transactions import (
        CreditMemo,
        Invoice,
        ReturnAuthorization,
    )

__all__ = ["Order", "OrderLine", "load_order", "referenced_order"]

_ACCOUNT = strawberry.lazy("subgraphs.erp.types.account")
_TRANSACTIONS = strawberry.lazy("subgraphs.erp.types.transactions")


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


@strawberry.federation.type(keys=["id"], description="A customer's sales order.")
class Order:
    id: strawberry.ID = strawberry.field(description="The ERP internal id.")
    number: str = strawberry.field(description="The ERP transaction id, e.g. SO-100001.")
    status: OrderStatus
    hold_reason: HoldReason | None = strawberry.field(description="Set while status is ON_HOLD.")
    financial_status: FinancialStatus
    currency: str
    customer_po_number: str | None
    ship_to: Address | None
    lines: list[OrderLine]
    subtotal: Money
    tax: Money
    total: Money
    placed_at: datetime | None
    requested_delivery_date: date | None
    promised_date: date | None
    account_id: strawberry.Private[str]

    @classmethod
    def from_record(cls, record: OrderRecord) -> Order:
        currency = record.currency
        referrer = f"Order {record.id}"
        return cls(
            id=strawberry.ID(record.id),
            number=record.number,
            status=record.status,
            hold_reason=record.hold_reason,
            financial_status=record.financial_status,
            currency=currency,
            customer_po_number=record.customer_po,
            ship_to=Address.from_record(record.ship_to) if record.ship_to else None,
            lines=[OrderLine.from_record(line, currency, referrer) for line in record.lines],
            subtotal=money(record.subtotal, currency),
            tax=money(record.tax, currency),
            total=money(record.total, currency),
            placed_at=record.placed_at,
            requested_delivery_date=record.requested_delivery_date,
            promised_date=record.promised_date,
            account_id=record.account_id,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Order | None:
        return await load_order(info, str(id))

    @described("The customer account (the CRM resolves its other fields).")
    def account(self) -> Annotated[Account, _ACCOUNT] | None:
        from subgraphs.erp.types.account import Account

        return Account(id=strawberry.ID(self.account_id))

    @described("The order's invoices, oldest first.")
    async def invoices(self, info: Info) -> list[Annotated[Invoice, _TRANSACTIONS]]:
        from subgraphs.erp.types.transactions import Invoice

        records = await info.context.loaders.invoices_of_order.load(self.id)
        return [Invoice.from_record(record) for record in records]

    @described("Credits issued against the order, oldest first.")
    async def credit_memos(self, info: Info) -> list[Annotated[CreditMemo, _TRANSACTIONS]]:
        from subgraphs.erp.types.transactions import CreditMemo

        records = await info.context.loaders.credit_memos_of_order.load(self.id)
        return [CreditMemo.from_record(record) for record in records]

    @described("Returns requested against the order, oldest first.")
    async def return_authorizations(
        self, info: Info
    ) -> list[Annotated[ReturnAuthorization, _TRANSACTIONS]]:
        from subgraphs.erp.types.transactions import ReturnAuthorization

        records = await info.context.loaders.return_authorizations_of_order.load(self.id)
        return [ReturnAuthorization.from_record(record) for record in records]


async def load_order(info: Info, order_id: str) -> Order | None:
    """The order with ERP internal id ``order_id``, or ``None`` if there is none."""
    return await info.context.loaders.order.load_as(order_id, Order.from_record)


async def referenced_order(info: Info, order_id: str, referrer: str) -> Order:
    """The order another record refers to; a dangling reference is the ERP's fault."""
    order = await load_order(info, order_id)
    if order is None:
        raise dangling(referrer, "sales order", order_id)
    return order
