"""The CRM's picklists as GraphQL enums."""

from __future__ import annotations

from enum import Enum

import strawberry

__all__ = [
    "AccountSegment",
    "AccountTier",
    "ActivityType",
    "CaseOrigin",
    "CasePriority",
    "CaseStatus",
]


@strawberry.enum(description="Market segment of a customer account.")
class AccountSegment(Enum):
    ENTERPRISE = "ENTERPRISE"
    MID_MARKET = "MID_MARKET"
    SMALL_BUSINESS = "SMALL_BUSINESS"


@strawberry.enum(description="Service tier of a customer account.")
class AccountTier(Enum):
    PLATINUM = "PLATINUM"
    GOLD = "GOLD"
    SILVER = "SILVER"
    BRONZE = "BRONZE"


@strawberry.enum(description="Where a support case stands.")
class CaseStatus(Enum):
    NEW = "NEW"
    WORKING = "WORKING"
    ESCALATED = "ESCALATED"
    CLOSED = "CLOSED"


@strawberry.enum(description="How urgent a support case is.")
class CasePriority(Enum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


@strawberry.enum(description="The channel a support case came in through.")
class CaseOrigin(Enum):
    PHONE = "PHONE"
    EMAIL = "EMAIL"
    WEB = "WEB"
    PORTAL = "PORTAL"
    WAREHOUSE = strawberry.enum_value(
        "WAREHOUSE", description="Opened on a warehouse or carrier event of one of its orders."
    )


@strawberry.enum(description="What kind of activity an account's history records.")
class ActivityType(Enum):
    FULFILLMENT = strawberry.enum_value(
        "FULFILLMENT", description="A fulfillment milestone of one of the account's orders."
    )
    CALL = "CALL"
    EMAIL = "EMAIL"
    MEETING = "MEETING"
    OTHER = "OTHER"
