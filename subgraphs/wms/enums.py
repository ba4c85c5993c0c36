"""The WMS's codes as GraphQL enums: the connector's enums, described for the graph."""

from __future__ import annotations

from connectors.wms.enums import (
    Carrier,
    FulfillmentOrderStatus,
    FulfillmentStatus,
    ReturnDisposition,
    ShipmentStatus,
)
from monitoring import AtRiskReason, CycleStage, FalloutKind
from subgraphs.common.enums import graphql_enum

__all__ = [
    "AtRiskReason",
    "Carrier",
    "CycleStage",
    "FalloutKind",
    "FulfillmentOrderStatus",
    "FulfillmentStatus",
    "ReturnDisposition",
    "ShipmentStatus",
]

graphql_enum(Carrier)
graphql_enum(FulfillmentOrderStatus)
graphql_enum(ShipmentStatus)
graphql_enum(FulfillmentStatus)
graphql_enum(ReturnDisposition)
graphql_enum(CycleStage)
graphql_enum(FalloutKind)
graphql_enum(AtRiskReason)
