"""The CRM subgraph's GraphQL types: Account, Contact, Case and Activity, and its part of
Order (its cases and activities)."""

from __future__ import annotations

from datetime import datetime
from typing import TypeAlias

import strawberry

from connectors.crm.records import AccountRecord, ActivityRecord, CaseRecord, ContactRecord
from connectors.crm.vendor import SYSTEM
from connectors.payloads import dangling
from subgraphs.common.access import ACCOUNTS, AUTHENTICATED_TYPE, ORDERS
from subgraphs.common.cost import sliced_by_first
from subgraphs.common.errors import BadUserInput
from subgraphs.common.fields import described
from subgraphs.common.types import Address, Region
from subgraphs.crm.enums import (
    AccountSegment,
    AccountTier,
    ActivityType,
    CaseOrigin,
    CasePriority,
    CaseStatus,
)
from subgraphs.crm.loaders import CrmContext

__all__ = [
    "DEFAULT_ACTIVITIES",
    "MAX_ACTIVITIES",
    "Account",
    "Activity",
    "Case",
    "Contact",
    "Info",
    "Order",
    "load_account",
]

Info: TypeAlias = strawberry.Info[CrmContext, None]

DEFAULT_ACTIVITIES = 20
MAX_ACTIVITIES = 100


def _how_many(first: int | None) -> int:
    """How many activities ``first`` asks for (null: the default), 1 to ``MAX_ACTIVITIES``."""
    if first is None:
        return DEFAULT_ACTIVITIES
    if not 1 <= first <= MAX_ACTIVITIES:
        raise BadUserInput(f"first must be between 1 and {MAX_ACTIVITIES}, got {first}")
    return first


async def load_account(info: Info, account_id: str) -> Account | None:
    """The account with ``account_id``, or ``None`` if the CRM does not know it."""
    return await info.context.loaders.account.load_as(account_id, Account.from_record)


async def _referenced_account(info: Info, account_id: str, referrer: str) -> Account:
    account = await load_account(info, account_id)
    if account is None:
        raise dangling(SYSTEM, referrer, "Account", account_id)
    return account


@strawberry.federation.type(
    keys=["id"],
    description="A customer account, as the CRM keeps it.",
    directives=AUTHENTICATED_TYPE,
)
class Account:
    id: strawberry.ID = strawberry.field(description="The CRM Id (18 characters, 001…).")
    name: str = strawberry.field(description="The customer's company name.")
    number: str = strawberry.field(description="Account number, e.g. ACC-10001.")
    segment: AccountSegment = strawberry.field(description="Market segment.")
    region: Region = strawberry.field(description="Sales region the account belongs to.")
    tier: AccountTier = strawberry.field(description="Service tier.")
    owner: str | None = strawberry.field(description="Name of the account owner (sales rep).")
    industry: str | None = strawberry.field(description="The customer's industry.")
    phone: str | None = strawberry.field(description="Main phone number.")
    active: bool = strawberry.field(description="Whether the customer may still order.")
    billing_address: Address | None = strawberry.field(description="Where invoices go.")

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

    @described(
        "The account's activity history, newest first: the `first` (1 to 100) most recent "
        "activities, such as a fulfillment milestone of one of its orders.",
        # The sales team's calls, emails and meetings are account data, as contacts and cases
        # are: accounts:read (Account itself is open to any token, to show an order's account).
        directives=[sliced_by_first(DEFAULT_ACTIVITIES), *ACCOUNTS],
    )
    async def activities(
        self, info: Info, first: int | None = DEFAULT_ACTIVITIES
    ) -> list[Activity]:
        key = (str(self.id), _how_many(first))
        records = await info.context.loaders.activities_of_account.load(key)
        return [Activity.from_record(record) for record in records]


