"""The CRM's records as the graph knows them, normalized from the vendor's payloads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from connectors.crm.enums import (
    AccountSegment,
    AccountTier,
    ActivityType,
    CaseOrigin,
    CasePriority,
    CaseStatus,
)
from connectors.values import AddressRecord, Region

__all__ = ["AccountRecord", "ActivityRecord", "CaseRecord", "ContactRecord"]


@dataclass(frozen=True, slots=True)
class AccountRecord:
    id: str
    name: str
    number: str
    segment: AccountSegment
    region: Region
    tier: AccountTier
    owner: str | None
    industry: str | None
    phone: str | None
    active: bool
    billing_address: AddressRecord | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ContactRecord:
    id: str
    account_id: str
    first_name: str | None
    last_name: str
    title: str | None
    email: str | None
    phone: str | None
    primary: bool


@dataclass(frozen=True, slots=True)
class CaseRecord:
    id: str
    case_number: str
    account_id: str
    contact_id: str | None
    subject: str
    description: str | None
    status: CaseStatus
    priority: CasePriority
    origin: CaseOrigin | None
    order_id: str | None
    order_number: str | None
    created_at: datetime
    closed_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.status is not CaseStatus.CLOSED


@dataclass(frozen=True, slots=True)
class ActivityRecord:
    """One entry of an account's activity history (a CRM Task)."""

    id: str
    account_id: str
    subject: str
    description: str | None
    type: ActivityType
    occurred_at: datetime
    order_id: str | None
    order_number: str | None
    created_at: datetime
