"""The ERP subgraph's GraphQL types, one module per entity family."""

from subgraphs.erp.types.catalog import PriceList, Product, QuantityBreak
from subgraphs.erp.types.common import DistributionCenter, Info, Shipment
from subgraphs.erp.types.lines import OrderLine, ReturnLine
from subgraphs.erp.types.sales import (
    Account,
    CreditMemo,
    Invoice,
    Order,
    OrderFilter,
    ReturnAuthorization,
)

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
