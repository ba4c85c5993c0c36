"""The CRM's picklists as our records carry them, in our words (``"Mid-Market"`` is MID_MARKET)."""

from __future__ import annotations

from enum import Enum

__all__ = [
    "AccountSegment",
    "AccountTier",
    "ActivityType",
    "CaseOrigin",
    "CasePriority",
    "CaseStatus",
]


class AccountSegment(Enum):
    """Market segment of a customer account."""

    ENTERPRISE = "ENTERPRISE"
    MID_MARKET = "MID_MARKET"
    SMALL_BUSINESS = "SMALL_BUSINESS"


class AccountTier(Enum):
    """Service tier of a customer account."""

    PLATINUM = "PLATINUM"
    GOLD = "GOLD"
    SILVER = "SILVER"
    BRONZE = "BRONZE"


class CaseStatus(Enum):
    """Where a support case stands."""

    NEW = "NEW"
    WORKING = "WORKING"
    ESCALATED = "ESCALATED"
    CLOSED = "CLOSED"


class CasePriority(Enum):
    """How urgent a support case is."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


class CaseOrigin(Enum):
    """The channel a support case came in through."""

    PHONE = "PHONE"
    EMAIL = "EMAIL"
    WEB = "WEB"
    PORTAL = "PORTAL"
    WAREHOUSE = "WAREHOUSE"


class ActivityType(Enum):
    """What kind of activity an account's history records."""

    FULFILLMENT = "FULFILLMENT"
    CALL = "CALL"
    EMAIL = "EMAIL"
    MEETING = "MEETING"
    OTHER = "OTHER"
