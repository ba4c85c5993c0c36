"""The WMS's codes in our words, as our records carry them: carriers, statuses, dispositions."""

from __future__ import annotations

from enum import Enum

__all__ = [
    "Carrier",
    "FulfillmentOrderStatus",
    "FulfillmentStatus",
    "ReturnDisposition",
    "ShipmentStatus",
]


class Carrier(Enum):
    """A carrier the distributor ships with."""

    UPS = "UPS"
    FEDEX = "FEDEX"
    USPS = "USPS"
    XPO = "XPO"


class FulfillmentOrderStatus(Enum):
    """Where a fulfillment order (pick wave) is in the warehouse."""

    RELEASED = "RELEASED"
    PICKING = "PICKING"
    PICKED = "PICKED"
    PACKED = "PACKED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


class ShipmentStatus(Enum):
    """Where a shipment is, as its carrier last reported."""

    LABEL_CREATED = "LABEL_CREATED"
    PICKED_UP = "PICKED_UP"
    IN_TRANSIT = "IN_TRANSIT"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    DELIVERED = "DELIVERED"
    DELAYED = "DELAYED"
    EXCEPTION = "EXCEPTION"
    RETURNED_TO_SENDER = "RETURNED_TO_SENDER"


class FulfillmentStatus(Enum):
    """How far an order got in fulfillment, derived from its fulfillment orders and shipments."""

    UNFULFILLED = "UNFULFILLED"
    BACKORDERED = "BACKORDERED"
    PARTIALLY_SHIPPED = "PARTIALLY_SHIPPED"
    SHIPPED = "SHIPPED"
    PARTIALLY_DELIVERED = "PARTIALLY_DELIVERED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


class ReturnDisposition(Enum):
    """What the returns dock did with goods it received."""

    RESTOCKED = "RESTOCKED"
    NOT_RESTOCKED = "NOT_RESTOCKED"
    INSPECTION_REQUIRED = "INSPECTION_REQUIRED"
    SCRAPPED = "SCRAPPED"
