"""The CRM's picklists as GraphQL enums: the connector's enums, described for the graph."""

from __future__ import annotations

from connectors.crm.enums import (
    AccountSegment,
    AccountTier,
    ActivityType,
    CaseOrigin,
    CasePriority,
    CaseStatus,
)
from subgraphs.common.enums import graphql_enum

__all__ = [
    "AccountSegment",
    "AccountTier",
    "ActivityType",
    "CaseOrigin",
    "CasePriority",
    "CaseStatus",
]

graphql_enum(AccountSegment)
graphql_enum(AccountTier)
graphql_enum(CaseStatus)
graphql_enum(CasePriority)
graphql_enum(
    CaseOrigin,
    values={
        "WAREHOUSE": "Opened on a warehouse or carrier event of one of its orders.",
    },
)
graphql_enum(
    ActivityType,
    values={
        "FULFILLMENT": "A fulfillment milestone of one of the account's orders.",
    },
)
