"""The ERP (NetSuite-shaped): customers, items, price levels, sales orders, invoices, credit
memos and return authorizations, as our records."""

from connectors.erp.client import ErpClient, ItemPage, OrderSelection

__all__ = ["ErpClient", "ItemPage", "OrderSelection"]
