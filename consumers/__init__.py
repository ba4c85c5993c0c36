"""Consumers of the event backbone: what the systems do when a fulfillment milestone happens.

``ErpInvoicing`` invoices a shipment in the ERP when it ships and completes the ERP order once
everything of it is delivered. ``MilestoneConsumers`` runs them over a bus (one consumer group
each, idempotent by event id) for as long as it is entered; ``crossdock up`` runs it on the bus
the wms subgraph's webhook intake publishes to.
"""

from consumers.erp import ERP_GROUP, ErpInvoicing, ShipmentNotFound
from consumers.runtime import MilestoneConsumers

__all__ = ["ERP_GROUP", "ErpInvoicing", "MilestoneConsumers", "ShipmentNotFound"]
