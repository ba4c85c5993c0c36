"""The ERP vendor's payloads, validated at the edge and normalized into our records."""

from connectors.erp.vendor.base import SYSTEM, ListPayload, parse_list, parse_record
from connectors.erp.vendor.catalog import (
    CustomerPayload,
    CustomerTermsPayload,
    InventoryBalancePayload,
    ItemPayload,
    PriceLevelPayload,
)
from connectors.erp.vendor.orders import SalesOrderPayload
from connectors.erp.vendor.transactions import (
    CreditMemoPayload,
    InvoicePayload,
    ReturnAuthorizationPayload,
)

__all__ = [
    "SYSTEM",
    "CreditMemoPayload",
    "CustomerPayload",
    "CustomerTermsPayload",
    "InventoryBalancePayload",
    "InvoicePayload",
    "ItemPayload",
    "ListPayload",
    "PriceLevelPayload",
    "ReturnAuthorizationPayload",
    "SalesOrderPayload",
    "parse_list",
    "parse_record",
]
