"""The CRM vendor's payloads, validated at the edge and normalized into our records.

The CRM speaks Salesforce: ``PascalCase`` and ``__c`` fields, display-cased picklist values
(``"Mid-Market"``, ``"Escalated"``) and list envelopes ``{"totalSize", "records", ...}``.
Anything that does not fit (a missing key, a wrong type, an unknown picklist value) raises
``SystemResponseInvalid``, which the subgraphs report as ``SUBGRAPH_ERROR`` on the fields it
affects.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any, TypeVar

from pydantic import AwareDatetime, BeforeValidator, Field, StrictBool, StrictInt, StrictStr

from connectors.crm.enums import (
    AccountSegment,
    AccountTier,
    ActivityType,
    CaseOrigin,
    CasePriority,
    CaseStatus,
)
from connectors.crm.records import AccountRecord, ActivityRecord, CaseRecord, ContactRecord
from connectors.payloads import Payload, parse_payload
from connectors.values import AddressRecord, Region

__all__ = [
    "SYSTEM",
    "AccountPayload",
    "CasePayload",
    "ContactPayload",
    "ListPayload",
    "TaskPayload",
    "parse_list",
    "parse_record",
]

SYSTEM = "crm"

E = TypeVar("E", bound=Enum)
P = TypeVar("P", bound=Payload)


def _picklist(enum: type[E]) -> Callable[[Any], E]:
    """``"Mid-Market"`` (or ``"MID_MARKET"``) to ``AccountSegment.MID_MARKET``."""

    def convert(value: Any) -> E:
        if isinstance(value, enum):
            return value
        if not isinstance(value, str):
            raise ValueError(f"{enum.__name__} must be a string")
        code = value.strip().upper().replace("-", "_").replace(" ", "_")
        try:
            return enum[code]
        except KeyError:
            raise ValueError(f"unknown {enum.__name__} {value!r}") from None

    return convert


SegmentValue = Annotated[AccountSegment, BeforeValidator(_picklist(AccountSegment))]
TierValue = Annotated[AccountTier, BeforeValidator(_picklist(AccountTier))]
RegionValue = Annotated[Region, BeforeValidator(_picklist(Region))]
StatusValue = Annotated[CaseStatus, BeforeValidator(_picklist(CaseStatus))]
PriorityValue = Annotated[CasePriority, BeforeValidator(_picklist(CasePriority))]
OriginValue = Annotated[CaseOrigin, BeforeValidator(_picklist(CaseOrigin))]
ActivityTypeValue = Annotated[ActivityType, BeforeValidator(_picklist(ActivityType))]


class OwnerPayload(Payload):
    name: StrictStr | None = Field(default=None, alias="Name")


class AccountPayload(Payload):
    id: StrictStr = Field(alias="Id", min_length=1)
    name: StrictStr = Field(alias="Name")
    number: StrictStr = Field(alias="AccountNumber")
    segment: SegmentValue = Field(alias="Segment__c")
    region: RegionValue = Field(alias="Region__c")
    tier: TierValue = Field(alias="Tier__c")
    owner: OwnerPayload | None = Field(default=None, alias="Owner")
    industry: StrictStr | None = Field(default=None, alias="Industry")
    phone: StrictStr | None = Field(default=None, alias="Phone")
    active: StrictBool = Field(alias="IsActive__c")
    billing_street: StrictStr | None = Field(default=None, alias="BillingStreet")
    billing_city: StrictStr | None = Field(default=None, alias="BillingCity")
    billing_state: StrictStr | None = Field(default=None, alias="BillingState")
    billing_postal_code: StrictStr | None = Field(default=None, alias="BillingPostalCode")
    billing_country: StrictStr | None = Field(default=None, alias="BillingCountry")
    created_at: AwareDatetime = Field(alias="CreatedDate")

    def record(self) -> AccountRecord:
        return AccountRecord(
            id=self.id,
            name=self.name,
            number=self.number,
            segment=self.segment,
            region=self.region,
            tier=self.tier,
            owner=self.owner.name if self.owner else None,
            industry=self.industry,
            phone=self.phone,
            active=self.active,
            billing_address=self._billing_address(),
            created_at=self.created_at,
        )

    def _billing_address(self) -> AddressRecord | None:
        street, city, state = self.billing_street, self.billing_city, self.billing_state
        postal_code, country = self.billing_postal_code, self.billing_country
        if street is None or city is None or state is None or postal_code is None:
            return None
        return AddressRecord(
            street=street,
            city=city,
            state=state,
            postal_code=postal_code,
            country=country or "US",
            # The CRM keeps no region per address: the billing address is in the account's.
            region=self.region,
        )


class ContactPayload(Payload):
    id: StrictStr = Field(alias="Id", min_length=1)
    account_id: StrictStr = Field(alias="AccountId")
    first_name: StrictStr | None = Field(default=None, alias="FirstName")
    last_name: StrictStr = Field(alias="LastName")
    title: StrictStr | None = Field(default=None, alias="Title")
    email: StrictStr | None = Field(default=None, alias="Email")
    phone: StrictStr | None = Field(default=None, alias="Phone")
    primary: StrictBool = Field(default=False, alias="IsPrimary__c")

    def record(self) -> ContactRecord:
        return ContactRecord(
            id=self.id,
            account_id=self.account_id,
            first_name=self.first_name,
            last_name=self.last_name,
            title=self.title,
            email=self.email,
            phone=self.phone,
            primary=self.primary,
        )


class CasePayload(Payload):
    id: StrictStr = Field(alias="Id", min_length=1)
    case_number: StrictStr = Field(alias="CaseNumber")
    account_id: StrictStr = Field(alias="AccountId")
    contact_id: StrictStr | None = Field(default=None, alias="ContactId")
    subject: StrictStr = Field(alias="Subject")
    description: StrictStr | None = Field(default=None, alias="Description")
    status: StatusValue = Field(alias="Status")
    priority: PriorityValue = Field(alias="Priority")
    origin: OriginValue | None = Field(default=None, alias="Origin")
    order_id: StrictStr | None = Field(default=None, alias="ERP_Order_Id__c")
    order_number: StrictStr | None = Field(default=None, alias="ERP_Order_Number__c")
    created_at: AwareDatetime = Field(alias="CreatedDate")
    closed_at: AwareDatetime | None = Field(default=None, alias="ClosedDate")

    def record(self) -> CaseRecord:
        return CaseRecord(
            id=self.id,
            case_number=self.case_number,
            account_id=self.account_id,
            contact_id=self.contact_id,
            subject=self.subject,
            description=self.description,
            status=self.status,
            priority=self.priority,
            origin=self.origin,
            order_id=self.order_id,
            order_number=self.order_number,
            created_at=self.created_at,
            closed_at=self.closed_at,
        )


class TaskPayload(Payload):
    """A Task of an account's activity history."""

    id: StrictStr = Field(alias="Id", min_length=1)
    account_id: StrictStr = Field(alias="AccountId")
    subject: StrictStr = Field(alias="Subject")
    description: StrictStr | None = Field(default=None, alias="Description")
    type: ActivityTypeValue = Field(alias="Type")
    occurred_at: AwareDatetime = Field(alias="ActivityDateTime")
    order_id: StrictStr | None = Field(default=None, alias="ERP_Order_Id__c")
    order_number: StrictStr | None = Field(default=None, alias="ERP_Order_Number__c")
    created_at: AwareDatetime = Field(alias="CreatedDate")

    def record(self) -> ActivityRecord:
        return ActivityRecord(
            id=self.id,
            account_id=self.account_id,
            subject=self.subject,
            description=self.description,
            type=self.type,
            occurred_at=self.occurred_at,
            order_id=self.order_id,
            order_number=self.order_number,
            created_at=self.created_at,
        )


class ListPayload(Payload):
    """A list answer: ``records`` stay raw until each is parsed as its own type."""

    total_size: StrictInt = Field(alias="totalSize", ge=0)
    records: list[dict[str, Any]]


def parse_record(model: type[P], data: Any) -> P:
    """One vendor record as ``model``; ``SystemResponseInvalid`` if it does not fit."""
    return parse_payload(SYSTEM, model, data)


def parse_list(data: Any) -> ListPayload:
    """A list envelope; ``SystemResponseInvalid`` if it is not one."""
    return parse_payload(SYSTEM, ListPayload, data, what="list")
