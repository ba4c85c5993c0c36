"""``POST /cases``: a support case opened on an account, once per ``External_Id__c``.

A case enters ``New``, numbered after the highest case number, and shows in every case list
(``?accountIds=``, ``?orderIds=``) at once. Its contact, if named, must be one of the account's.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field, model_validator

from systems.common.db import Database
from systems.common.errors import Unprocessable
from systems.crm.payloads import case_payload
from systems.crm.picklists import CASE_ORIGINS, CASE_PRIORITIES, CASE_STATUSES
from systems.crm.writes import (
    MAX_DESCRIPTION,
    MAX_SUBJECT,
    Body,
    ExternalId,
    OptionalRef,
    RecordId,
    Written,
    account_of,
    fingerprint,
    next_number,
    now,
    picklist,
    remember,
    replay,
)

__all__ = ["CASE_SCOPE", "CaseIn", "open_case"]

CASE_SCOPE = "Case"
_FIRST_CASE_NUMBER = 1001  # as the seeded cases are numbered: 00001001, 00001002, …


class CaseIn(Body):
    """The body of ``POST /cases``, in the vendor's field names."""

    external_id: ExternalId = Field(alias="External_Id__c")
    account_id: RecordId = Field(alias="AccountId")
    contact_id: OptionalRef = Field(default=None, alias="ContactId")
    subject: str = Field(alias="Subject", min_length=1, max_length=MAX_SUBJECT)
    description: str | None = Field(default=None, alias="Description", max_length=MAX_DESCRIPTION)
    priority: Annotated[str, BeforeValidator(picklist(CASE_PRIORITIES))] = Field(
        default=CASE_PRIORITIES["MEDIUM"], alias="Priority"
    )
    origin: Annotated[str, BeforeValidator(picklist(CASE_ORIGINS))] = Field(
        default=CASE_ORIGINS["WEB"], alias="Origin"
    )
    order_id: OptionalRef = Field(default=None, alias="ERP_Order_Id__c")
    order_number: OptionalRef = Field(default=None, alias="ERP_Order_Number__c")

    @model_validator(mode="after")
    def _number_with_its_order(self) -> CaseIn:
        if self.order_number is not None and self.order_id is None:
            raise ValueError("ERP_Order_Number__c needs the ERP_Order_Id__c it numbers")
        return self


def open_case(db: Database, body: CaseIn) -> Written:
    """Open the case ``body`` describes, or answer the one its external id opened."""
    asked = fingerprint(body)
    with db.transaction() as conn:
        stored = replay(conn, CASE_SCOPE, body.external_id, asked)
        if stored is not None:
            row = conn.execute("SELECT * FROM cases WHERE id = ?", (stored.payload["Id"],))
            return Written(case_payload(row.fetchone()), created=False)
        account_of(conn, body.account_id)
        if body.contact_id is not None:
            contact = conn.execute(
                "SELECT 1 FROM contacts WHERE id = ? AND account_id = ?",
                (body.contact_id, body.account_id),
            ).fetchone()
            if contact is None:
                raise Unprocessable(
                    f"ContactId: no Contact with Id {body.contact_id!r} at account "
                    f"{body.account_id!r}"
                )
        number = next_number(conn, "cases", "case_number", "", _FIRST_CASE_NUMBER)
        case_id = f"500CD{number - 1000:010d}AAA"
        conn.execute(
            "INSERT INTO cases VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                case_id,
                f"{number:08d}",
                body.account_id,
                body.contact_id,
                body.subject,
                body.description or "",
                CASE_STATUSES["NEW"],
                body.priority,
                body.origin,
                body.order_id,
                body.order_number,
                now(),
                None,
                0,
                body.external_id,
            ),
        )
        row = conn.execute("SELECT * FROM cases WHERE id = ?", (case_id,)).fetchone()
        return remember(conn, CASE_SCOPE, body.external_id, asked, case_payload(row))
