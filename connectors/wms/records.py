"""The WMS's records as the graph knows them: vendor payloads, normalized and immutable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from connectors.values import AddressRecord, Region
from connectors.wms.enums import (
    Carrier,
    FulfillmentOrderStatus,
    ReturnDisposition,
    ShipmentStatus,
)

__all__ = [
    "FacilityRecord",
    "FulfillmentOrderRecord",
    "LineRecord",
    "PositionRecord",
    "ReceiptLineRecord",
    "ReturnReceiptRecord",
    "ShipmentRecord",
    "TrackingEventRecord",
]


@dataclass(frozen=True, slots=True)
class FacilityRecord:
    """A distribution center; ``id`` is the facility code (``ATL1``)."""

    id: str
    name: str
    region: Region
    address: AddressRecord
    timezone: str


@dataclass(frozen=True, slots=True)
class PositionRecord:
    """One item's inventory at one facility."""

    sku: str
    center_id: str
    on_hand: int
    allocated: int
    available: int
    incoming: int
    incoming_date: date | None


@dataclass(frozen=True, slots=True)
class LineRecord:
    sku: str
    quantity: int
    backordered: int = 0  # of ``quantity``, units the facility is waiting on stock for


@dataclass(frozen=True, slots=True)
class FulfillmentOrderRecord:
    id: str
    order_id: str
    order_number: str
    center_id: str
    status: FulfillmentOrderStatus
    released_at: datetime
    lines: tuple[LineRecord, ...]


@dataclass(frozen=True, slots=True)
class TrackingEventRecord:
    status: ShipmentStatus
    description: str
    location: str
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class ShipmentRecord:
    id: str
    fulfillment_order_id: str
    order_id: str
    center_id: str
    carrier: Carrier
    service: str
    tracking_number: str
    status: ShipmentStatus
    package_count: int
    weight_kg: Decimal
    shipped_at: datetime
    estimated_delivery: date
    delivered_at: datetime | None
    lines: tuple[LineRecord, ...]
    events: tuple[TrackingEventRecord, ...]


@dataclass(frozen=True, slots=True)
class ReceiptLineRecord:
    sku: str
    quantity_received: int
    disposition: ReturnDisposition


@dataclass(frozen=True, slots=True)
class ReturnReceiptRecord:
    id: str
    return_authorization_id: str
    order_id: str
    center_id: str
    received_at: datetime
    lines: tuple[ReceiptLineRecord, ...]
