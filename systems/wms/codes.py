"""The WMS vendor's code tables: how its records spell carriers, statuses and dispositions.

The demo world speaks the graph's words (``UPS``, ``IN_TRANSIT``, ``RESTOCKED``); the reference
WMS stores and answers with its own vendor codes, like a real Manhattan or Blue Yonder install,
so the subgraph has real normalization to do.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

__all__ = [
    "CARRIER_SCAC",
    "DISPOSITION_CODE",
    "EXCEPTION_CODE",
    "MILESTONE_CODE",
    "SHIP_STATUS",
    "WAVE_STATUS",
    "format_date",
    "format_ts",
]

# Standard Carrier Alpha Codes of the carriers the distributor ships with.
CARRIER_SCAC: dict[str, str] = {"UPS": "UPSN", "FEDEX": "FDEG", "USPS": "USPS", "XPO": "CNWY"}

# Fulfillment order (pick wave) status.
WAVE_STATUS: dict[str, str] = {
    "RELEASED": "RELEASED",
    "PICKING": "IN_PICKING",
    "PICKED": "PICKED",
    "PACKED": "PACKED",
    "SHIPPED": "SHIPPED",
    "DELIVERED": "DELIVERED",
    "CANCELLED": "CANCELLED",
}

# Shipment status and tracking event codes (one table: an event's code is the status it sets).
SHIP_STATUS: dict[str, str] = {
    "LABEL_CREATED": "LBL",
    "PICKED_UP": "PU",
    "IN_TRANSIT": "IT",
    "OUT_FOR_DELIVERY": "OFD",
    "DELIVERED": "DLV",
    "DELAYED": "DLY",
    "EXCEPTION": "EXC",
    "RETURNED_TO_SENDER": "RTS",
}

# Webhook event codes: which milestone of a wave, its shipment or a return a webhook announces.
MILESTONE_CODE: dict[str, str] = {
    "RELEASED": "WV_REL",
    "PICKING": "WV_PCK",
    "PICKED": "WV_PKD",
    "PACKED": "WV_PAK",
    "BACKORDERED": "WV_BKO",
    "SHIPPED": "SH_SHP",
    "IN_TRANSIT": "SH_IT",
    "OUT_FOR_DELIVERY": "SH_OFD",
    "DELIVERED": "SH_DLV",
    "DELAYED": "SH_DLY",
    "EXCEPTION": "SH_EXC",
    "RETURN_RECEIVED": "RT_RCV",
}

# Why a shipment is in exception (or a pick came up short), with the carrier's wording.
EXCEPTION_CODE: dict[str, tuple[str, str]] = {
    "DELAYED": ("WX", "Weather delay in carrier network"),
    "DAMAGED": ("DMG", "Package damaged in transit"),
    "ADDRESS": ("ADR", "Address problem: delivery attempt failed"),
    "PARTIAL_PICK": ("SHT", "Short pick: units not found at location"),
}

# What the returns dock did with the goods.
DISPOSITION_CODE: dict[str, str] = {
    "RESTOCKED": "RS",
    "NOT_RESTOCKED": "NR",
    "INSPECTION_REQUIRED": "QI",
    "SCRAPPED": "SC",
}


def format_ts(value: datetime) -> str:
    """A vendor timestamp: UTC, second precision, ``Z`` suffix (naive values are UTC)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def format_date(value: date) -> str:
    return value.isoformat()
