"""The WMS: facilities, inventory, fulfillment orders, shipments and return receipts as our
records, and its milestone webhooks: their signature and their normalization into canonical
events."""

from connectors.wms.client import WmsClient

__all__ = ["WmsClient"]
