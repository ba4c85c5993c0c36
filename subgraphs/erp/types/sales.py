"""The ERP's order graph: its part of Account, the sales Order, and the Invoice, CreditMemo and
ReturnAuthorization that follow an order.

One module because each of these types refers to the others (an account's orders, an order's
account and invoices, an invoice's order and account): together they import nothing that
imports them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import strawberry

from connectors.erp.client import OrderSelection
from connectors.erp.records import (
    CreditMemoRecord,
    CustomerCredit,
    CustomerTerms,
    InvoiceRecord,
    OrderPage,
    OrderRecord,
    ReturnAuthorizationRecord,
)
from subgraphs.common.access import AUTHENTICATED_TYPE, ORDERS
from subgraphs.common.cost import PAGE
from subgraphs.common.errors import BadUserInput
from subgraphs.common.fields import described
from subgraphs.common.relay import Connection, build_connection, page_request
from subgraphs.common.types import Address, Money
from subgraphs.erp.enums import (
    FinancialStatus,
    HoldReason,
    InvoiceStatus,
    OrderStatus,
    PaymentTerms,
    ReturnAuthorizationStatus,
)
from subgraphs.erp.types.catalog import PriceList, load_price_list
from subgraphs.erp.types.common import DistributionCenter, Info, Shipment, dangling, money
from subgraphs.erp.types.lines import OrderLine, ReturnLine

__all__ = [
    "Account",
    "CreditMemo",
    "Invoice",
    "Order",
    "OrderFilter",
    "ReturnAuthorization",
    "load_order",
    "order_connection",
    "referenced_order",
]

_DAY = timedelta(days=1)


@strawberry.input(description="Which orders a list holds; every condition given must hold.")
class OrderFilter:
    status: list[OrderStatus] | None = strawberry.field(
        default=None, description="Only orders in one of these states (any if null or empty)."
    )
    placed_after: date | None = strawberry.field(
        default=None, description="Only orders placed after this day."
    )
    placed_before: date | None = strawberry.field(
        default=None, description="Only orders placed before this day."
    )

    def selection(self) -> OrderSelection | None:
        """The ERP query for this filter; ``None`` when no order can match it."""
        after, before = self.placed_after, self.placed_before
        if after is not None and before is not None and after >= before:
            raise BadUserInput(f"placedAfter ({after}) must be before placedBefore ({before})")
        if after == date.max or before == date.min:
            return None  # nothing is placed after the last day or before the first
        placed_from = None if after is None else after + _DAY
        placed_to = None if before is None else before - _DAY
        if placed_from is not None and placed_to is not None and placed_from > placed_to:
            return None
        statuses = tuple(dict.fromkeys(self.status or ()))
        return OrderSelection(statuses=statuses, placed_from=placed_from, placed_to=placed_to)


def order_connection(page: OrderPage, offset: int) -> Connection[Order]:
    nodes = [Order.from_record(record) for record in page.orders]
    return build_connection(nodes, offset=offset, total=page.total)


@strawberry.federation.type(
    keys=["id"],
    description="A customer account; the ERP adds credit.",
    directives=AUTHENTICATED_TYPE,
)
class Account:
    id: strawberry.ID = strawberry.field(description="The CRM Id; the ERP's external id.")

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Account | None:
        terms = await info.context.loaders.customer_terms.load(str(id))
        return None if terms is None else cls(id=strawberry.ID(terms.account_id))

    async def _terms(self, info: Info) -> CustomerTerms:
        terms = await info.context.loaders.customer_terms.load(self.id)
        if terms is None:
            raise dangling(f"Account {self.id}", "customer", self.id)
        return terms

    async def _credit(self, info: Info) -> CustomerCredit:
        credit = await info.context.loaders.customer_credit.load(self.id)
        if credit is None:
            raise dangling(f"Account {self.id}", "customer", self.id)
        return credit

    @strawberry.field
    async def payment_terms(self, info: Info) -> PaymentTerms | None:
        return (await self._terms(info)).payment_terms

    @described("How much the account may owe and have on order at once.")
    async def credit_limit(self, info: Info) -> Money | None:
        credit = await self._credit(info)
        return money(credit.credit_limit, credit.currency)

    @described("Open invoice balances plus the unbilled part of open orders.")
    async def credit_exposure(self, info: Info) -> Money | None:
        credit = await self._credit(info)
        return money(credit.credit_exposure, credit.currency)

    @described("Whether new orders of the account are held for credit review.")
    async def credit_hold(self, info: Info) -> bool | None:
        return (await self._credit(info)).credit_hold

    @described("The price list the account buys from, if any.")
    async def price_list(self, info: Info) -> PriceList | None:
        terms = await self._terms(info)
        if terms.price_level_id is None:
            return None
        return await load_price_list(info, terms.price_level_id)

    # Needs orders:read as the root `orders` does: the connection alone (totalCount, pages)
    # tells about the orders even without a node, and OrderConnection carries no directive.
    @described("The account's orders, newest first.", directives=[PAGE, *ORDERS])
    async def orders(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: OrderFilter | None = None,
    ) -> Connection[Order] | None:
        page = page_request(first, after)
        selection = (filter or OrderFilter()).selection()
        if selection is None:
            return build_connection([], offset=page.offset, total=0)
        key = (str(self.id), page.offset, page.limit, selection)
        result = await info.context.loaders.orders_of_account.load(key)
        return order_connection(result or OrderPage(orders=[], total=0), page.offset)


@strawberry.federation.type(keys=["id"], description="A customer's sales order.", directives=ORDERS)
class Order:
    id: strawberry.ID = strawberry.field(description="The ERP internal id.")
    number: str = strawberry.field(description="The ERP transaction id, e.g. SO-100001.")
    status: OrderStatus
    hold_reason: HoldReason | None = strawberry.field(description="Set while status is ON_HOLD.")
    cancel_reason: str | None = strawberry.field(
        description="Why lines of the order were last cancelled, as the canceller said; "
        "null if none were, or no reason was given."
    )
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
            cancel_reason=record.cancel_reason,
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
    def account(self) -> Account | None:

        return Account(id=strawberry.ID(self.account_id))

    @described("The order's invoices, oldest first.")
    async def invoices(self, info: Info) -> list[Invoice]:

        records = await info.context.loaders.invoices_of_order.load(self.id)
        return [Invoice.from_record(record) for record in records]

    @described("Credits issued against the order, oldest first.")
    async def credit_memos(self, info: Info) -> list[CreditMemo]:

        records = await info.context.loaders.credit_memos_of_order.load(self.id)
        return [CreditMemo.from_record(record) for record in records]

    @described("Returns requested against the order, oldest first.")
    async def return_authorizations(self, info: Info) -> list[ReturnAuthorization]:

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


@strawberry.federation.type(
    keys=["id"], description="A bill for (part of) an order.", directives=ORDERS
)
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


@strawberry.federation.type(
    keys=["id"], description="A credit against an order, for a return.", directives=ORDERS
)
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


@strawberry.federation.type(
    keys=["id"], description="Permission to send goods of an order back.", directives=ORDERS
)
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
