"""The CRM subgraph's GraphQL types: Account, Contact and Case, and its part of Order."""

from __future__ import annotations

from datetime import datetime
from typing import TypeAlias

import strawberry

from subgraphs.common.fields import described
from subgraphs.common.types import Address, Region
from subgraphs.common.vendor import dangling
from subgraphs.crm.enums import AccountSegment, AccountTier, CaseOrigin, CasePriority, CaseStatus
from subgraphs.crm.loaders import CrmContext
from subgraphs.crm.records import AccountRecord, CaseRecord, ContactRecord
from subgraphs.crm.vendor import SYSTEM

__all__ = ["Account", "Case", "Contact", "Info", "Order", "load_account"]

Info: TypeAlias = strawberry.Info[CrmContext, None]


async def load_account(info: Info, account_id: str) -> Account | None:
    """The account with ``account_id``, or ``None`` if the CRM does not know it."""
    return await info.context.loaders.account.load_as(account_id, Account.from_record)


async def _referenced_account(info: Info, account_id: str, referrer: str) -> Account:
    account = await load_account(info, account_id)
    if account is None:
        raise dangling(SYSTEM, referrer, "Account", account_id)
    return account


@strawberry.federation.type(keys=["id"], description="A customer account, as the CRM keeps it.")
class Account:
    id: strawberry.ID = strawberry.field(description="The CRM Id (18 characters, 001…).")
    name: str
    number: str = strawberry.field(description="Account number, e.g. ACC-10001.")
    segment: AccountSegment
    region: Region
    tier: AccountTier
    owner: str | None = strawberry.field(description="Name of the account owner (sales rep).")
    industry: str | None
    phone: str | None
    active: bool
    billing_address: Address | None

    @classmethod
    def from_record(cls, record: AccountRecord) -> Account:
        return cls(
            id=strawberry.ID(record.id),
            name=record.name,
            number=record.number,
            segment=record.segment,
            region=record.region,
            tier=record.tier,
            owner=record.owner,
            industry=record.industry,
            phone=record.phone,
            active=record.active,
            billing_address=(
                Address.from_record(record.billing_address) if record.billing_address else None
            ),
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Account | None:
        return await load_account(info, str(id))

    @described("The account's contacts, the primary one first.")
    async def contacts(self, info: Info) -> list[Contact]:
        records = await info.context.loaders.contacts_of_account.load(self.id)
        return [Contact.from_record(record) for record in records]

    @described("Support cases, newest first; open: only open (or closed) ones.")
    async def cases(self, info: Info, open: bool | None = None) -> list[Case]:
        records = await info.context.loaders.cases_of_account.load(self.id)
        return [
            Case.from_record(record) for record in records if open is None or record.is_open == open
        ]


@strawberry.federation.type(keys=["id"], description="A person at a customer account.")
class Contact:
    id: strawberry.ID
    first_name: str | None
    last_name: str
    title: str | None
    email: str | None
    phone: str | None
    primary: bool = strawberry.field(description="Whether this is the account's main contact.")
    account_id: strawberry.Private[str]

    @classmethod
    def from_record(cls, record: ContactRecord) -> Contact:
        return cls(
            id=strawberry.ID(record.id),
            first_name=record.first_name,
            last_name=record.last_name,
            title=record.title,
            email=record.email,
            phone=record.phone,
            primary=record.primary,
            account_id=record.account_id,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Contact | None:
        return await info.context.loaders.contact.load_as(str(id), cls.from_record)

    @described("First and last name.")
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.first_name else self.last_name

    @strawberry.field
    async def account(self, info: Info) -> Account:
        return await _referenced_account(info, self.account_id, f"Contact {self.id}")


@strawberry.federation.type(keys=["id"], description="A customer support case.")
class Case:
    id: strawberry.ID
    case_number: str
    subject: str
    description: str | None
    status: CaseStatus
    priority: CasePriority
    origin: CaseOrigin | None
    created_at: datetime
    closed_at: datetime | None
    account_id: strawberry.Private[str]
    contact_id: strawberry.Private[str | None]
    order_id: strawberry.Private[str | None]

    @classmethod
    def from_record(cls, record: CaseRecord) -> Case:
        return cls(
            id=strawberry.ID(record.id),
            case_number=record.case_number,
            subject=record.subject,
            description=record.description,
            status=record.status,
            priority=record.priority,
            origin=record.origin,
            created_at=record.created_at,
            closed_at=record.closed_at,
            account_id=record.account_id,
            contact_id=record.contact_id,
            order_id=record.order_id,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Case | None:
        return await info.context.loaders.case.load_as(str(id), cls.from_record)

    @strawberry.field
    async def account(self, info: Info) -> Account:
        return await _referenced_account(info, self.account_id, f"Case {self.id}")

    @described("The customer contact who raised the case, if known.")
    async def contact(self, info: Info) -> Contact | None:
        if self.contact_id is None:
            return None
        # A case's contact is one of its account's, which the account's contacts (one bulk
        # call for every account of the request) usually have already fetched.
        loaders = info.context.loaders
        of_account = await loaders.contacts_of_account.load(self.account_id)
        record = next((c for c in of_account if c.id == self.contact_id), None)
        if record is None:
            record = await loaders.contact.load(self.contact_id)
        return None if record is None else Contact.from_record(record)

    @described("The order the case is about, if any.")
    def order(self) -> Order | None:
        return None if self.order_id is None else Order(id=strawberry.ID(self.order_id))


@strawberry.federation.type(keys=["id"], description="An order; the CRM adds its cases.")
class Order:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Order:
        return cls(id=strawberry.ID(str(id)))

    @described("Support cases about this order, newest first.")
    async def cases(self, info: Info) -> list[Case] | None:
        records = await info.context.loaders.cases_of_order.load(self.id)
        return [Case.from_record(record) for record in records]
