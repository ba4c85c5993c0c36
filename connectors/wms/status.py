"""An order's fulfillment status, derived from its fulfillment orders and shipments.

Checked in order, first match wins::

    no fulfillment order                              UNFULFILLED (not released yet)
    every fulfillment order cancelled                 CANCELLED
    every live one delivered                          DELIVERED
    some delivered                                    PARTIALLY_DELIVERED
    every live one shipped                            SHIPPED
    some shipped                                      PARTIALLY_SHIPPED
    a live one waits on stock (backordered units)     BACKORDERED
    otherwise (released, in the warehouse)            UNFULFILLED

"Live" means not cancelled. A fulfillment order counts as shipped once the WMS says so or a
shipment of it exists, and as delivered once the WMS says so or every shipment of it is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from connectors.wms.enums import FulfillmentOrderStatus, FulfillmentStatus, ShipmentStatus
from connectors.wms.records import FulfillmentOrderRecord, ShipmentRecord

__all__ = ["fulfillment_status"]

_SHIPPED = frozenset({FulfillmentOrderStatus.SHIPPED, FulfillmentOrderStatus.DELIVERED})


def fulfillment_status(
    orders: Sequence[FulfillmentOrderRecord], shipments: Sequence[ShipmentRecord]
) -> FulfillmentStatus:
    """The fulfillment status of one order (see the module docstring)."""
    if not orders:
        return FulfillmentStatus.UNFULFILLED
    live = [fo for fo in orders if fo.status is not FulfillmentOrderStatus.CANCELLED]
    if not live:
        return FulfillmentStatus.CANCELLED
    shipped_by_fo: dict[str, list[ShipmentRecord]] = defaultdict(list)
    for shipment in shipments:
        shipped_by_fo[shipment.fulfillment_order_id].append(shipment)

    def delivered(fo: FulfillmentOrderRecord) -> bool:
        own = shipped_by_fo[fo.id]
        return fo.status is FulfillmentOrderStatus.DELIVERED or (
            bool(own) and all(s.status is ShipmentStatus.DELIVERED for s in own)
        )

    def partly_delivered(fo: FulfillmentOrderRecord) -> bool:
        own = shipped_by_fo[fo.id]
        return delivered(fo) or any(s.status is ShipmentStatus.DELIVERED for s in own)

    def shipped(fo: FulfillmentOrderRecord) -> bool:
        return fo.status in _SHIPPED or bool(shipped_by_fo[fo.id])

    if all(delivered(fo) for fo in live):
        return FulfillmentStatus.DELIVERED
    if any(partly_delivered(fo) for fo in live):
        return FulfillmentStatus.PARTIALLY_DELIVERED
    if all(shipped(fo) for fo in live):
        return FulfillmentStatus.SHIPPED
    if any(shipped(fo) for fo in live):
        return FulfillmentStatus.PARTIALLY_SHIPPED
    if any(line.backordered for fo in live for line in fo.lines):
        return FulfillmentStatus.BACKORDERED
    return FulfillmentStatus.UNFULFILLED
