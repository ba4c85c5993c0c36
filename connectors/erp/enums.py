"""The ERP's codes as our records carry them: terms, units, the states of orders and the rest."""

from __future__ import annotations

from enum import Enum

__all__ = [
    "FinancialStatus",
    "HoldReason",
    "InvoiceStatus",
    "OrderStatus",
    "PaymentTerms",
    "ReturnAuthorizationStatus",
    "ReturnReason",
    "UnitOfMeasure",
]


class PaymentTerms(Enum):
    """When a customer's invoices fall due."""

    DUE_ON_RECEIPT = "DUE_ON_RECEIPT"
    NET_15 = "NET_15"
    NET_30 = "NET_30"
    NET_45 = "NET_45"
    NET_60 = "NET_60"


class UnitOfMeasure(Enum):
    """The unit a product is sold in."""

    EACH = "EACH"
    CASE = "CASE"
    BOX = "BOX"
    PACK = "PACK"
    ROLL = "ROLL"


class OrderStatus(Enum):
    """Where an order is in its life, from draft to done."""

    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    ON_HOLD = "ON_HOLD"
    CONFIRMED = "CONFIRMED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class HoldReason(Enum):
    """Why an order is on hold."""

    CREDIT = "CREDIT"
    PRICING = "PRICING"
    MANUAL_REVIEW = "MANUAL_REVIEW"


class FinancialStatus(Enum):
    """How far an order has been billed, paid or credited."""

    UNBILLED = "UNBILLED"
    PARTIALLY_BILLED = "PARTIALLY_BILLED"
    BILLED = "BILLED"
    PAID = "PAID"
    CREDITED = "CREDITED"


class InvoiceStatus(Enum):
    """Whether an invoice is still owed."""

    OPEN = "OPEN"
    PAID = "PAID"


class ReturnAuthorizationStatus(Enum):
    """Where a return authorization is in its life."""

    REQUESTED = "REQUESTED"
    AUTHORIZED = "AUTHORIZED"
    PARTIALLY_RECEIVED = "PARTIALLY_RECEIVED"  # some of it came back, the rest is awaited
    DECLINED = "DECLINED"
    RECEIVED = "RECEIVED"
    CREDITED = "CREDITED"


class ReturnReason(Enum):
    """Why the customer sends goods back."""

    DAMAGED = "DAMAGED"
    WRONG_ITEM = "WRONG_ITEM"
    NOT_NEEDED = "NOT_NEEDED"
    DEFECTIVE = "DEFECTIVE"
