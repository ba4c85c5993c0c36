"""The ERP's own words for the world's codes: payment terms and order, invoice, return states."""

from __future__ import annotations

from typing import Final, Literal

__all__ = [
    "CUSTOMER_CURRENCY",
    "INVOICE_STATUSES",
    "OPEN_ORDER_STATUSES",
    "ORDER_STATUSES",
    "RETURN_CODES",
    "RETURN_STATUSES",
    "TERMS",
    "HoldReason",
    "Region",
    "TermsRecord",
    "order_status_word",
]

TermsRecord = tuple[str, str, int]
"""(internalId, refName, days until due)."""

# The world's payment terms as the ERP's terms records.
TERMS: Final[dict[str, TermsRecord]] = {
    "DUE_ON_RECEIPT": ("1", "Due on receipt", 0),
    "NET_15": ("2", "Net 15", 15),
    "NET_30": ("3", "Net 30", 30),
    "NET_45": ("4", "Net 45", 45),
    "NET_60": ("5", "Net 60", 60),
}

# Every customer is billed in US dollars; credit limits and exposure are in it.
CUSTOMER_CURRENCY: Final = "USD"

# Orders keep the world's status in ``custbody_status``; the vendor's status word is derived.
ORDER_STATUSES: Final = ("DRAFT", "SUBMITTED", "ON_HOLD", "CONFIRMED", "COMPLETED", "CANCELLED")
OPEN_ORDER_STATUSES: Final = ("SUBMITTED", "ON_HOLD", "CONFIRMED")

INVOICE_STATUSES: Final[dict[str, str]] = {"OPEN": "Open", "PAID": "Paid In Full"}

RETURN_STATUSES: Final[dict[str, str]] = {
    "REQUESTED": "Pending Approval",
    "AUTHORIZED": "Pending Receipt",
    "PARTIALLY_RECEIVED": "Partially Received",
    "DECLINED": "Cancelled",
    "RECEIVED": "Pending Refund",
    "CREDITED": "Refunded",
}
# The world's code of each return status word (``custbody_status`` of a return authorization).
RETURN_CODES: Final[dict[str, str]] = {word: code for code, word in RETURN_STATUSES.items()}

# Why an order is on hold, as the graph knows the reasons.
HoldReason = Literal["CREDIT", "PRICING", "MANUAL_REVIEW"]

# Where a ship-to address is (``custrecord_region``).
Region = Literal["NORTHEAST", "SOUTHEAST", "MIDWEST", "SOUTHWEST", "WEST"]


def order_status_word(status: str, *, quantity_billed: int, quantity_ordered: int) -> str:
    """The vendor's status of a sales order: approval, fulfilment and billing in one word."""
    if status in ("DRAFT", "SUBMITTED", "ON_HOLD"):
        return "Pending Approval"
    if status == "CANCELLED":
        return "Cancelled"
    fully_billed = quantity_ordered > 0 and quantity_billed >= quantity_ordered
    if status == "COMPLETED":
        return "Billed" if fully_billed else "Closed"
    if quantity_billed == 0:
        return "Pending Fulfillment"
    return "Pending Billing" if fully_billed else "Partially Fulfilled"