@strawberry.federation.type(
    keys=["id"], description="A person at a customer account.", directives=ACCOUNTS
)
class Contact:
    id: strawberry.ID = strawberry.field(description="The CRM Id (003…).")
    first_name: str | None = strawberry.field(description="Given name, if known.")
    last_name: str = strawberry.field(description="Family name.")
    title: str | None = strawberry.field(description="Job title.")
    email: str | None = strawberry.field(description="Email address.")
    phone: str | None = strawberry.field(description="Phone number.")
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

    @described("The account the contact works for.")
    async def account(self, info: Info) -> Account:
        return await _referenced_account(info, self.account_id, f"Contact {self.id}")


@strawberry.federation.type(
    keys=["id"], description="A customer support case.", directives=ACCOUNTS
)
class Case:
    id: strawberry.ID = strawberry.field(description="The CRM Id (500…).")
    case_number: str = strawberry.field(description="Case number, e.g. 00001001.")
    subject: str = strawberry.field(description="What the case is about, in one line.")
    description: str | None = strawberry.field(description="The details of the case.")
    status: CaseStatus = strawberry.field(description="Where the case stands.")
    priority: CasePriority = strawberry.field(description="How urgent the case is.")
    origin: CaseOrigin | None = strawberry.field(
        description="The channel it came in through (WAREHOUSE: opened on a fulfillment event)."
    )
    created_at: datetime = strawberry.field(description="When the case was opened.")
    closed_at: datetime | None = strawberry.field(description="When it was closed, if it is.")
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

    @described("The account the case is about.")
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


@strawberry.type(
    description="An entry of an account's activity history (a CRM Task): something that "
    "happened with the account, such as a fulfillment milestone of one of its orders."
)
class Activity:
    id: strawberry.ID = strawberry.field(description="The CRM Id of the activity (00T…).")
    subject: str = strawberry.field(description="What happened, in one line.")
    description: str | None = strawberry.field(
        description="The details: shipment, carrier and tracking number, reason, quantities."
    )
    type: ActivityType = strawberry.field(description="What kind of activity it was.")
    occurred_at: datetime = strawberry.field(
        description="When it happened (not when the CRM recorded it)."
    )
    created_at: datetime = strawberry.field(description="When the CRM recorded it.")
    order_number: str | None = strawberry.field(
        description="The number of the ERP order it is about (SO-…), if any."
    )
    account_id: strawberry.Private[str]
    order_id: strawberry.Private[str | None]

    @classmethod
    def from_record(cls, record: ActivityRecord) -> Activity:
        return cls(
            id=strawberry.ID(record.id),
            subject=record.subject,
            description=record.description,
            type=record.type,
            occurred_at=record.occurred_at,
            created_at=record.created_at,
            order_number=record.order_number,
            account_id=record.account_id,
            order_id=record.order_id,
        )

    @described("The account whose history it belongs to.")
    async def account(self, info: Info) -> Account:
        return await _referenced_account(info, self.account_id, f"Activity {self.id}")

    @described("The order it is about, if any.")
    def order(self) -> Order | None:
        return None if self.order_id is None else Order(id=strawberry.ID(self.order_id))


@strawberry.federation.type(
    keys=["id"], description="An order; the CRM adds its cases and activities.", directives=ORDERS
)
class Order:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Order:
        return cls(id=strawberry.ID(str(id)))

    @described("Support cases about this order, newest first.")
    async def cases(self, info: Info) -> list[Case] | None:
        records = await info.context.loaders.cases_of_order.load(self.id)
        return [Case.from_record(record) for record in records]

    @described(
        "The CRM's activities about this order, newest first (one per fulfillment milestone): "
        "the `first` (1 to 100) most recent.",
        directives=[sliced_by_first(DEFAULT_ACTIVITIES)],
    )
    async def activities(
        self, info: Info, first: int | None = DEFAULT_ACTIVITIES
    ) -> list[Activity] | None:
        key = (str(self.id), _how_many(first))
        records = await info.context.loaders.activities_of_order.load(key)
        return [Activity.from_record(record) for record in records]
