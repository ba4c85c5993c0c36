"""``POST /tasks``: an activity in an account's history, once per ``External_Id__c``.

An activity records something that happened with the account (a call, an email, a fulfillment
milestone of one of its orders), so it enters the CRM completed, dated when it happened
(``ActivityDateTime``), not when it was written. It may name the ERP order it is about.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AwareDatetime, BeforeValidator, Field, field_validator, model_validator

from systems.common.db import Database
from systems.crm.payloads import task_payload
from systems.crm.picklists import TASK_STATUS_COMPLETED, TASK_TYPES
from systems.crm.storage import crm_timestamp
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
    now,
    picklist,
    remember,
    replay,
)

__all__ = ["TASK_SCOPE", "TaskIn", "enter_task"]

TASK_SCOPE = "Task"


class TaskIn(Body):
    """The body of ``POST /tasks``, in the vendor's field names."""

    external_id: ExternalId = Field(alias="External_Id__c")
    account_id: RecordId = Field(alias="AccountId")
    subject: str = Field(alias="Subject", min_length=1, max_length=MAX_SUBJECT)
    description: str | None = Field(default=None, alias="Description", max_length=MAX_DESCRIPTION)
    type: Annotated[str, BeforeValidator(picklist(TASK_TYPES))] = Field(
        default=TASK_TYPES["OTHER"], alias="Type"
    )
    activity_datetime: AwareDatetime = Field(alias="ActivityDateTime")
    order_id: OptionalRef = Field(default=None, alias="ERP_Order_Id__c")
    order_number: OptionalRef = Field(default=None, alias="ERP_Order_Number__c")

    @field_validator("activity_datetime")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        # One moment is one activity (and one fingerprint), whatever zone it is written in.
        return value.astimezone(UTC)

    @model_validator(mode="after")
    def _number_with_its_order(self) -> TaskIn:
        if self.order_number is not None and self.order_id is None:
            raise ValueError("ERP_Order_Number__c needs the ERP_Order_Id__c it numbers")
        return self


def _task_id(n: int) -> str:
    return f"00TCD{n:010d}AAA"


def enter_task(db: Database, body: TaskIn) -> Written:
    """Record the activity ``body`` describes, or answer the one its external id entered."""
    asked = fingerprint(body)
    with db.transaction() as conn:
        stored = replay(conn, TASK_SCOPE, body.external_id, asked)
        if stored is not None:
            row = conn.execute("SELECT * FROM tasks WHERE id = ?", (stored.payload["Id"],))
            return Written(task_payload(row.fetchone()), created=False)
        account_of(conn, body.account_id)
        n = conn.execute(
            "SELECT coalesce(MAX(CAST(substr(id, 6, 10) AS INTEGER)), 0) + 1 FROM tasks"
        ).fetchone()[0]
        happened: datetime = body.activity_datetime
        conn.execute(
            "INSERT INTO tasks VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                _task_id(n),
                body.external_id,
                body.account_id,
                body.subject,
                body.description,
                body.type,
                TASK_STATUS_COMPLETED,
                crm_timestamp(happened),
                body.order_id,
                body.order_number,
                now(),
            ),
        )
        row = conn.execute("SELECT * FROM tasks WHERE id = ?", (_task_id(n),)).fetchone()
        return remember(conn, TASK_SCOPE, body.external_id, asked, task_payload(row))
