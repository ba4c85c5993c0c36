"""The ERP's codes as GraphQL enums: the connector's enums, described for the graph."""

from __future__ import annotations

from connectors.erp.enums import (
    FinancialStatus,
    HoldReason,
    InvoiceStatus,
    OrderStatus,
    PaymentTerms,
    ReturnAuthorizationStatus,
    ReturnReason,
    UnitOfMeasure,
)
from subgraphs.common.enums import graphql_enum

__all__ = [
    "FinancialStatus",
    "HoldReason",
    "InvoiceStatus",
    "OrderStatus",
    "PaymentTerms",
    "ReturnAuthorizationStatus",
    "ReturnReason",
    "UnitOfMeasure",
]

graphql_enum(PaymentTerms)
graphql_enum(UnitOfMeasure)
graphql_enum(OrderStatus)
graphql_enum(HoldReason)
graphql_enum(FinancialStatus)
graphql_enum(InvoiceStatus)
graphql_enum(ReturnAuthorizationStatus)
graphql_enum(ReturnReason)
