"""The WMS subgraph's enums: the graph's words for carriers, statuses and dispositions."""

from __future__ import annotations

from enum import Enum

import strawberry

__all__ = [
    "Carrier",
    "FulfillmentOrderStatus",
    "FulfillmentStatus",
    "ReturnDisposition",
    "ShipmentStatus",
]


@strawberry.enum(description="A carrier the distributor ships with.")
class Carrier(Enum):
    UPS = "UPS"
    FEDEX = "FEDEX"
    USPS = "USPS"
    XPO = "XPO"


@strawberry.enum(description="Where a fulfillment order (pick wave) is in the warehouse.")
class FulfillmentOrderStatus(Enum):
    RELEASED = "RELEASED"
    PICKING = "PICKING"
    PICKED = "PICKED"
    PACKED = "PACKED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


@strawberry.enum(description="Where a shipment is, as its carrier last reported.")
class ShipmentStatus(Enum):
    LABEL_CREATED = "LABEL_CREATED"
    PICKED_UP = "PICKED_UP"
    IN_TRANSIT = "IN_TRANSIT"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    DELIVERED = "DELIVERED"
    DELAYED = "DELAYED"
    EXCEPTION = "EXCEPTION"
    RETURNED_TO_SENDER = "RETURNED_TO_SENDER"


@strawberry.enum(
    description="How far an order got in fulfillment, derived from its fulfillment orders "
    "and shipments."
)
class FulfillmentStatus(Enum):
    UNFULFILLED = "UNFULFILLED"
    BACKORDERED = "BACKORDERED"
    PARTIALLY_SHIPPED = "PARTIALLY_SHIPPED"
    SHIPPED = "SHIPPED"
    PARTIALLY_DELIVERED = "PARTIALLY_DELIVERED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


@strawberry.enum(description="What the returns dock did with goods it received.")
class ReturnDisposition(Enum):
    RESTOCKED = "RESTOCKED"
    NOT_RESTOCKED = "NOT_RESTOCKED"
    INSPECTION_REQUIRED = "INSPECTION_REQUIRED"
    SCRAPPED = "SCRAPPED"
