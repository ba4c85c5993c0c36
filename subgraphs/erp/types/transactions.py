"""Invoice, CreditMemo and ReturnAuthorization: what follows an order in the ERP."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from subgraphs.common.fields import described
from subgraphs.common.types import Money
from subgraphs.erp.enums import InvoiceStatus, ReturnAuthorizationStatus, ReturnReason
from subgraphs.erp.records import (
    CreditMemoRecord,
    InvoiceRecord,
    ReturnAuthorizationRecord,
)
from subgraphs.erp.records import (
    ReturnLine as ReturnLineRecord,
)
from subgraphs.erp.types.account import Account
from subgraphs.erp.types.catalog import Product, referenced_product
from subgraphs.erp.types.common import (
    DistributionCenter,
    Info,
    Shipment,
    dangling,
    money,
)
from subgraphs.erp.types.order import Order, OrderLine, referenced_order

__all__ = ["CreditMemo", "Invoice", "ReturnAuthorization", "ReturnLine"]


@strawberry.federation.type(keys=["id"], description="A bill for (part of) an order.")
class Invoice:
    id: strawberry.ID
    number: str = strawberry.field(description="The ERP transaction id, e.g. INV-100001.")
    status: InvoiceStatus
    issued_at: datetime
    due_date: date
    lines: list[OrderLine]
    subtotal: Money
    tax: Money
    total: Money
    balance_due: Money = strawberry.field(description="What is still owed; 0.00 once paid.")
    order_id: strawberry.Private[str]
    account_id: strawberry.Private[str]
    shipment_id: strawberry.Private[str | None]

    @classmethod
    def from_record(cls, record: InvoiceRecord) -> Invoice:
        currency = record.currency
        referrer = f"Invoice {record.id}"
        return cls(
            id=strawberry.ID(record.id),
            number=record.number,
            status=record.status,
            issued_at=record.issued_at,
            due_date=record.due_date,
            lines=[OrderLine.from_record(line, currency, referrer) for line in record.lines],
            subtotal=money(record.subtotal, currency),
            tax=money(record.tax, currency),
            total=money(record.total, currency),
            balance_due=money(record.balance_due, currency),
            order_id=record.order_id,
            account_id=record.account_id,
            shipment_id=record.shipment_id,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Invoice | None:
        return await info.context.loaders.invoice.load_as(str(id), cls.from_record)

    @strawberry.field
    async def order(self, info: Info) -> Order:
        return await referenced_order(info, self.order_id, f"Invoice {self.id}")

    @strawberry.field
    def account(self) -> Account | None:
        return Account(id=strawberry.ID(self.account_id))

    @described("The shipment this invoice bills (the WMS resolves it).")
    def shipment(self) -> Shipment | None:
        return None if self.shipment_id is None else Shipment(id=strawberry.ID(self.shipment_id))


@strawberry.federation.type(keys=["id"], description="A credit against an order, for a return.")
class CreditMemo:
    id: strawberry.ID
    number: str = strawberry.field(description="The ERP transaction id, e.g. CM-100001.")
    issued_at: datetime
    lines: list[OrderLine]
    subtotal: Money
    tax: Money
    total: Money
    order_id: strawberry.Private[str]
    account_id: strawberry.Private[str]
    return_authorization_id: strawberry.Private[str | None]

    @classmethod
    def from_record(cls, record: CreditMemoRecord) -> CreditMemo:
        currency = record.currency
        referrer = f"CreditMemo {record.id}"
        return cls(
            id=strawberry.ID(record.id),
            number=record.number,
            issued_at=record.issued_at,
            lines=[OrderLine.from_record(line, currency, referrer) for line in record.lines],
            subtotal=money(record.subtotal, currency),
            tax=money(record.tax, currency),
            total=money(record.total, currency),
            order_id=record.order_id,
            account_id=record.account_id,
            return_authorization_id=record.return_authorization_id,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> CreditMemo | None:
        return await info.context.loaders.credit_memo.load_as(str(id), cls.from_record)

    @strawberry.field
    async def order(self, info: Info) -> Order:
        return await referenced_order(info, self.order_id, f"CreditMemo {self.id}")

    @strawberry.field
    def account(self) -> Account | None:
        return Account(id=strawberry.ID(self.account_id))

    @described("The return this credit was issued for, if any.")
    async def return_authorization(self, info: Info) -> ReturnAuthorization | None:
        if self.return_authorization_id is None:
            return None
        record = await info.context.loaders.return_authorization.load(self.return_authorization_id)
        if record is None:
            raise dangling(
                f"CreditMemo {self.id}", "return authorization", self.return_authorization_id
            )
        return ReturnAuthorization.from_record(record)


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


@strawberry.federation.type(keys=["id"], description="Permission to send goods of an order back.")
class ReturnAuthorization:
    id: strawberry.ID
    number: str = strawberry.field(description="The ERP transaction id, e.g. RMA-100001.")
    status: ReturnAuthorizationStatus
    decline_reason: str | None = strawberry.field(description="Set when status is DECLINED.")
    created_at: datetime
    lines: list[ReturnLine]
    order_id: strawberry.Private[str]
    account_id: strawberry.Private[str]
    center_id: strawberry.Private[str | None]

    @classmethod
    def from_record(cls, record: ReturnAuthorizationRecord) -> ReturnAuthorization:
        referrer = f"ReturnAuthorization {record.id}"
        return cls(
            id=strawberry.ID(record.id),
            number=record.number,
            status=record.status,
            decline_reason=record.decline_reason,
            created_at=record.created_at,
            lines=[ReturnLine.from_record(line, referrer) for line in record.lines],
            order_id=record.order_id,
            account_id=record.account_id,
            center_id=record.center_id,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> ReturnAuthorization | None:
        return await info.context.loaders.return_authorization.load_as(str(id), cls.from_record)

    @strawberry.field
    async def order(self, info: Info) -> Order:
        return await referenced_order(info, self.order_id, f"ReturnAuthorization {self.id}")

    @strawberry.field
    def account(self) -> Account | None:
        return Account(id=strawberry.ID(self.account_id))

    @described("Where the goods come back to.")
    def distribution_center(self) -> DistributionCenter | None:
        if self.center_id is None:
            return None
        return DistributionCenter(id=strawberry.ID(self.center_id))
