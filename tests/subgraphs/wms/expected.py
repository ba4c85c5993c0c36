"""What the WMS subgraph should answer for the world's records, as GraphQL JSON."""

from __future__ import annotations

from typing import Any

from systems.world_records import (
    DistributionCenterRecord,
    FulfillmentOrderRecord,
    InventoryRecord,
    ReturnReceiptRecord,
    ShipmentRecord,
)
from tests.support.expected import address_json

__all__ = [
    "CENTER_FIELDS",
    "FULFILLMENT_ORDER_FIELDS",
    "POSITION_FIELDS",
    "RECEIPT_FIELDS",
    "SHIPMENT_FIELDS",
    "center",
    "fulfillment_order",
    "position",
    "receipt",
    "shipment",
]

CENTER_FIELDS = """
  id name region timezone
  address { street city state postalCode country region }
"""

POSITION_FIELDS = """
  distributionCenter { id } product { sku }
  onHand allocated available incoming incomingDate
"""

FULFILLMENT_ORDER_FIELDS = """
  id status releasedAt order { id } distributionCenter { id }
  lines { product { sku } quantity }
"""

SHIPMENT_FIELDS = """
  id carrier service trackingNumber status packageCount weightKg
  shippedAt estimatedDelivery deliveredAt
  order { id } fulfillmentOrder { id } distributionCenter { id }
  trackingEvents { status description location occurredAt }
  lines { product { sku } quantity }
"""

RECEIPT_FIELDS = """
  id receivedAt distributionCenter { id }
  lines { product { sku } quantityReceived disposition }
"""


def center(c: DistributionCenterRecord) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "region": c.region,
        "timezone": c.timezone,
        "address": address_json(c.address),
    }


def position(i: InventoryRecord) -> dict[str, Any]:
    return {
        "distributionCenter": {"id": i.center_id},
        "product": {"sku": i.sku},
        "onHand": i.on_hand,
        "allocated": i.allocated,
        "available": i.on_hand - i.allocated,
        "incoming": i.incoming,
        "incomingDate": None if i.incoming_date is None else i.incoming_date.isoformat(),
    }


def fulfillment_order(f: FulfillmentOrderRecord) -> dict[str, Any]:
    return {
        "id": f.id,
        "status": f.status,
        "releasedAt": f.released_at.isoformat(),
        "order": {"id": f.order_id},
        "distributionCenter": {"id": f.center_id},
        "lines": [{"product": {"sku": ln.sku}, "quantity": ln.quantity} for ln in f.lines],
    }


def shipment(s: ShipmentRecord) -> dict[str, Any]:
    return {
        "id": s.id,
        "carrier": s.carrier,
        "service": s.service,
        "trackingNumber": s.tracking_number,
        "status": s.status,
        "packageCount": s.package_count,
        "weightKg": float(s.weight_kg),
        "shippedAt": s.shipped_at.isoformat(),
        "estimatedDelivery": s.estimated_delivery.isoformat(),
        "deliveredAt": None if s.delivered_at is None else s.delivered_at.isoformat(),
        "order": {"id": s.order_id},
        "fulfillmentOrder": {"id": s.fulfillment_order_id},
        "distributionCenter": {"id": s.center_id},
        "trackingEvents": [
            {
                "status": e.status,
                "description": e.description,
                "location": e.location,
                "occurredAt": e.occurred_at.isoformat(),
            }
            for e in s.events
        ],
        "lines": [{"product": {"sku": ln.sku}, "quantity": ln.quantity} for ln in s.lines],
    }


def receipt(r: ReturnReceiptRecord) -> dict[str, Any]:
    return {
        "id": r.id,
        "receivedAt": r.received_at.isoformat(),
        "distributionCenter": {"id": r.center_id},
        "lines": [
            {
                "product": {"sku": ln.sku},
                "quantityReceived": ln.quantity_received,
                "disposition": ln.disposition,
            }
            for ln in r.lines
        ],
    }
