"""The ERP subgraph's GraphQL enums: terms, units, and the states of orders and their records."""

from __future__ import annotations

from enum import Enum

import strawberry

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


@strawberry.enum(description="When a customer's invoices fall due.")
class PaymentTerms(Enum):
    DUE_ON_RECEIPT = "DUE_ON_RECEIPT"
    NET_15 = "NET_15"
    NET_30 = "NET_30"
    NET_45 = "NET_45"
    NET_60 = "NET_60"


@strawberry.enum(description="The unit a product is sold in.")
class UnitOfMeasure(Enum):
    EACH = "EACH"
    CASE = "CASE"
    BOX = "BOX"
    PACK = "PACK"
    ROLL = "ROLL"


@strawberry.enum(description="Where an order is in its life, from draft to done.")
class OrderStatus(Enum):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    ON_HOLD = "ON_HOLD"
    CONFIRMED = "CONFIRMED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


@strawberry.enum(description="Why an order is on hold.")
class HoldReason(Enum):
    CREDIT = "CREDIT"
    PRICING = "PRICING"
    MANUAL_REVIEW = "MANUAL_REVIEW"


@strawberry.enum(description="How far an order has been billed, paid or credited.")
class FinancialStatus(Enum):
    UNBILLED = "UNBILLED"
    PARTIALLY_BILLED = "PARTIALLY_BILLED"
    BILLED = "BILLED"
    PAID = "PAID"
    CREDITED = "CREDITED"


@strawberry.enum(description="Whether an invoice is still owed.")
class InvoiceStatus(Enum):
    OPEN = "OPEN"
    PAID = "PAID"


@strawberry.enum(description="Where a return authorization is in its life.")
class ReturnAuthorizationStatus(Enum):
    REQUESTED = "REQUESTED"
    AUTHORIZED = "AUTHORIZED"
    DECLINED = "DECLINED"
    RECEIVED = "RECEIVED"
    CREDITED = "CREDITED"


@strawberry.enum(description="Why the customer sends goods back.")
class ReturnReason(Enum):
    DAMAGED = "DAMAGED"
    WRONG_ITEM = "WRONG_ITEM"
    NOT_NEEDED = "NOT_NEEDED"
    DEFECTIVE = "DEFECTIVE"
