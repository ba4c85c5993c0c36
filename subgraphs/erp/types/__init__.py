"""The ERP subgraph's GraphQL types, one module per entity family."""

from subgraphs.erp.types.account import Account, OrderFilter
from subgraphs.erp.types.catalog import PriceList, Product, QuantityBreak
from subgraphs.erp.types.common import DistributionCenter, Info, Shipment
from subgraphs.erp.types.order import Order, OrderLine
from subgraphs.erp.types.transactions import CreditMemo, Invoice, ReturnAuthorization, ReturnLine

__all__ = [
    "Account",
    "CreditMemo",
    "DistributionCenter",
    "Info",
    "Invoice",
    "Order",
    "OrderFilter",
    "OrderLine",
    "PriceList",
    "Product",
    "QuantityBreak",
    "ReturnAuthorization",
    "ReturnLine",
    "Shipment",
]
