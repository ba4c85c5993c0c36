"""What every ERP payload shares: strict money and dates, references, the list envelope.

The ERP speaks NetSuite: ``internalId``s, ``refName`` references, ``custbody_*`` custom
fields, money as decimal strings and lists as ``{"items", "count", "offset", "totalResults",
"hasMore"}``. Anything that does not fit raises ``SystemResponseInvalid``, which the subgraphs
report as ``SUBGRAPH_ERROR`` on the fields it affects.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, TypeVar

from pydantic import BeforeValidator, ConfigDict, Field, StrictInt, StrictStr

from connectors.payloads import Payload as VendorPayload
from connectors.payloads import parse_payload

__all__ = [
    "SYSTEM",
    "Amount",
    "ListPayload",
    "NamedRef",
    "Payload",
    "RecordRef",
    "Timestamp",
    "parse_list",
    "parse_record",
]

SYSTEM = "erp"

P = TypeVar("P", bound="Payload")


def _amount(value: Any) -> Decimal:
    """A decimal string (``"12.50"``); floats are refused, they lose cents."""
    if not isinstance(value, str):
        raise ValueError("an amount must be a decimal string")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"not a decimal amount: {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    return amount


def _timestamp(value: Any) -> datetime:
    """An ISO 8601 timestamp; one without an offset is taken as UTC."""
    if not isinstance(value, str):
        raise ValueError("a timestamp must be an ISO 8601 string")
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


Amount = Annotated[Decimal, BeforeValidator(_amount)]
Timestamp = Annotated[datetime, BeforeValidator(_timestamp)]


class Payload(VendorPayload):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class RecordRef(Payload):
    """``{"internalId", "refName"}``: a reference to another ERP record."""

    internal_id: StrictStr = Field(alias="internalId", min_length=1)
    ref_name: StrictStr | None = Field(default=None, alias="refName")


class NamedRef(Payload):
    """``{"refName"}``: a reference by name only (a class, a location, a currency)."""

    ref_name: StrictStr = Field(alias="refName", min_length=1)


class ListPayload(Payload):
    items: list[dict[str, Any]]
    count: StrictInt | None = None
    offset: StrictInt = 0
    total_results: StrictInt = Field(alias="totalResults", ge=0)
    has_more: bool = Field(default=False, alias="hasMore")


def parse_record(model: type[P], data: Any) -> P:
    """``data`` validated as ``model``; ``SystemResponseInvalid`` if it does not fit."""
    return parse_payload(SYSTEM, model, data)


def parse_list(data: Any) -> ListPayload:
    """A list envelope; ``SystemResponseInvalid`` if it is not one."""
    return parse_payload(SYSTEM, ListPayload, data, what="list")
