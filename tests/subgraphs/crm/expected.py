"""What the CRM subgraph should answer for the world's records, as GraphQL JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from systems.crm.storage import crm_timestamp
from systems.world_records import AccountRecord, CaseRecord, ContactRecord
from tests.support.expected import address_json

__all__ = [
    "ACCOUNT_FIELDS",
    "CASE_FIELDS",
    "CONTACT_FIELDS",
    "account_json",
    "case_json",
    "contact_json",
]

ACCOUNT_FIELDS = """
    id name number segment region tier owner industry phone active
    billingAddress { street city state postalCode country region }
"""
CONTACT_FIELDS = "id firstName lastName name title email phone primary account { id }"
CASE_FIELDS = """
    id caseNumber subject description status priority origin createdAt closedAt
    account { id } contact { id } order { id }
"""


def _datetime(moment: datetime | None) -> str | None:
    # As the CRM keeps it (UTC, milliseconds), then as GraphQL's DateTime prints it.
    return None if moment is None else datetime.fromisoformat(crm_timestamp(moment)).isoformat()


def account_json(a: AccountRecord) -> dict[str, Any]:
    return {
        "id": a.id,
        "name": a.name,
        "number": a.number,
        "segment": a.segment,
        "region": a.region,
        "tier": a.tier,
        "owner": a.owner,
        "industry": a.industry,
        "phone": a.phone,
        "active": a.active,
        "billingAddress": address_json(a.billing_address),
    }


def contact_json(c: ContactRecord) -> dict[str, Any]:
    return {
        "id": c.id,
        "firstName": c.first_name,
        "lastName": c.last_name,
        "name": f"{c.first_name} {c.last_name}",
        "title": c.title,
        "email": c.email,
        "phone": c.phone,
        "primary": c.primary,
        "account": {"id": c.account_id},
    }


def case_json(c: CaseRecord) -> dict[str, Any]:
    return {
        "id": c.id,
        "caseNumber": c.case_number,
        "subject": c.subject,
        "description": c.description,
        "status": c.status,
        "priority": c.priority,
        "origin": c.origin,
        "createdAt": _datetime(c.created_at),
        "closedAt": _datetime(c.closed_at),
        "account": {"id": c.account_id},
        "contact": None if c.contact_id is None else {"id": c.contact_id},
        "order": None if c.order_id is None else {"id": c.order_id},
    }
