"""The WMS subgraph's GraphQL types, one module per entity it owns or contributes to."""

from subgraphs.wms.types.base import Info, checked_id
from subgraphs.wms.types.centers import DistributionCenter, load_center
from subgraphs.wms.types.fulfillment_orders import FulfillmentOrder, FulfillmentOrderLine
from subgraphs.wms.types.inventory import InventoryPosition, Product
from subgraphs.wms.types.orders import Order
from subgraphs.wms.types.returns import ReturnAuthorization, ReturnReceipt, ReturnReceiptLine
from subgraphs.wms.types.shipments import Shipment, ShipmentLine, TrackingEvent, shipment_of

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
