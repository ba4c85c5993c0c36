"""The ERP's records as the graph uses them, normalized from the vendor's payloads.

Money is ``Decimal`` with its currency beside it; states are our enums; references to
other records are plain ids (ERP internal ids, SKUs, CRM account ids, facility codes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from connectors.erp.enums import (
    FinancialStatus,
    HoldReason,
    InvoiceStatus,
    OrderStatus,
    PaymentTerms,
    ReturnAuthorizationStatus,
    ReturnReason,
    UnitOfMeasure,
)
from connectors.values import AddressRecord

__all__ = [
    "BookedBalance",
    "CreditMemoRecord",
    "CustomerCredit",
    "CustomerTerms",
    "InvoiceRecord",
    "ItemRecord",
    "OrderPage",
    "OrderRecord",
    "PriceLevelRecord",
    "PricedLine",
    "QuantityBreak",
    "ReturnAuthorizationRecord",
    "ReturnLine",
]


@dataclass(frozen=True, slots=True)
class BookedBalance:
    """What the ERP books of one item at one location (a distribution center)."""

    sku: str
    center_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class CustomerTerms:
    """The slow-changing side of a customer, safe to cache: who it is, terms, price level."""

    internal_id: str
    account_id: str  # the CRM account id, the ERP's external id
    payment_terms: PaymentTerms
    price_level_id: str | None


@dataclass(frozen=True, slots=True)
class CustomerCredit:
    """The live side of a customer: limit, exposure and hold, never cached."""

    account_id: str
    currency: str
    credit_limit: Decimal
    credit_exposure: Decimal
    credit_hold: bool


@dataclass(frozen=True, slots=True)
class PriceLevelRecord:
    id: str
    name: str
    discount_percent: Decimal


@dataclass(frozen=True, slots=True)
class QuantityBreak:
    min_quantity: int
    discount_percent: Decimal


@dataclass(frozen=True, slots=True)
class ItemRecord:
    sku: str
    name: str
    description: str | None
    category: str | None
    unit_of_measure: UnitOfMeasure
    list_price: Decimal
    active: bool
    weight_kg: Decimal
    quantity_breaks: tuple[QuantityBreak, ...]


@dataclass(frozen=True, slots=True)
class PricedLine:
    """A line of an order, invoice or credit memo."""

    line_number: int
    sku: str
    quantity: int
    unit_price: Decimal
    extended_price: Decimal
    center_id: str | None


@dataclass(frozen=True, slots=True)
class OrderRecord:
    id: str
    number: str
    account_id: str
    status: OrderStatus
    hold_reason: HoldReason | None
    financial_status: FinancialStatus
    currency: str
    customer_po: str | None
    ship_to: AddressRecord | None
    placed_at: datetime | None
    requested_delivery_date: date | None
    promised_date: date | None
    lines: tuple[PricedLine, ...]
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    # Who entered the order and who last cancelled lines of it, as the ERP recorded them (a
    # token's subject, or "system"); None where no one was named (docs/auth.md).
    submitted_by: str | None = None
    cancelled_by: str | None = None
    # Why lines of it were last cancelled, as the canceller said; None if never or no reason.
    cancel_reason: str | None = None


@dataclass(frozen=True, slots=True)
class OrderPage:
    """One page of a list of orders and how long the whole list is."""

    orders: list[OrderRecord]
    total: int


@dataclass(frozen=True, slots=True)
class InvoiceRecord:
    id: str
    number: str
    order_id: str
    account_id: str
    shipment_id: str | None
    status: InvoiceStatus
    currency: str
    issued_at: datetime
    due_date: date
    lines: tuple[PricedLine, ...]
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    balance_due: Decimal


@dataclass(frozen=True, slots=True)
class CreditMemoRecord:
    id: str
    number: str
    order_id: str
    account_id: str
    return_authorization_id: str | None
    currency: str
    issued_at: datetime
    lines: tuple[PricedLine, ...]
    subtotal: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True, slots=True)
class ReturnLine:
    line_number: int
    sku: str
    quantity: int
    reason: ReturnReason | None
    quantity_received: int = 0  # what receipts brought back of it so far


@dataclass(frozen=True, slots=True)
class ReturnAuthorizationRecord:
    id: str
    number: str
    order_id: str
    account_id: str
    status: ReturnAuthorizationStatus
    decline_reason: str | None
    center_id: str | None
    created_at: datetime
    lines: tuple[ReturnLine, ...]
    requested_by: str | None = None  # who asked for the return (as on OrderRecord)
    received_by: str | None = None  # who recorded its receipt
