"""The WMS subgraph's GraphQL types, one module per entity it owns or contributes to."""

from subgraphs.wms.types.base import Info, checked_id
from subgraphs.wms.types.centers import DistributionCenter, load_center
from subgraphs.wms.types.fulfillment import (
    FulfillmentOrder,
    FulfillmentOrderLine,
    Order,
    Shipment,
    ShipmentLine,
    TrackingEvent,
    shipment_of,
)
from subgraphs.wms.types.inventory import InventoryPosition, Product
from subgraphs.wms.types.returns import ReturnAuthorization, ReturnReceipt, ReturnReceiptLine

__all__ = [
    "DistributionCenter",
    "FulfillmentOrder",
    "FulfillmentOrderLine",
    "Info",
    "InventoryPosition",
    "Order",
    "Product",
    "ReturnAuthorization",
    "ReturnReceipt",
    "ReturnReceiptLine",
    "Shipment",
    "ShipmentLine",
    "TrackingEvent",
    "checked_id",
    "load_center",
    "shipment_of",
]
