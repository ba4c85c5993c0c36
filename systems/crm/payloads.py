"""Rows as the CRM's REST API returns them: Salesforce-shaped sObject records and lists."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any, TypedDict

__all__ = [
    "API_PREFIX",
    "ListEnvelope",
    "account_payload",
    "case_payload",
    "contact_payload",
    "list_envelope",
    "task_payload",
]

API_PREFIX = "/services/data/v59.0/sobjects"

Record = dict[str, Any]


class ListEnvelope(TypedDict):
    """``{"totalSize", "done", "records", "nextOffset"}``: every list answer."""

    totalSize: int
    done: bool
    records: list[Record]
    nextOffset: int | None


def _attributes(sobject: str, record_id: str) -> dict[str, str]:
    return {"type": sobject, "url": f"{API_PREFIX}/{sobject}/{record_id}"}


def account_payload(row: sqlite3.Row) -> Record:
    return {
        "attributes": _attributes("Account", row["id"]),
        "Id": row["id"],
        "Name": row["name"],
        "AccountNumber": row["account_number"],
        "Segment__c": row["segment"],
        "Region__c": row["region"],
        "Tier__c": row["tier"],
        "Owner": {"Name": row["owner_name"]},
        "Industry": row["industry"],
        "Phone": row["phone"],
        "IsActive__c": bool(row["is_active"]),
        "BillingStreet": row["billing_street"],
        "BillingCity": row["billing_city"],
        "BillingState": row["billing_state"],
        "BillingPostalCode": row["billing_postal_code"],
        "BillingCountry": row["billing_country"],
        "CreatedDate": row["created_date"],
    }


def contact_payload(row: sqlite3.Row) -> Record:
    return {
        "attributes": _attributes("Contact", row["id"]),
        "Id": row["id"],
        "AccountId": row["account_id"],
        "FirstName": row["first_name"],
        "LastName": row["last_name"],
        "Title": row["title"],
        "Email": row["email"],
        "Phone": row["phone"],
        "IsPrimary__c": bool(row["is_primary"]),
    }


def case_payload(row: sqlite3.Row) -> Record:
    return {
        "attributes": _attributes("Case", row["id"]),
        "Id": row["id"],
        "CaseNumber": row["case_number"],
        "AccountId": row["account_id"],
        "ContactId": row["contact_id"],
        "Subject": row["subject"],
        "Description": row["description"],
        "Status": row["status"],
        "Priority": row["priority"],
        "Origin": row["origin"],
        "ERP_Order_Id__c": row["erp_order_id"],
        "ERP_Order_Number__c": row["erp_order_number"],
        "CreatedDate": row["created_date"],
        "ClosedDate": row["closed_date"],
        "IsClosed": bool(row["is_closed"]),
        "External_Id__c": row["external_id"],
    }


def task_payload(row: sqlite3.Row) -> Record:
    """A Task of the activity history: ``ActivityDateTime`` is when it happened (UTC),
    ``ActivityDate`` its day; ``ERP_Order_*`` the order it is about, if any."""
    moment: str = row["activity_datetime"]
    return {
        "attributes": _attributes("Task", row["id"]),
        "Id": row["id"],
        "External_Id__c": row["external_id"],
        "AccountId": row["account_id"],
        "Subject": row["subject"],
        "Description": row["description"],
        "Type": row["type"],
        "Status": row["status"],
        "ActivityDate": moment[:10],
        "ActivityDateTime": moment,
        "ERP_Order_Id__c": row["erp_order_id"],
        "ERP_Order_Number__c": row["erp_order_number"],
        "CreatedDate": row["created_date"],
        "IsClosed": True,
    }


def list_envelope(records: Sequence[Record], *, total: int, offset: int = 0) -> ListEnvelope:
    """The list answer for ``records`` starting at ``offset`` of ``total`` matches."""
    end = offset + len(records)
    done = end >= total
    return {
        "totalSize": total,
        "done": done,
        "records": list(records),
        "nextOffset": None if done else end,
    }
