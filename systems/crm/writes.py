"""What every CRM write shares: its clock, its body base, picklists and idempotency in its words.

A write is keyed by the caller's ``External_Id__c`` within a scope (``Task``, ``Case``): see
``systems.common.idempotency``, which keeps the records. The CRM answers a repeated write with
the record as it is now (200), not the answer stored back then: a case may have moved on
(worked, closed) since it was opened, and the caller asking again wants to know where it is.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from systems.common.errors import ApiError, Unprocessable
from systems.common.idempotency import WriteLog, Written, digest, next_number
from systems.crm.storage import crm_timestamp
from systems.world import DEFAULT_ANCHOR

__all__ = [
    "MAX_DESCRIPTION",
    "MAX_SUBJECT",
    "Body",
    "ExternalId",
    "OptionalRef",
    "RecordId",
    "Written",
    "account_of",
    "fingerprint",
    "next_number",
    "now",
    "picklist",
    "remember",
    "replay",
]

MAX_SUBJECT = 255
MAX_DESCRIPTION = 32_000

ExternalId = Annotated[str, Field(min_length=1, max_length=255)]
RecordId = Annotated[str, Field(min_length=1, max_length=64)]
OptionalRef = Annotated[str | None, Field(default=None, min_length=1, max_length=64)]


def now() -> str:
    """The CRM's timestamp of a record written now, never before the seeded history ends."""
    return crm_timestamp(max(datetime.now(UTC), DEFAULT_ANCHOR))


class Body(BaseModel):
    """A write body in the vendor's field names: unknown fields are refused (422), blanks
    around strings are dropped, so ``"  "`` is an empty (and refused) subject."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def picklist(values: Mapping[str, str]) -> Callable[[Any], str]:
    """A validator of one of a picklist's display values (``"High"``), as the vendor takes it."""
    allowed = ", ".join(sorted(values.values()))

    def check(value: Any) -> str:
        if not isinstance(value, str) or value.strip() not in values.values():
            raise ValueError(f"must be one of {allowed}; got {value!r}")
        return value.strip()

    return check


def fingerprint(body: BaseModel) -> str:
    """A digest of what was asked: the validated body by its vendor field names."""
    return digest(body.model_dump(mode="json", by_alias=True))


def conflict(scope: str, key: str) -> ApiError:
    return ApiError(
        409, "IDEMPOTENCY_CONFLICT", f"{scope} {key!r} was already entered with another body"
    )


def account_of(conn: sqlite3.Connection, account_id: str) -> sqlite3.Row:
    """The account a body names; 422 when the CRM has none with that Id."""
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM accounts WHERE id = ?", (account_id,)
    ).fetchone()
    if row is None:
        raise Unprocessable(f"AccountId: no Account with Id {account_id!r}")
    return row


_LOG = WriteLog(now=now, conflict=conflict)
replay = _LOG.replay
remember = _LOG.remember
