"""Consumers of the event backbone: what the systems do when a fulfillment milestone happens.

``ErpInvoicing`` invoices a shipment in the ERP when it ships and completes the ERP order once
everything of it is delivered. ``ReturnCredits`` records a return receipt in the ERP and
issues its credit memo. ``CrmActivity`` records every milestone as an activity on the
order's CRM account and opens a case on an exception, a delay or a backorder.
``MilestoneConsumers`` runs them over a bus (one consumer group each, idempotent by event
id) for as long as it is entered; ``crossdock up`` runs it on the bus the wms subgraph's
webhook intake publishes to.
"""

from consumers.crm import CRM_GROUP, CrmActivity
from consumers.erp import ERP_GROUP, ErpInvoicing, ShipmentNotFound
from consumers.returns import RETURNS_GROUP, ReceiptNotFound, ReturnCredits, ReturnRefused
from consumers.runtime import ConsumerSettings, MilestoneConsumers

__all__ = [
    "CRM_GROUP",
    "ERP_GROUP",
    "RETURNS_GROUP",
    "ConsumerSettings",
    "CrmActivity",
    "ErpInvoicing",
    "MilestoneConsumers",
    "ReceiptNotFound",
    "ReturnCredits",
    "ReturnRefused",
    "ShipmentNotFound",
]
