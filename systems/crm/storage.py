"""The CRM's tables, and seeding them from the world in the vendor's own vocabulary."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from systems.common.idempotency import idempotency_table
from systems.crm.picklists import (
    CASE_ORIGINS,
    CASE_PRIORITIES,
    CASE_STATUSES,
    REGIONS,
    SEGMENTS,
    TIERS,
)
from systems.world_records import AccountRecord, CaseRecord, ContactRecord, World

__all__ = ["SCHEMA", "crm_timestamp", "seed_database"]

_RECORDS = """
CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    account_number TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    segment TEXT NOT NULL,
    region TEXT NOT NULL,
    tier TEXT NOT NULL,
    owner_name TEXT NOT NULL,
    industry TEXT NOT NULL,
    phone TEXT NOT NULL,
    is_active INTEGER NOT NULL,
    billing_street TEXT NOT NULL,
    billing_city TEXT NOT NULL,
    billing_state TEXT NOT NULL,
    billing_postal_code TEXT NOT NULL,
    billing_country TEXT NOT NULL,
    created_date TEXT NOT NULL
);
CREATE INDEX accounts_region ON accounts (region, account_number);

CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    title TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT NOT NULL,
    is_primary INTEGER NOT NULL
);
CREATE INDEX contacts_account ON contacts (account_id);

CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    case_number TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    contact_id TEXT REFERENCES contacts (id),
    subject TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    priority TEXT NOT NULL,
    origin TEXT NOT NULL,
    erp_order_id TEXT,
    erp_order_number TEXT,
    created_date TEXT NOT NULL,
    closed_date TEXT,
    is_closed INTEGER NOT NULL,
    -- The caller's id of a case entered through POST /cases (null for the seeded ones).
    external_id TEXT UNIQUE
);
CREATE INDEX cases_account ON cases (account_id, is_closed);
CREATE INDEX cases_order ON cases (erp_order_id);

-- Activity history (Salesforce Tasks): what happened with an account, entered by POST /tasks.
CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    external_id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    subject TEXT NOT NULL,
    description TEXT,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    activity_datetime TEXT NOT NULL,
    erp_order_id TEXT,
    erp_order_number TEXT,
    created_date TEXT NOT NULL
);
CREATE INDEX tasks_account ON tasks (account_id, activity_datetime);
CREATE INDEX tasks_order ON tasks (erp_order_id, activity_datetime);
"""

SCHEMA = _RECORDS + idempotency_table("created_date")


def crm_timestamp(moment: datetime) -> str:
    """A datetime as the CRM writes it: UTC, milliseconds, ``Z`` (naive means UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _account_row(a: AccountRecord) -> tuple[object, ...]:
    address = a.billing_address
    return (
        a.id,
        a.number,
        a.name,
        SEGMENTS[a.segment],
        REGIONS[a.region],
        TIERS[a.tier],
        a.owner,
        a.industry,
        a.phone,
        int(a.active),
        address.street,
        address.city,
        address.state,
        address.postal_code,
        address.country,
        crm_timestamp(a.created_at),
    )


def _contact_row(c: ContactRecord) -> tuple[object, ...]:
    return (
        c.id,
        c.account_id,
        c.first_name,
        c.last_name,
        c.title,
        c.email,
        c.phone,
        int(c.primary),
    )


def _case_row(c: CaseRecord) -> tuple[object, ...]:
    status = CASE_STATUSES[c.status]
    return (
        c.id,
        c.case_number,
        c.account_id,
        c.contact_id,
        c.subject,
        c.description,
        status,
        CASE_PRIORITIES[c.priority],
        CASE_ORIGINS[c.origin],
        c.order_id,
        c.order_number,
        crm_timestamp(c.created_at),
        None if c.closed_at is None else crm_timestamp(c.closed_at),
        int(c.status == "CLOSED"),
        None,
    )


def seed_database(conn: sqlite3.Connection, world: World) -> None:
    """Create the CRM tables and fill them from ``world`` (the caller commits)."""
    conn.executescript(SCHEMA)
    conn.executemany(
        f"INSERT INTO accounts VALUES ({','.join('?' * 16)})",
        [_account_row(a) for a in world.accounts],
    )
    conn.executemany(
        f"INSERT INTO contacts VALUES ({','.join('?' * 8)})",
        [_contact_row(c) for c in world.contacts],
    )
    conn.executemany(
        f"INSERT INTO cases VALUES ({','.join('?' * 15)})",
        [_case_row(c) for c in world.cases],
    )
